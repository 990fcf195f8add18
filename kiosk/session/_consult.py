"""The consult flow: the resident's way into a video consultation (オンライン窓口) and out of it
(`KioskSession.flows.consult`).

From home (`open`) or from a procedure or checklist item (`open_from`, its topic preselected),
the resident picks a topic (わからない・総合案内 first), reads the privacy notice and taps Start;
then waits, talks, and sees why the call ended. The call itself is a `kiosk.call.ConsultFlow`
(plain logic driving the call worker), made by the entry point's `consult_source` (the session
never imports kiosk.call: that package builds on this one); this flow owns it for the visit,
shows its view as the session's step (`CONSULT_STEP_OF`) and is the object the consult screens'
taps call (`session.consult_flow`).

Guarantees:
- Nothing starts a call but `start()`, the resident's tap on the consent screen.
- Offline (the agent not connected), outside the opening hours (`ConsultHours`: the signed config
  bundle's `consult_hours`, else kiosk.toml's `[consult] hours`) or without a call worker, the
  resident is told so before the consent and offered a booking (`consult_unavailable` step).
- The worker's events reach the flow only on the UI thread, through `deliver`, which the source
  calls on the UI's clock; events of a flow the session no longer holds (wiped, ended and left)
  are dropped.
- A document the staff member sends is printed through the session's printer port on its worker,
  and its outcome reported back (`printed`); nothing is printed by the call worker.
- While a consultation is live (waiting, handed over, in the call) the idle timer does not run: a
  resident talking does not touch the screen. Once it ended, it runs as on any screen.
- Every wipe closes the call worker (on the session's worker: closing waits for the worker to
  exit) and forgets the chat, the fields shown and the topic (`VisitState.consult`).
- The fields "フォームを見せる" may show are gathered when the consultation is opened (the open
  form's filled values, else the checklist, else the procedure); they go only where the
  resident's tap sends them.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.session.errors import SessionConfigError
from kiosk.session.ports import PortError, PortPrintError, PrintJob
from kiosk.session.steps import BUSY_STEPS, Step
from sync.opening_hours import HoursError, OpeningHours

__all__ = [
    "CONSULT_STEP_OF",
    "ConsultHours",
    "ConsultSource",
    "ConsultationFlow",
    "topic_for_procedure",
]

log = logging.getLogger("kiosk.session")

# The call flow's step (kiosk.call.flow) → the session's step (kiosk.call.flow.SCREEN_OF's
# screens, except the topic, which has a consult screen of its own).
CONSULT_STEP_OF = {
    "topic": Step.CONSULT_TOPIC,
    "consent": Step.CONSULT_CONSENT,
    "waiting": Step.CONSULT_WAITING,
    "handed_over": Step.CONSULT_WAITING,
    "in_call": Step.CONSULT_CALL,
    "ended": Step.CONSULT_ENDED,
}
LIVE = frozenset({"waiting", "handed_over", "in_call"})
GENERAL = "general"  # わからない・総合案内: the front desk sorts it out

# The catalog has no section per procedure: the topic whose specialist knows it (the rest go to
# 総合案内, who can hand the resident over).
_PROCEDURE_TOPIC = {
    "tax": ("property_tax_heir",),
    "care": (
        "ltc_insurance_transfer", "ltc_insurance_withdraw", "care_certification",
        "care_cost_limit", "high_care_service_cost", "community_support_consultation",
    ),
    "child_care": (
        "child_allowance", "child_medical_subsidy", "pregnancy_support_payment",
        "school_transfer", "child_allowance_end", "birth_registration", "infant_checkups",
        "daycare_application", "single_parent_allowance", "childcare_consultation",
    ),
    "welfare": (
        "nhi_enroll", "nhi_withdraw", "late_elderly_medical", "late_elderly_withdraw",
        "pension_address", "pension_death_report", "survivor_pension", "funeral_expenses",
        "high_medical_cost_refund",
    ),
}  # fmt: skip
_TOPIC_OF = {pid: topic for topic, pids in _PROCEDURE_TOPIC.items() for pid in pids}


def topic_for_procedure(procedure_id: str, topics: Any) -> str:
    """The consultation topic for a procedure (`general` when none fits or it is not offered)."""
    topic = _TOPIC_OF.get(procedure_id, GENERAL)
    return topic if topic in topics else GENERAL


class CallFlowLike(Protocol):
    """What this flow uses of `kiosk.call.ConsultFlow`."""

    language: str
    form_fields: list[tuple[str, str]]

    def choose_topic(self, topic: str) -> None: ...
    def start(self) -> None: ...
    def send_chat(self, text: str, shown: str | None = None) -> None: ...
    def show_form(self, fields: list[tuple[str, str]]) -> None: ...
    def stop_showing(self) -> None: ...
    def toggle_mute(self) -> None: ...
    def take_print_jobs(self) -> list: ...
    def printed(self, ok: bool, reason: str = "") -> None: ...
    def hang_up(self) -> None: ...
    def reconnect(self) -> None: ...
    def wipe(self) -> None: ...
    def on_event(self, event: dict) -> None: ...
    def view(self) -> dict: ...


# (language, deliver) → a new call flow whose worker's events are handed to `deliver(event)` on
# the UI thread (the entry point: ConsultFlow(lambda: CallPort(..., on_event=<scheduled>), ...)).
ConsultSource = Callable[[str, Callable[[dict], None]], CallFlowLike]


class ConsultHours(OpeningHours):
    """When city hall takes video consultations (`sync.opening_hours.OpeningHours`: weekly
    spans, closed dates, national holidays and the year end); a malformed line is refused as
    the session's config error, naming "consult hours"."""

    @classmethod
    def parse(cls, lines: Any) -> ConsultHours:
        try:
            hours = OpeningHours.parse(lines)
        except HoursError as e:
            raise SessionConfigError("consult hours", e.reason) from None
        return cls(hours.spans, hours.closed, hours.holidays_closed)


