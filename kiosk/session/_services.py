"""Services without the card: consultation booking, queue tickets, finishing and the survey.

Invariants: slots come from central when it answers within `online_timeout_s`, else from the
catalog's downlinked slots (only future ones); with neither, the resident can ask for a callback.
The survey record is anonymous (service, score, reason ids, language) and is never linked to a
reference number. Finishing any service records its step timings, then the survey ends the
session with a wipe.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from kiosk.catalog import Slot
from kiosk.session._base import _SessionCore
from kiosk.session.ports import (
    PortOfflineError,
    PortOutboxFullError,
    PortPrintError,
    PortRefusedError,
)
from kiosk.session.steps import Booking, NoticeCode, Step, Ticket

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


class _ServiceFlow(_SessionCore):
    # ---- booking ---------------------------------------------------------------------------

    def choose_topic(self, topic_id: str) -> bool:
        if self.step is not Step.BOOKING_TOPIC or topic_id not in self.catalog.topics:
            return False
        self.touch()
        self.topic = topic_id
        now = _dt.datetime.fromtimestamp(self._wall_clock()).strftime("%Y-%m-%dT%H:%M")
        downlinked = [s for s in self.catalog.slots_for(topic_id) if s.start > now]

        def job() -> tuple[list[Slot], bool]:
            if self.ports.online is None:
                return downlinked, True
            try:
                reply = self.ports.online.request(
                    "consultation.slots", {"topic": topic_id}, self.config.online_timeout_s
                )
            except (PortOfflineError, PortRefusedError):
                return downlinked, True
            slots = [
                Slot(
                    id=str(s["id"]),
                    topic=topic_id,
                    start=str(s["start"]),
                    minutes=int(s["minutes"]),
                )
                for s in reply.get("slots", [])
            ]
            return slots, False

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                raise error
            self.slots, self.slots_offline = result
            if not self.slots and self.slots_offline:
                self._notice(NoticeCode.OFFLINE_NO_SLOTS)
            self._go(Step.BOOKING_SLOT)

        self._run(job, done)
        return True

    def choose_slot(self, slot_id: str) -> bool:
        slot = next((s for s in self.slots if s.id == slot_id), None)
        if self.step is not Step.BOOKING_SLOT or slot is None:
            return False
        return self._book({"slot": slot.id, "start": slot.start, "minutes": slot.minutes}, slot)

    def request_callback(self, phone: str) -> bool:
        """No slot fits (or offline): city staff call back. The phone number goes sealed."""
        if self.step is not Step.BOOKING_SLOT:
            return False
        digits = phone.replace("-", "").replace(" ", "")
        if not (digits.isascii() and digits.isdigit() and 10 <= len(digits) <= 11):
            self.touch()
            self._notice(NoticeCode.INVALID_VALUE, field="phone")
            self._changed()
            return False
        return self._book({"callback_phone": digits}, None)

    def _book(self, details: dict[str, Any], slot: Slot | None) -> bool:
        self.touch()
        topic, lang = self.topic, self.language
        assert topic is not None
        body = {"topic": topic, "language": lang, "requested_at": self._wall_clock(), **details}
        self._go(Step.SUBMITTING)
        self._changed()

        online = self.ports.online if slot is not None and not self.slots_offline else None
        request_id = self._random_bytes(12).hex()

        def job() -> tuple[str, bool, PortPrintError | None]:
            reference = None
            if online is not None:
                try:
                    reply = online.request(
                        "consultation.book",
                        {"slot": details["slot"], "topic": topic, "request_id": request_id},
                        self.config.online_timeout_s,
                    )
                    reference = str(reply["reference"])
                except PortOfflineError:
                    reference = None
            provisional = reference is None
            if provisional:
                # The same request id as the online try: if that one was booked after all
                # (its reply lost), central answers it instead of taking a second place.
                queued = {**body, "request_id": request_id} if slot is not None else body
                appended = self.ports.outbox.append("booking", queued)
                reference = self._reference(appended.seq)
            slip = {
                "topic": topic,
                "reference": reference,
                "qr": reference,
                "title": self.catalog.topics[topic].name[lang],
                "start": slot.start if slot else None,
                "minutes": slot.minutes if slot else None,
                "callback": slot is None,
                "provisional": provisional and slot is not None,
                "date": _dt.datetime.fromtimestamp(self._wall_clock()).strftime("%Y-%m-%d %H:%M"),
            }
            try:
                self._print("consultation_slip", slip)
            except PortPrintError as e:
                return reference, provisional, e
            return reference, provisional, None

        def done(result: Any, error: BaseException | None) -> None:
            if isinstance(error, PortOutboxFullError):
                self._go(Step.BOOKING_SLOT)
                self._notice(NoticeCode.OUTBOX_FULL)
                return
            if isinstance(error, PortRefusedError):
                self.slots = [s for s in self.slots if slot is None or s.id != slot.id]
                self._go(Step.BOOKING_SLOT)
                self._notice(NoticeCode.SLOT_TAKEN, reason=error.reason)
                return
            if error is not None:
                raise error
            self.reference, provisional, print_error = result
            self.booking = Booking(
                topic,
                slot.id if slot else None,
                slot.start if slot else None,
                self.reference,
                provisional=provisional and slot is not None,
            )
            self.receipt_printed = print_error is None
            if print_error is not None:
                self._notice(NoticeCode.PRINTER_FAILED, reasons=list(print_error.reasons))
            self._go(Step.BOOKING_DONE)

        self._run(job, done)
        return True

    # ---- queue ticket ----------------------------------------------------------------------

    def take_queue_ticket(self, service: str | None = None) -> bool:
        """A queue ticket. With `service` (procedure, certificate, consultation, reserved) the
        center's shared queue issues it (kiosk.center.TerminalQueue: a label such as `A-001`,
        or `A2-001` while the queue host cannot be reached) and estimates the wait from
        measured handling times; without, the terminal's own counter and `minutes_per_person`."""
        if self.step is not Step.HOME or self.ports.queue is None or self.out_of_service:
            return False
        if service is not None and service not in getattr(self.ports.queue, "services", ()):
            return False  # unknown here, or a per-terminal counter (it has no services)
        self.touch()
        self._begin_service("queue")
        queue, lang = self.ports.queue, self.language
        per_person = self.config.minutes_per_person

        def job() -> tuple[Ticket, PortPrintError | None]:
            if service is None:
                number, before = queue.take_ticket()
                ticket = Ticket(number, before, before * per_person)
            else:
                number, before = queue.take_ticket(service, lang)
                wait = queue.estimate_wait_min(service, before, per_person)
                ticket = Ticket(number, before, wait)
            data = {
                "number": number,
                "waiting_before": before,
                "estimated_wait_min": ticket.estimated_wait_min,
                "date": _dt.datetime.fromtimestamp(self._wall_clock()).strftime("%Y-%m-%d %H:%M"),
                "language": lang,
            }
            try:
                self._print("queue_ticket", data)
            except PortPrintError as e:
                return ticket, e
            return ticket, None

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                raise error
            self.ticket, print_error = result
            self.receipt_printed = print_error is None
            # Anonymous, for the dashboard's waiting figures: a number, never a person.
            self._append_anonymous(
                "queue_ticket",
                {
                    "number": self.ticket.number,
                    "waiting_before": self.ticket.waiting_before,
                    "estimated_wait_min": self.ticket.estimated_wait_min,
                },
            )
            if print_error is not None:
                self._notice(NoticeCode.PRINTER_FAILED, reasons=list(print_error.reasons))
            self._go(Step.QUEUE_TICKET)

        self._go(Step.SUBMITTING)
        self._changed()
        self._run(job, done)
        return True

    # ---- finishing and the survey ----------------------------------------------------------

    def finish(self) -> bool:
        """ "Done" on a result screen: record the timings, then ask the satisfaction question."""
        if self.step not in _FINISHABLE:
            return False
        self.touch()
        self._survey_service = self._service or "other"
        self._emit_metric("done")
        self.notice = None
        self._go(Step.SURVEY)
        self._changed()
        return True

    def submit_survey(self, score: int, reasons: list[str] | tuple[str, ...] = ()) -> bool:
        if self.step is not Step.SURVEY:
            return False
        known = {r.id for r in self.catalog.survey_reasons}
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            return False
        if any(r not in known for r in reasons):
            return False
        body = {
            "service": getattr(self, "_survey_service", "other"),
            "score": score,
            "reasons": sorted(set(reasons)),
            "language": self.language,
            "catalog_version": self.catalog.version,
        }
        self._append_anonymous("survey", body)
        self.wipe(reason="done")
        return True

    def skip_survey(self) -> bool:
        if self.step is not Step.SURVEY:
            return False
        self.wipe(reason="done")
        return True
