"""The services flow: consultation booking, queue tickets (with the choice of service and the
booking check of 予約あり), the shelter screen, finishing and the survey
(`KioskSession.flows.services`). It keeps no state of its own: it reads and changes the
session's `VisitState` and device state through the session it is given.

Invariants: slots come from central when it answers within `online_timeout_s`, else from the
catalog's downlinked slots (only future ones); with neither, the resident can ask for a callback.
The survey record is anonymous (service, score, reason ids, language) and is never linked to a
reference number. A 予約あり ticket is issued only for a booking central confirmed for today;
a booking slip's number goes to central only (`consultation.booking_status`) and is never kept.
The shelter screen shows public notices only (city hall's signed ones, the center staff's).
Finishing any service records its step timings, then the survey ends the session with a wipe.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

from kiosk.catalog import Slot
from kiosk.session._base import _SessionCore
from kiosk.session._slip_number import slip_number_problem
from kiosk.session.ports import (
    PortOfflineError,
    PortOutboxFullError,
    PortPrintError,
    PortRefusedError,
)
from kiosk.session.steps import Booking, NoticeCode, Step, Ticket

__all__ = ["QueueChoice", "ServicesFlow", "ShelterNotice"]

log = logging.getLogger("kiosk.session")

# A booking slip's number as printed (the terminal's `<device>-<6 digits>-<check>`, central's
# `B` + 8 hex, or a readable reference): only its characters and length are checked here, so a
# path, a space or a long paste never reaches central; central says whether it is a booking.
_SLIP_REFERENCE = re.compile(r"^[A-Za-z0-9._:\u3000-\u9fff-]{4,80}$")


# A notice's kind in each screen language (the calling display's words in Japanese).
_KIND_WORDS = {
    "water": {"ja": "給水", "ja-easy": "みず", "en": "Water", "zh-Hans": "供水", "ko": "급수",
              "pt-BR": "Água", "vi": "Nước"},
    "food": {"ja": "食事", "ja-easy": "たべもの", "en": "Food", "zh-Hans": "餐食", "ko": "식사",
             "pt-BR": "Refeições", "vi": "Bữa ăn"},
    "bath": {"ja": "入浴", "ja-easy": "おふろ", "en": "Bath", "zh-Hans": "洗浴", "ko": "목욕",
             "pt-BR": "Banho", "vi": "Tắm"},
    "general": {"ja": "お知らせ", "ja-easy": "おしらせ", "en": "Notice", "zh-Hans": "通知",
                "ko": "안내", "pt-BR": "Aviso", "vi": "Thông báo"},
}  # fmt: skip


# Above a notice the staff have not put into the reader's language, which then shows the
# Japanese original (never another foreign language: a Vietnamese reader is not sent to English).
_UNTRANSLATED = {
    "ja-easy": "この おしらせは まだ やさしい にほんごに なって いません。かかりの ひとに きいて ください。",
    "en": "This notice is not translated yet. Please ask staff.",
    "zh-Hans": "此通知尚未翻译。请询问工作人员。",
    "ko": "이 안내는 아직 번역되지 않았습니다. 직원에게 물어보세요.",
    "pt-BR": "Este aviso ainda não foi traduzido. Pergunte à equipe.",
    "vi": "Thông báo này chưa được dịch. Hãy hỏi nhân viên.",
}
# The languages a notice may carry besides Japanese (the host's dict keys).
_NOTICE_LANGUAGES = ("ja-easy", "en", "zh-Hans", "ko", "pt-BR", "vi")


@dataclass(frozen=True)
class ShelterNotice:
    """One notice on the shelter screen: its kind, the Japanese text, the optional English one
    (and any other language the host sent, in `others`), and whether city hall signed it (else
    the center's staff wrote it). Public, no names. `posted` is when it was posted, in local
    time: "YYYY-MM-DDTHH:MM", or only "YYYY-MM-DD" (a city notice without its own time: the
    day city hall's config bundle carrying it was issued), or "" when unknown."""

    kind: str
    ja: str
    en: str = ""
    city: bool = False
    others: tuple[tuple[str, str], ...] = ()  # (language, text) for ja-easy, zh-Hans, ko, ...
    posted: str = ""

    @classmethod
    def of(cls, raw: Any) -> ShelterNotice | None:
        """From the host's or the bundle's notice (a dict); None when it is not one."""
        if not isinstance(raw, dict) or raw.get("kind") not in _KIND_WORDS:
            return None
        ja, en = raw.get("ja"), raw.get("en") or ""
        if not isinstance(ja, str) or not ja.strip() or not isinstance(en, str):
            return None
        others = tuple(
            (lang, text.strip()[:300])
            for lang in _NOTICE_LANGUAGES
            if lang != "en" and isinstance(text := raw.get(lang), str) and text.strip()
        )
        city = raw.get("source") == "city"
        posted = ""
        for key, fmt in (("at", "%Y-%m-%dT%H:%M"), ("published", "%Y-%m-%d")):
            when = raw.get(key)
            if isinstance(when, int | float) and not isinstance(when, bool) and 0 < when < 1e11:
                posted = _dt.datetime.fromtimestamp(when).strftime(fmt)
                break
        return cls(raw["kind"], ja.strip()[:300], en.strip()[:300], city, others, posted)

    def own_text(self, language: str) -> str:
        """The text in exactly the reader's language, "" when the notice has none."""
        if language == "ja":
            return self.ja
        if language == "en":
            return self.en
        return dict(self.others).get(language, "")

    def text(self, language: str) -> str:
        """In the screen's language where the notice has it, else the Japanese original (never
        another foreign language); `untranslated` then says so in the reader's words."""
        return self.own_text(language) or self.ja

    def untranslated(self, language: str) -> str:
        """The line above a notice shown in Japanese to a reader of another language, else ""."""
        return "" if self.own_text(language) else _UNTRANSLATED.get(language, _UNTRANSLATED["en"])

    def kind_word(self, language: str) -> str:
        words = _KIND_WORDS[self.kind]
        return words.get(language, words["en"])


@dataclass(frozen=True)
class QueueChoice:
    """What the queue_service screen shows: the minutes a ticket taken now would wait, per
    service (empty until the queue host answered), and where the booking check stands:
    "" (not asked), checking, today, pending (仮予約, not decided yet), other_day, callback,
    unknown, offline; or, never sent to central, incomplete (digits missing) and mistyped (the
    check digit does not match) for a number of this terminal's slips. `start` is the booking's
    start when central gave one. `slip_prefix` is what this terminal prints before the digits
    of its booking slips' numbers (its device id: `kiosk.session._slip_number`)."""

    estimates: dict[str, int] = field(default_factory=dict)
    reservation: str = ""
    start: str = ""
    slip_prefix: str = ""


# Where a queue ticket can be taken: home (the terminal's own counter), the choice of service,
# and the no-card screen of a procedure (take_ticket_for_procedure).
_TICKET_STEPS = frozenset({Step.HOME, Step.QUEUE_SERVICE, Step.PROCEDURE_COUNTER})

_FINISHABLE = frozenset(
    {
        Step.DONE,
        Step.CERTIFICATE_PRINTED,
        Step.CLAIM_SLIP,
        Step.BOOKING_DONE,
        Step.QUEUE_TICKET,
        Step.CHECKLIST,
        Step.PIN_BLOCKED,
        Step.SERVICE_ERROR,
    }
)


class ServicesFlow:
    """Services without the card and the end of any service: consultation booking, queue
    tickets, finishing and the satisfaction survey."""

    __slots__ = ("_s",)

    def __init__(self, session: _SessionCore) -> None:
        self._s = session  # the KioskSession (typed as its core: no import of the session)

    def open_booking(self) -> bool:
        return self._s.open_booking()

    # ---- booking ---------------------------------------------------------------------------

    def choose_topic(self, topic_id: str) -> bool:
        s = self._s
        if s.step is not Step.BOOKING_TOPIC or topic_id not in s.catalog.topics:
            return False
        s.touch()
        s.topic = topic_id
        now = _dt.datetime.fromtimestamp(s._wall_clock()).strftime("%Y-%m-%dT%H:%M")
        downlinked = [x for x in s.catalog.slots_for(topic_id) if x.start > now]

        def job() -> tuple[list[Slot], bool]:
            if s.ports.online is None:
                return downlinked, True
            try:
                reply = s.ports.online.request(
                    "consultation.slots", {"topic": topic_id}, s.config.online_timeout_s
                )
            except (PortOfflineError, PortRefusedError):
                return downlinked, True
            slots = [
                Slot(
                    id=str(x["id"]),
                    topic=topic_id,
                    start=str(x["start"]),
                    minutes=int(x["minutes"]),
                )
                for x in reply.get("slots", [])
            ]
            return slots, False

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                raise error
            s.slots, s.slots_offline = result
            if not s.slots and s.slots_offline:
                s._notice(NoticeCode.OFFLINE_NO_SLOTS)
            s._go(Step.BOOKING_SLOT)

        s._run(job, done)
        return True

    def choose_slot(self, slot_id: str) -> bool:
        s = self._s
        slot = next((x for x in s.slots if x.id == slot_id), None)
        if s.step is not Step.BOOKING_SLOT or slot is None:
            return False
        return self._book({"slot": slot.id, "start": slot.start, "minutes": slot.minutes}, slot)

    def request_callback(self, phone: str) -> bool:
        """No slot fits (or offline): city staff call back. The phone number goes sealed."""
        s = self._s
        if s.step is not Step.BOOKING_SLOT:
            return False
        digits = phone.replace("-", "").replace(" ", "")
        if not (digits.isascii() and digits.isdigit() and 10 <= len(digits) <= 11):
            s.touch()
            s._notice(NoticeCode.INVALID_VALUE, field="phone")
            s._changed()
            return False
        return self._book({"callback_phone": digits}, None)

    def _book(self, details: dict[str, Any], slot: Slot | None) -> bool:
        s = self._s
        s.touch()
        topic, lang = s.topic, s.language
        assert topic is not None
        body = {"topic": topic, "language": lang, "requested_at": s._wall_clock(), **details}
        s._go(Step.SUBMITTING)
        s._changed()

        online = s.ports.online if slot is not None and not s.slots_offline else None
        request_id = s._random_bytes(12).hex()

        def job() -> tuple[str, bool, PortPrintError | None]:
            reference = None
            if online is not None:
                try:
                    reply = online.request(
                        "consultation.book",
                        {"slot": details["slot"], "topic": topic, "request_id": request_id},
                        s.config.online_timeout_s,
                    )
                    reference = str(reply["reference"])
                except PortOfflineError:
                    reference = None
            provisional = reference is None
            if provisional:
                # The same request id as the online try: if that one was booked after all
                # (its reply lost), central answers it instead of taking a second place.
                queued = {**body, "request_id": request_id} if slot is not None else body
                appended = s.ports.outbox.append("booking", queued)
                reference = s._reference(appended.seq)
            slip = {
                "topic": topic,
                "reference": reference,
                "qr": reference,
                "title": s.catalog.topics[topic].name[lang],
                "start": slot.start if slot else None,
                "minutes": slot.minutes if slot else None,
                "callback": slot is None,
                "provisional": provisional and slot is not None,
                "date": _dt.datetime.fromtimestamp(s._wall_clock()).strftime("%Y-%m-%d %H:%M"),
            }
            try:
                s._print("consultation_slip", slip)
            except PortPrintError as e:
                return reference, provisional, e
            return reference, provisional, None

        def done(result: Any, error: BaseException | None) -> None:
            if isinstance(error, PortOutboxFullError):
                s._go(Step.BOOKING_SLOT)
                s._notice(NoticeCode.OUTBOX_FULL)
                return
            if isinstance(error, PortRefusedError):
                s.slots = [x for x in s.slots if slot is None or x.id != slot.id]
                s._go(Step.BOOKING_SLOT)
                s._notice(NoticeCode.SLOT_TAKEN, reason=error.reason)
                return
            if error is not None:
                raise error
            s.reference, provisional, print_error = result
            s.booking = Booking(
                topic,
                slot.id if slot else None,
                slot.start if slot else None,
                s.reference,
                provisional=provisional and slot is not None,
                phone_last4=str(details.get("callback_phone", ""))[-4:],
            )
            s.receipt_printed = print_error is None
            if print_error is not None:
                s._notice(NoticeCode.PRINTER_FAILED, reasons=list(print_error.reasons))
            s._go(Step.BOOKING_DONE)

        s._run(job, done)
        return True

    # ---- queue ticket ----------------------------------------------------------------------

    def open_queue_services(self) -> bool:
        """Home's 番号札: with the center's queue, the choice of service (手続き, 証明書, 相談,
        予約あり) with each one's wait from the queue host; with a terminal's own counter (no
        services) the ticket at once, as before."""
        s = self._s
        if s.step is not Step.HOME or s.ports.queue is None or s.out_of_service:
            return False
        if not getattr(s.ports.queue, "services", ()):
            return self.take_queue_ticket()
        s.touch()
        s.notice = None
        s.queue_choice = QueueChoice(slip_prefix=s.config.device_id)
        s._go(Step.QUEUE_SERVICE)
        s._changed()
        queue, per_person = s.ports.queue, s.config.minutes_per_person

        def job() -> dict[str, int]:
            return dict(queue.estimates(per_person))

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:  # the waits are a help, not a condition: the choice stays
                log.info("queue estimates unavailable: %s", type(error).__name__)
                return
            if s.step is Step.QUEUE_SERVICE and s.queue_choice is not None:
                s.queue_choice = replace(s.queue_choice, estimates=result)

        s._run(job, done)
        return True

    def check_reservation(self, reference: str) -> bool:
        """予約あり: the number on the resident's booking slip. Central says what became of it
        (`consultation.booking_status`); only a booking for today gives a 予約あり ticket. Any
        other answer (not found, still provisional, another day, a call back, no connection) is
        said in plain words, and a ticket for 手続き is offered instead. A booking for today
        gets its 予約あり ticket at once. A number of this terminal's slips with digits missing
        or a check digit that does not match is said at once and not sent (the resident
        corrects it)."""
        s = self._s
        choice = s.queue_choice
        if s.step is not Step.QUEUE_SERVICE or choice is None or choice.reservation == "checking":
            return False
        s.touch()
        ref = reference.strip() if isinstance(reference, str) else ""
        if not _SLIP_REFERENCE.match(ref):
            s.queue_choice = replace(choice, reservation="unknown")
            s._changed()
            return False
        problem = slip_number_problem(ref, s.config.device_id)
        if problem is not None:  # one of this terminal's slips, mistyped: said, never sent
            s.queue_choice = replace(choice, reservation=problem)
            s._changed()
            return False
        s.queue_choice = replace(choice, reservation="checking")
        s._changed()
        online, today = s.ports.online, _dt.datetime.fromtimestamp(s._wall_clock()).date()

        def job() -> tuple[str, str]:
            if online is None:
                return "offline", ""
            try:
                reply = online.request(
                    "consultation.booking_status", {"reference": ref}, s.config.online_timeout_s
                )
            except PortOfflineError:
                return "offline", ""
            except PortRefusedError:
                return "unknown", ""  # not a booking of this center (or no such number)
            outcome, start = str(reply.get("outcome", "")), str(reply.get("start") or "")
            if outcome == "pending":
                return "pending", ""
            if outcome in ("confirmed", "moved"):
                return ("today" if start[:10] == today.isoformat() else "other_day"), start
            if outcome == "callback":
                return "callback", ""
            return "unknown", ""

        def done(result: Any, error: BaseException | None) -> None:
            if s.queue_choice is None:
                return
            if error is not None:
                log.info("booking check failed: %s", type(error).__name__)
                result = ("offline", "")
            state, start = result
            s.queue_choice = replace(s.queue_choice, reservation=state, start=start)
            if state == "today":  # the ticket at once: one tap less for the resident
                self.take_queue_ticket("reserved")

        s._run(job, done)
        return True

    def take_queue_ticket(self, service: str | None = None) -> bool:
        """A queue ticket. With `service` (procedure, certificate, consultation, reserved) the
        center's shared queue issues it (kiosk.center.TerminalQueue: a label such as `A-001`,
        or `A2-001` while the queue host cannot be reached) and estimates the wait from
        measured handling times; without, the terminal's own counter and `minutes_per_person`."""
        s = self._s
        if not self.can_take_ticket or s.step not in _TICKET_STEPS:
            return False
        if service is not None and service not in getattr(s.ports.queue, "services", ()):
            return False  # unknown here, or a per-terminal counter (it has no services)
        choice = s.queue_choice
        if service == "reserved" and (choice is None or choice.reservation != "today"):
            return False  # 予約あり only for a booking central confirmed for today
        s.touch()
        procedure = s.procedure.id if s.step is Step.PROCEDURE_COUNTER and s.procedure else None
        s._begin_service("queue")
        queue, lang = s.ports.queue, s.language
        per_person = s.config.minutes_per_person

        def job() -> tuple[Ticket, PortPrintError | None]:
            if service is None:
                number, before = queue.take_ticket()
                ticket = Ticket(number, before, before * per_person, procedure)
            else:
                number, before = queue.take_ticket(service, lang)
                wait = queue.estimate_wait_min(service, before, per_person)
                ticket = Ticket(number, before, wait, procedure)
            data = {
                "number": number,
                "waiting_before": before,
                "estimated_wait_min": ticket.estimated_wait_min,
                "date": _dt.datetime.fromtimestamp(s._wall_clock()).strftime("%Y-%m-%d %H:%M"),
                "language": lang,
            }
            try:
                s._print("queue_ticket", data)
            except PortPrintError as e:
                return ticket, e
            return ticket, None

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                raise error
            s.ticket, print_error = result
            s.receipt_printed = print_error is None
            # Anonymous, for the dashboard's waiting figures: a number, never a person.
            s._append_anonymous(
                "queue_ticket",
                {
                    "number": s.ticket.number,
                    "waiting_before": s.ticket.waiting_before,
                    "estimated_wait_min": s.ticket.estimated_wait_min,
                },
            )
            if print_error is not None:
                s._notice(NoticeCode.PRINTER_FAILED, reasons=list(print_error.reasons))
            s._go(Step.QUEUE_TICKET)

        s._go(Step.SUBMITTING)
        s._changed()
        s._run(job, done)
        return True

    @property
    def can_take_ticket(self) -> bool:
        """A queue ticket can be printed here now (a queue, and the terminal in service)."""
        s = self._s
        return s.ports.queue is not None and not s.out_of_service

    def take_ticket_for_procedure(self) -> bool:
        """From the no-card screen (`procedure_counter`): a ticket for the counter that does the
        chosen procedure — the center queue's 手続き (procedure) service, or the terminal's own
        counter when the queue has no services. The ticket names the procedure."""
        s = self._s
        if s.step is not Step.PROCEDURE_COUNTER or s.procedure is None:
            return False
        services = getattr(s.ports.queue, "services", ())
        return self.take_queue_ticket("procedure" if "procedure" in services else None)

    # ---- shelter mode ----------------------------------------------------------------------

    def open_shelter(self) -> bool:
        """Shelter mode's button: the shelter screen. It shows the notices (city hall's signed
        ones and the center's staff's, from the queue host; city hall's from this terminal's
        config bundle while the host is out of reach) and offers check-in and a printout."""
        s = self._s
        if not s.shelter_mode or s.step is not Step.HOME or s.out_of_service:
            return False
        s.touch()
        s.notice = None
        s.shelter_notices = ()
        s._go(Step.SHELTER)
        s._changed()
        source = getattr(s.ports.queue, "notices", None)
        if source is None:
            return True  # no center queue: no notices to show, check-in still works

        def job() -> tuple[ShelterNotice, ...]:
            got = [n for n in map(ShelterNotice.of, source()) if n is not None]
            # newest first (review: a month-old water-truck notice read as today's); ISO times
            # sort as text, a day alone after that day's timed ones, none last
            got.sort(key=lambda n: n.posted or "", reverse=True)
            return tuple(got[:20])

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:  # the notices are a help: the screen says there are none
                log.info("shelter notices unavailable: %s", type(error).__name__)
                return
            if s.step is Step.SHELTER:
                s.shelter_notices = result

        s._run(job, done)
        return True

    def shelter_checkin(self) -> bool:
        """From the shelter screen: the catalog's `shelter_checkin` procedure (card or typed)."""
        s = self._s
        if s.step is not Step.SHELTER:
            return False
        s._go(Step.HOME)  # the card flow starts a check-in from home
        if not s.start_shelter_checkin():
            s._go(Step.SHELTER)
            s._changed()
            return False
        return True

    def print_shelter_notices(self) -> bool:
        """The notices on screen, on the receipt roll, in the screen's language."""
        s = self._s
        if s.step is not Step.SHELTER:
            return False
        s.touch()
        lang = s.language
        items = [
            {
                "kind": n.kind_word(lang),
                "text": "\n".join(filter(None, (n.untranslated(lang), n.text(lang)))),
                "city": n.city,
            }
            for n in s.shelter_notices
        ]

        def job() -> PortPrintError | None:
            try:
                s._print("notices", {"items": items})
            except PortPrintError as e:
                return e
            return None

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                raise error
            s.receipt_printed = result is None
            if result is not None:
                s._notice(NoticeCode.PRINTER_FAILED, reasons=list(result.reasons))

        s._run(job, done)
        return True

    # ---- finishing and the survey ----------------------------------------------------------

    def finish(self) -> bool:
        """ "Done" on a result screen: record the timings, then ask the satisfaction question."""
        s = self._s
        if s.step not in _FINISHABLE:
            return False
        s.touch()
        s.visit_state.survey_service = s._service or "other"
        s._emit_metric("done")
        s.notice = None
        s._go(Step.SURVEY)
        s._changed()
        return True

    def submit_survey(self, score: int, reasons: list[str] | tuple[str, ...] = ()) -> bool:
        s = self._s
        if s.step is not Step.SURVEY:
            return False
        known = {r.id for r in s.catalog.survey_reasons}
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            return False
        if any(r not in known for r in reasons):
            return False
        body = {
            "service": s.visit_state.survey_service,
            "score": score,
            "reasons": sorted(set(reasons)),
            "language": s.language,
            "catalog_version": s.catalog.version,
        }
        s._append_anonymous("survey", body)
        s.wipe(reason="done")
        return True

    def skip_survey(self) -> bool:
        s = self._s
        if s.step is not Step.SURVEY:
            return False
        s.wipe(reason="done")
        return True