class ConsultationFlow:
    """The session's consult flow (`flows.consult`); see the module docstring."""

    def __init__(self, session: Any) -> None:
        self._s = session

    # ---- what the session and the screens read ------------------------------------------------
    @property
    def call(self) -> CallFlowLike | None:
        return self._s._consult

    @property
    def live(self) -> bool:
        """A consultation is waiting, handed over or in the call (the idle timer does not run)."""
        call = self.call
        return call is not None and call.view()["step"] in LIVE

    def view(self) -> dict:
        call = self.call
        return call.view() if call is not None else {}

    @property
    def video(self) -> Any:
        """The call's pictures (the call flow's frame reader, for the call screen), or None."""
        call = self.call
        return getattr(call, "video", None) if call is not None else None

    @property
    def language(self) -> str:
        return self._s.language

    @property
    def form_fields(self) -> list[tuple[str, str]]:
        call = self.call
        return list(call.form_fields) if call is not None else []

    # ---- entries ---------------------------------------------------------------------------
    def open(self) -> bool:
        """相談する on home: the topic step (or, when it cannot be had, why and a booking)."""
        return self._begin(None)

    def open_from(self, procedure_id: str) -> bool:
        """相談する beside a procedure or a checklist item: its topic preselected, then consent."""
        if procedure_id not in self._s.catalog.procedures:
            return False
        return self._begin(topic_for_procedure(procedure_id, self._s.catalog.topics),
                           procedure_id)  # fmt: skip

    def _begin(self, topic: str | None, procedure_id: str | None = None) -> bool:
        s = self._s
        if s.step is Step.OUT_OF_SERVICE or s.step in BUSY_STEPS or self.call is not None:
            return False
        s.touch()
        s.notice = None
        origin = s.step if s.step in (Step.PROCEDURE_INTRO, Step.CHECKLIST) else Step.HOME
        s._begin_service("consult")
        s._consult_origin = origin
        why = self._unavailable()
        s.consult_unavailable = why
        if why is not None:
            s._go(Step.CONSULT_UNAVAILABLE)
            s._changed()
            return True
        call = self._new_call()
        call.form_fields = self._fields(procedure_id)
        if topic is not None:
            call.choose_topic(topic)
        self._show(enter=True)
        return True

    def _new_call(self) -> CallFlowLike:
        s = self._s
        made: list[CallFlowLike] = []

        def deliver(event: dict) -> None:
            if made and made[0] is self.call:  # else: wiped, or an earlier consultation's
                self._on_event(event)

        call = s.consult_source(s.language, deliver)
        made.append(call)
        s._consult = call
        return call

    def hours(self) -> ConsultHours:
        """When city hall takes calls: the signed config's hours, else kiosk.toml's."""
        s = self._s
        hours = s.consult_hours_source() if s.consult_hours_source is not None else None
        if hours is None:
            hours = s.consult_hours if s.consult_hours is not None else ConsultHours.default()
        return hours

    def when_open(self) -> tuple[str | None, str | None]:
        """Outside hours: why all of today is closed ("holiday", "year_end", "closed" or None)
        and when calls are next taken ("YYYY-MM-DDTHH:MM", or None if not within two months)."""
        now = _dt.datetime.fromtimestamp(self._s._wall_clock())
        hours = self.hours()
        upcoming = hours.next_open(now)
        return hours.closed_on(now.date()), (
            upcoming.isoformat(timespec="minutes") if upcoming is not None else None
        )

    def _unavailable(self) -> str | None:
        s = self._s
        if s.consult_source is None:
            return "error"
        if not s.sync.online:
            return "offline"
        if not self.hours().open_at(_dt.datetime.fromtimestamp(s._wall_clock())):
            return "hours"
        return None

    # ---- the resident's taps ---------------------------------------------------------------
    def choose_topic(self, topic_id: str) -> bool:
        return self._tap("choose_topic", topic_id, steps=("topic", "consent"))

    def start(self) -> bool:
        """The Start tap on the privacy notice: the only way a call begins."""
        call = self.call
        if call is None or call.view()["step"] != "consent":
            return False
        self._s.touch()
        try:
            call.start()
        except Exception as e:  # noqa: BLE001 - the worker could not start: say so, offer booking
            log.warning("consultation could not start: %s", type(e).__name__)
            self._drop()
            self._s.consult_unavailable = "error"
            self._s._go(Step.CONSULT_UNAVAILABLE)
            self._s._changed()
            return False
        self._show()
        return True

    def send_chat(self, text: str, shown: str | None = None) -> bool:
        """`text` to the staff; `shown` (when given) is what the resident's own chat line says."""
        return self._tap("send_chat", text, shown, steps=("in_call",))

    def show_form(self, fields: list[tuple[str, str]]) -> bool:
        return self._tap("show_form", list(fields), steps=("in_call",))

    def stop_showing(self) -> bool:
        return self._tap("stop_showing", steps=("in_call",))

    def toggle_mute(self) -> bool:
        return self._tap("toggle_mute", steps=tuple(LIVE))

    def hang_up(self) -> bool:
        return self._tap("hang_up", steps=tuple(LIVE))

    def reconnect(self) -> bool:
        call = self.call
        if call is None or call.view().get("offer_reconnect") is not True:
            return False
        return self._tap("reconnect", steps=("ended",))

    def back(self) -> bool:
        """Consent → the topic (when it was chosen there); otherwise back where 相談する was
        tapped, the consultation forgotten. Not during a live call (hang up first)."""
        s = self._s
        call = self.call
        step = call.view()["step"] if call is not None else None
        if step in LIVE or s.step not in (Step.CONSULT_TOPIC, Step.CONSULT_CONSENT,
                                          Step.CONSULT_UNAVAILABLE):  # fmt: skip
            return False
        s.touch()
        if step == "consent" and s._consult_origin is Step.HOME:
            call.wipe()  # a fresh flow at the topic step: nothing was started
            return self._reopen()
        origin = s._consult_origin or Step.HOME
        self._drop()
        s._go(origin)
        if origin is Step.HOME:
            s._emit_metric("back")
        s._changed()
        return True

    def _reopen(self) -> bool:
        fields = self.form_fields
        self._drop()
        self._new_call().form_fields = fields
        self._show(enter=True)
        return True

    def book(self) -> bool:
        """A booking instead (nobody free, outside hours, offline, after the call): the booking
        flow, on the consultation's topic when one was chosen (its times, or a call back)."""
        topic = self.view().get("topic")
        self._drop()
        self._s.consult_unavailable = None
        if not self._s.flows.services.open_booking():
            return False
        if topic in self._s.catalog.topics:
            self._s.flows.services.choose_topic(topic)
        return True

    def wipe(self) -> bool:
        """Forget the consultation (its worker closed) and stay where the session is; the screens
        call it before finishing or booking."""
        self._drop()
        return True

    # ---- the worker's events, on the UI thread --------------------------------------------
    def _on_event(self, event: dict) -> None:
        call = self.call
        if call is None:
            return
        call.on_event(event)
        self._print_pending(call)
        self._show()

    def _print_pending(self, call: CallFlowLike) -> None:
        if not call.view().get("print_pending"):
            return
        s = self._s
        printer = s.ports.printer
        for job in call.take_print_jobs():
            job = PrintJob(job.kind, s.language, job.data)

            def print_it(job: PrintJob = job) -> None:
                if printer is None:
                    raise PortPrintError(("no_printer",))
                printer.print_job(job)

            def done(_: Any, error: BaseException | None, call: Any = call) -> None:
                if error is not None and not isinstance(error, PortError):
                    raise error
                if call is self.call:
                    reason = ",".join(getattr(error, "reasons", ()) or ()) if error else ""
                    call.printed(error is None, reason or ("failed" if error else ""))

            s._run(print_it, done)

    # ---- helpers -----------------------------------------------------------------------------
    def _tap(self, name: str, *args: Any, steps: tuple[str, ...]) -> bool:
        call = self.call
        if call is None or call.view()["step"] not in steps:
            return False
        self._s.touch()
        try:
            getattr(call, name)(*args)
        except Exception as e:  # noqa: BLE001 - the worker is gone: the call is over, say so
            log.warning("consultation worker unreachable: %s", type(e).__name__)
            call.on_event({"event": "exited"})
        self._show()
        return True

    def _show(self, *, enter: bool = False) -> None:
        """The session's step follows the call's (a "still there?" question keeps its place)."""
        s = self._s
        call = self.call
        if call is None:
            return
        step = CONSULT_STEP_OF[call.view()["step"]]
        if s.step is Step.STILL_THERE:
            s._resume_step = step
        elif enter or s.step in CONSULT_STEPS:
            s._go(step)
        s._changed()

    def _drop(self) -> None:
        """Forget the call flow; its worker is closed on the session's worker (closing waits
        for the worker process to exit)."""
        s = self._s
        call, s._consult = s._consult, None
        if call is not None:
            s._worker.submit(call.wipe, _log_close)

    def _fields(self, procedure_id: str | None) -> list[tuple[str, str]]:
        """What the staff member may see after the resident's tap, in Japanese (city-hall staff
        read it): the open form's filled values, else the checklist, else the procedure."""
        s = self._s
        if s.form is not None and s.step is Step.FORM_CONFIRM:
            return [(fv.spec.label.get("ja"), fv.value) for fv in s.form.values if fv.value]
        catalog = s.catalog
        out: list[tuple[str, str]] = []
        if s.life_event is not None and s.checklist:
            out.append(("ライフイベント", s.life_event.name.get("ja")))
            if s.event_date is not None:
                out.append(("日付", s.event_date.isoformat()))
            for item in s.checklist:
                proc = catalog.procedures.get(item.procedure_id)
                if proc is not None:
                    out.append((proc.name.get("ja"), _STATE_JA.get(str(item.state), "")))
        if procedure_id is not None and procedure_id in catalog.procedures:
            out.insert(0, ("相談したい手続き", catalog.procedures[procedure_id].name.get("ja")))
        return out


CONSULT_STEPS = frozenset(CONSULT_STEP_OF.values()) | {Step.CONSULT_UNAVAILABLE}
_STATE_JA = {
    "done": "この端末で届出済み",
    "prefilled": "この端末で事前入力済み（窓口で完了）",
    "here": "この端末でできる",
    "prefill": "この端末で事前入力できる",
    "office": "窓口で手続き",
    "online": "オンラインで手続き",
}


def _log_close(_: Any, error: BaseException | None) -> None:
    if error is not None:
        log.warning("consultation close failed: %s", type(error).__name__)
