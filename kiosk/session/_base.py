"""Session core: state, observers, the idle timers, settings, navigation, metrics and the wipe.

Invariants:
- All state changes happen on one thread (the UI thread); port calls go through the `Worker`,
  whose outcomes are dropped if a wipe happened since the job started (`_generation`).
- Every change ends with `_changed()`, which notifies every observer exactly once per intent.
- `wipe()` leaves no personal data reachable from the session: the card handle is closed, the
  card data and form values are blanked in place, the printer's session buffer is wiped, and
  the whole `VisitState` (every per-resident value, `kiosk.session.state`) is replaced. Only
  anonymous, device-wide counters survive.
- Idle: "still there?" after `idle_timeout_s` without a touch (`form_idle_timeout_s` on a form,
  at least `assist_idle_timeout_s` while staff assist), then a wipe after `still_there_timeout_s`
  with the seconds left on screen (`still_there_seconds_left`).
- Intents that do not apply to the current step are ignored and return False (double taps on a
  screen that is going away must not crash the kiosk or skip a step).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from kiosk.catalog import Catalog
from kiosk.session._diagnostics import collect_diagnostics
from kiosk.session._health import HealthSchedule, health_body
from kiosk.session.config import SessionConfig
from kiosk.session.ports import (
    PortError,
    PortPrintError,
    PrinterState,
    PrintJob,
    SessionPorts,
    SyncStatus,
)
from kiosk.session.state import VisitState, VisitViews
from kiosk.session.steps import (
    BUSY_STEPS,
    STAFF_STEPS,
    Diagnostics,
    Notice,
    NoticeCode,
    Step,
)
from kiosk.session.workers import InlineWorker, Worker
from madoguchi.core.i18n import LANGUAGES

log = logging.getLogger("kiosk.session")

Observer = Callable[[Any], None]


class _SessionCore(VisitViews):
    # The resident's state is one `VisitState` (`self.visit_state`, replaced by every wipe); its
    # fields are read and written as plain attributes through `VisitViews`.

    def __init__(
        self,
        catalog: Catalog,
        ports: SessionPorts,
        config: SessionConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        worker: Worker | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.catalog = catalog
        self.ports = ports
        self.config = config or SessionConfig()
        self._clock = clock
        self._wall_clock = wall_clock
        self._worker: Worker = worker or InlineWorker()
        self._random_bytes = random_bytes
        self._observers: list[Observer] = []
        self._generation = 0
        # Device-wide state (not personal; survives wipes).
        self.out_of_service = False
        self.shelter_mode = False
        self.card_present = False
        self.sync = SyncStatus(online=False)
        self.printer = PrinterState(ok=True)
        self.staff_calls = 0
        self._last_staff_call = float("-inf")
        self.called_ticket: int | str | None = None
        self._staff_failures = 0
        self._staff_locked_until = 0.0
        self._last_status = float("-inf")
        self._status_busy = False
        # Staff diagnostics: a snapshot of device state, no personal data (see _staff).
        self.diagnostics: Diagnostics | None = None
        self._diagnostics_busy = False
        # Health reports to city hall (`device_health`; see _health).
        self._health = HealthSchedule(self.config.health_interval_s)
        self._reset_resident(keep_preferences=False)
        self.step = Step.HOME
        self.notice: Notice | None = None

    # ---- observers -------------------------------------------------------------------------

    def add_observer(self, observer: Observer) -> None:
        """`observer(session)` is called after every change (on the UI thread)."""
        self._observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def _changed(self) -> None:
        for observer in list(self._observers):
            observer(self)

    # ---- per-resident state ----------------------------------------------------------------

    def _reset_resident(self, keep_preferences: bool) -> None:
        """A fresh `VisitState` for the next resident; the old one is blanked in place first."""
        now = self._clock()
        old: VisitState | None = self.__dict__.get("visit_state")
        if old is None:
            self.__dict__["visit_state"] = VisitState(
                self.config.default_language, step_started=now, last_activity=now
            )
            return
        self.__dict__["visit_state"] = old.next_resident(
            keep_preferences=keep_preferences,
            default_language=self.config.default_language,
            now=now,
        )

    @property
    def last_try_warning(self) -> bool:
        """True when one PIN try is left: the UI shows a loud warning before entry."""
        return self.tries_left == 1

    @property
    def current_question(self) -> Any:
        if self.life_event is None or self.question_index >= len(self.life_event.questions):
            return None
        return self.life_event.questions[self.question_index]

    # ---- steps, timing, notices ------------------------------------------------------------

    def _go(self, step: Step) -> None:
        now = self._clock()
        if self._service is not None and step != self.step:
            self._timing.append([self.step.value, round((now - self._step_started) * 1000)])
        if step != self.step:
            self._step_started = now
        self.step = step

    def _notice(self, code: NoticeCode, **params: Any) -> None:
        self.notice = Notice(code, params)

    def _begin_service(self, service: str) -> None:
        if self._service is not None:
            self._emit_metric("switched")
        self._service = service
        self._timing = []
        self._step_started = self._clock()

    def _emit_metric(self, outcome: str) -> None:
        """An anonymous `metric` record: which service, step durations, outcome. No references."""
        if self._service is None:
            return
        self._timing.append([self.step.value, round((self._clock() - self._step_started) * 1000)])
        self._append_metric(self._service, outcome, self._timing)
        self._service = None
        self._timing = []

    def _append_metric(self, service: str, outcome: str, steps: list[list[Any]]) -> None:
        """The one shape of a `metric` body (the dashboard reads it): no references, no data."""
        body = {
            "service": service,
            "procedure": self.procedure.id if self.procedure else None,
            "outcome": outcome,
            "steps": steps,
            "language": self.language,
            "catalog_version": self.catalog.version,
            "assisted": self.assisted,
        }
        self._append_anonymous("metric", body)

    def _close_card(self) -> None:
        """Disconnect the card on the worker: after any job still using it, on its thread."""
        card, self._card = self._card, None
        if card is not None:
            self._worker.submit(card.close, self._log_close)

    @staticmethod
    def _log_close(_: Any, error: BaseException | None) -> None:
        _log_port_failure("card close", error, logging.INFO)

    @staticmethod
    def _log_alert(_: Any, error: BaseException | None) -> None:
        _log_port_failure("staff alert", error, logging.WARNING)

    def _run(
        self,
        job: Callable[[], Any],
        done: Callable[[Any, BaseException | None], None],
        discard: Callable[[Any], None] | None = None,
    ) -> None:
        """Run `job` on the worker; `done` on the UI thread unless a wipe happened meanwhile,
        in which case `discard(result)` releases what the job acquired (e.g. a card handle)."""
        generation = self._generation

        def guarded(result: Any, error: BaseException | None) -> None:
            if generation != self._generation:
                log.info("dropped the outcome of a job from before a wipe")
                if discard is not None and error is None:
                    discard(result)
                return
            done(result, error)
            self._changed()

        self._worker.submit(job, guarded)

    def _print(self, kind: str, data: dict[str, Any]) -> bool:
        """Print now (on the calling thread: callers are already inside a worker job)."""
        if self.ports.printer is None:
            raise PortPrintError(("no_printer",))
        self.ports.printer.print_job(PrintJob(kind=kind, language=self.language, data=data))
        return True

    def _reference(self, seq: int) -> str:
        """`<device>-<seq 6 digits>-<check digit>`: readable, typed in at the counter."""
        core = f"{self.config.device_id}-{seq:06d}"
        check = sum((i + 1) * b for i, b in enumerate(core.encode())) % 10
        return f"{core}-{check}"

    # ---- activity, clock, wipe -------------------------------------------------------------

    def touch(self) -> None:
        """Any touch on the screen: resets the idle timer; answers "still there?"."""
        self._last_activity = self._clock()
        if self.step is Step.STILL_THERE:
            self._go(self._resume_step or Step.HOME)
            self._resume_step = None
            self._changed()

    activity = touch

    def still_here(self) -> None:
        self.touch()

    def tick(self, now: float | None = None) -> None:
        """Called about once a second by the UI clock (tests call it with an advanced clock)."""
        now = self._clock() if now is None else now
        if now - self._last_status >= self.config.status_interval_s:
            self._last_status = now
            self.refresh_status()
        if self.step not in BUSY_STEPS and self._health.due(now):
            self._report_health(now)
        if self.step in BUSY_STEPS or self.step is Step.OUT_OF_SERVICE:
            return
        idle = now - self._last_activity
        if self.step in STAFF_STEPS:
            if idle >= self.config.staff_idle_timeout_s:
                self.staff_exit()
            return
        if self.step is Step.STILL_THERE:
            if now - self._step_started >= self.config.still_there_timeout_s:
                self.wipe(reason="idle")
                self._notice(NoticeCode.SESSION_ENDED)
            self._changed()  # the countdown on screen moves every tick
            return
        timeout = self.config.idle_timeout_s
        if self.step is Step.FORM_CONFIRM:
            timeout = self.config.form_idle_timeout_s
        if self.assisted:
            timeout = max(timeout, self.config.assist_idle_timeout_s)
        if idle < timeout:
            return
        if self.step is Step.HOME and not self._has_resident_state():
            return
        if self.step is Step.HOME:
            self.wipe(reason="idle")
            return
        self._resume_step = self.step
        self._go(Step.STILL_THERE)
        self._step_started = now
        self._changed()

    @property
    def still_there_seconds_left(self) -> int:
        """Whole seconds until the "still there?" question wipes the session (0 elsewhere)."""
        if self.step is not Step.STILL_THERE:
            return 0
        limit = self.config.still_there_timeout_s
        left = limit - (self._clock() - self._step_started)
        # Never more than the limit: a step entered by a walker (screenshots) has no fresh start.
        return max(0, min(int(limit + 0.999), int(left + 0.999)))

    def _has_resident_state(self) -> bool:
        return (
            self.language != self.config.default_language
            or self.text_scale != 1.0
            or self.high_contrast
            or self.voice
            or self.assisted
            or self.notice is not None
        )

    def refresh_status(self) -> None:
        """Online/offline, outbox depth and printer state (always visible on screen). Read
        through the worker (CUPS or the agent's file may be slow); at most one read in flight."""
        if self._status_busy:
            return
        self._status_busy = True
        status_port, printer_port = self.ports.status, self.ports.printer

        def job() -> tuple[SyncStatus, PrinterState]:
            sync = self.sync
            if status_port is not None:
                try:
                    sync = status_port.sync_status()
                except PortError:
                    sync = SyncStatus(online=False)
            if printer_port is None:
                return sync, PrinterState(ok=False, reasons=("no_printer",))
            try:
                return sync, printer_port.state()
            except PortError as e:
                return sync, PrinterState(ok=False, reasons=getattr(e, "reasons", ()))

        def done(result: Any, error: BaseException | None) -> None:
            self._status_busy = False
            if error is not None:
                raise error
            if result != (self.sync, self.printer):
                if result[1] != self.printer:
                    self._health.state_changed(self._clock())
                self.sync, self.printer = result
                self._changed()

        self._worker.submit(job, done)

    def _report_health(self, now: float) -> None:
        """One `device_health` record (states, counts, versions: see _health), off the UI
        thread; a refusal is logged by class and retried at the next interval."""
        self._health.started(now)
        ports, config, card_present = self.ports, self.config, self.card_present
        catalog_version, wall_clock = self.catalog.version, self._wall_clock

        def job() -> None:
            snapshot = collect_diagnostics(
                ports,
                device_id=config.device_id,
                catalog_version=catalog_version,
                card_present=card_present,
                wall_clock=wall_clock,
            )
            ports.outbox.append("device_health", health_body(snapshot))

        def done(_: Any, error: BaseException | None) -> None:
            self._health.finished()
            if isinstance(error, PortError):
                log.warning("device_health not recorded: %s", type(error).__name__)
            elif error is not None:
                raise error

        self._worker.submit(job, done)

    def _append_anonymous(self, kind: str, body: dict[str, Any]) -> None:
        """Append a record without personal data (metric, survey) off the UI thread; a refusal
        is logged, never shown: it must not keep a resident's session open."""

        def done(_: Any, error: BaseException | None) -> None:
            if isinstance(error, PortError):
                log.warning("%s not recorded: %s", kind, type(error).__name__)
            elif error is not None:
                raise error

        self._worker.submit(lambda: self.ports.outbox.append(kind, body), done)

    def wipe(self, reason: str = "wipe", *, keep_preferences: bool = False) -> None:
        """Drop every trace of the resident and return to home (or out-of-service)."""
        self._emit_metric(reason)
        self._generation += 1
        self._close_card()
        if self._card_data is not None:
            self._card_data.wipe()
        if self.form is not None:
            self.form.wipe()
        if self.ports.printer is not None:
            try:
                self.ports.printer.wipe_session()
            except PortError as e:
                log.warning("printer session wipe failed: %s", type(e).__name__)
        self._reset_resident(keep_preferences=keep_preferences)
        self.diagnostics = None  # a staff snapshot is not kept past staff mode
        self._diagnostics_busy = False  # a probe in flight is dropped (generation)
        self.notice = None
        self.step = Step.OUT_OF_SERVICE if self.out_of_service else Step.HOME
        log.info("session wiped (%s)", reason)
        self._changed()

    # ---- settings and navigation -----------------------------------------------------------

    def choose_language(self, language: str) -> bool:
        if language not in LANGUAGES:
            return False
        self.touch()
        self.language = language
        self._changed()
        return True

    def set_text_scale(self, large: bool) -> None:
        self.touch()
        self.text_scale = self.config.large_text_scale if large else 1.0
        self._changed()

    def set_high_contrast(self, on: bool) -> None:
        self.touch()
        self.high_contrast = bool(on)
        self._changed()

    def toggle_voice(self) -> None:
        self.touch()
        self.voice = not self.voice
        self._changed()

    def dismiss_notice(self) -> None:
        self.touch()
        self.notice = None
        self._changed()

    def home(self) -> None:
        """The home button: ends the current service and wipes it, keeping language/size."""
        self.wipe(reason="home", keep_preferences=True)

    def call_staff(self) -> None:
        """A resident asks for help: staff are alerted (at most once per `staff_call_repeat_s`,
        however often the button is touched) and an anonymous metric says at which step."""
        now = self._clock()
        self.touch()
        self.staff_called = True
        self._notice(NoticeCode.STAFF_CALLED)
        if now - self._last_staff_call >= self.config.staff_call_repeat_s:
            self._last_staff_call = now
            self.staff_calls += 1
            alert = self.ports.alert
            if alert is not None:
                calls = self.staff_calls
                self._worker.submit(lambda: alert.staff_called(calls), self._log_alert)
            elapsed = round((now - self._step_started) * 1000)
            self._append_metric("staff_call", "called", [[self.step.value, elapsed]])
        self._changed()

    def _open(self, step: Step, service: str | None = None) -> bool:
        if self.step is Step.OUT_OF_SERVICE or self.step in BUSY_STEPS:
            return False
        self.touch()
        self.notice = None
        if service is not None:
            self._begin_service(service)
        self._go(step)
        self._changed()
        return True

    def open_life_events(self) -> bool:
        return self._open(Step.LIFE_EVENTS, "life_event")

    def open_procedures(self) -> bool:
        return self._open(Step.PROCEDURES)

    def open_certificates(self) -> bool:
        return self._open(Step.CERTIFICATE_CHOOSE, "certificate")

    def open_booking(self) -> bool:
        return self._open(Step.BOOKING_TOPIC, "booking")

    def back(self) -> bool:
        """One step back where that makes sense; from a card step it ends the service (wipe)."""
        self.touch()
        back_to = {
            Step.LIFE_EVENTS: Step.HOME,
            Step.PROCEDURES: Step.HOME,
            Step.CERTIFICATE_CHOOSE: Step.HOME,
            Step.BOOKING_TOPIC: Step.HOME,
            Step.BOOKING_SLOT: Step.BOOKING_TOPIC,
            Step.LIFE_EVENT_QUESTIONS: Step.LIFE_EVENTS,
            Step.CHECKLIST: Step.LIFE_EVENTS,
            Step.PROCEDURE_INTRO: Step.CHECKLIST if self.checklist else Step.PROCEDURES,
            Step.PROCEDURE_COUNTER: Step.PROCEDURE_INTRO,
            Step.STAFF_DIAGNOSTICS: Step.STAFF_MENU,
        }.get(self.step)
        if back_to is None:
            if self.step in (Step.PLACE_CARD, Step.PIN_ENTRY, Step.FORM_CONFIRM, Step.PIN_BLOCKED):
                self.wipe(reason="back", keep_preferences=True)
                return True
            return False
        if self.step is Step.LIFE_EVENT_QUESTIONS and self.question_index > 0:
            assert self.life_event is not None
            questions = self.life_event.questions
            self.question_index -= 1
            # Back to the last question actually asked (skipped ones have no answer).
            while self.question_index > 0 and questions[self.question_index].id not in self.answers:
                self.question_index -= 1
            self.answers.pop(questions[self.question_index].id, None)
            self._changed()
            return True
        if self.step is Step.PROCEDURE_INTRO:
            self.procedure = None
        self._go(back_to)
        if back_to is Step.HOME:
            self._emit_metric("back")
        self._changed()
        return True

    # ---- staff mode exit (the rest is in _staff) --------------------------------------------

    def staff_exit(self) -> None:
        if self.step not in STAFF_STEPS:
            return
        self.staff_called = False
        self.wipe(reason="staff_exit")


def _log_port_failure(what: str, error: BaseException | None, level: int) -> None:
    """A background job's outcome nobody waits for: a port failure is logged by class name
    (never a value), anything else is a bug and raised."""
    if isinstance(error, PortError):
        log.log(level, "%s failed: %s", what, type(error).__name__)
    elif error is not None:
        raise error
