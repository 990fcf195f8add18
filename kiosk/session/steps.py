"""The session's steps, notices and the small value objects the UI renders.

Invariants: a `Step` names one screen; the UI maps steps to screens one-to-one. A `Notice` carries
a code and non-personal parameters only (tries left, a field name, printer reasons): it may be
logged and spoken. Values that hold personal data (`Form`, `FormValue`) are mutable so `wipe()`
can blank them in place, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.session.ports import (
    AgentInfo,
    ClockInfo,
    OutboxInfo,
    PrinterRoleInfo,
    ReaderInfo,
    SiteInfo,
    SyncStatus,
)

__all__ = [
    "Booking",
    "CardPurpose",
    "CertificateOrder",
    "ChecklistItem",
    "Diagnostics",
    "ItemState",
    "Notice",
    "NoticeCode",
    "ProbeFailed",
    "Step",
    "Ticket",
    "BUSY_STEPS",
    "CARD_STEPS",
    "STAFF_STEPS",
]


class Step(StrEnum):
    HOME = "home"
    LIFE_EVENTS = "life_events"  # choose a life event
    LIFE_EVENT_QUESTIONS = "life_event_questions"  # yes/no, one at a time
    CHECKLIST = "checklist"  # procedures selected by the rules (print it)
    PROCEDURES = "procedures"  # every procedure the kiosk knows
    PROCEDURE_INTRO = "procedure_intro"  # where, documents, fee; start if kiosk-capable
    # No card, or its PIN forgotten: the procedure is done at the counter; a ticket offered.
    PROCEDURE_COUNTER = "procedure_counter"
    PLACE_CARD = "place_card"
    PIN_ENTRY = "pin_entry"  # tries left shown; warning at 1
    READING_CARD = "reading_card"  # busy: PIN check + reading / JPKI signature
    PIN_BLOCKED = "pin_blocked"  # go to the counter
    FORM_CONFIRM = "form_confirm"  # prefilled form: confirm or correct
    SUBMITTING = "submitting"  # busy: outbox append + receipt print
    DONE = "done"  # reference number (receipt printed, or not: see notice)
    CERTIFICATE_CHOOSE = "certificate_choose"  # type, copies, purpose, fee
    ISSUING = "issuing"  # busy: online issue or queue
    CERTIFICATE_PRINTED = "certificate_printed"
    CLAIM_SLIP = "claim_slip"  # offline: request queued, claim slip printed
    SERVICE_ERROR = "service_error"  # refused by central (notice says why): go to the counter
    BOOKING_TOPIC = "booking_topic"
    BOOKING_SLOT = "booking_slot"  # slots, or a callback request when none / offline
    BOOKING_DONE = "booking_done"
    QUEUE_SERVICE = "queue_service"  # 手続き／証明書／相談／予約あり, each with its wait
    QUEUE_TICKET = "queue_ticket"
    SHELTER = "shelter"  # shelter mode: the notices, check-in, printing them
    SURVEY = "survey"
    STILL_THERE = "still_there"
    STAFF_PIN = "staff_pin"
    STAFF_MENU = "staff_menu"
    STAFF_DIAGNOSTICS = "staff_diagnostics"  # device, printers, outbox, sync, clock: no content
    OUT_OF_SERVICE = "out_of_service"
    # オンライン窓口 (kiosk/session/_consult.py): the consult flow's steps, one screen each.
    CONSULT_TOPIC = "consult_topic"  # わからない・総合案内 first, then the catalog's topics
    CONSULT_UNAVAILABLE = "consult_unavailable"  # offline / outside hours: said, booking offered
    CONSULT_CONSENT = "consult_consent"  # camera and microphone only after the Start tap
    CONSULT_WAITING = "consult_waiting"  # position, estimate; after a hand-over too
    CONSULT_CALL = "consult_call"
    CONSULT_ENDED = "consult_ended"
    SEARCH = "search"  # さがす: words typed on home's search box, the hits, a FAQ answer


BUSY_STEPS = frozenset({Step.READING_CARD, Step.SUBMITTING, Step.ISSUING})
CARD_STEPS = frozenset({Step.PIN_ENTRY, Step.READING_CARD, Step.FORM_CONFIRM})
STAFF_STEPS = frozenset({Step.STAFF_PIN, Step.STAFF_MENU, Step.STAFF_DIAGNOSTICS})


class CardPurpose(StrEnum):
    KENHOJO = "kenhojo"  # read the form data (input-helper PIN)
    JPKI = "jpki"  # authenticate for a certificate (JPKI user-auth PIN)


class NoticeCode(StrEnum):
    WRONG_PIN = "wrong_pin"  # params: tries_left
    PIN_BLOCKED = "pin_blocked"
    PIN_BLOCKED_NOW = "pin_blocked_now"  # this wrong entry locked it
    CARD_REMOVED = "card_removed"
    NOT_MYNUMBER_CARD = "not_mynumber_card"
    NO_CARD = "no_card"
    CARD_ERROR = "card_error"
    CARD_REVOKED = "card_revoked"  # params: reason (for staff) — the card's certificate is revoked
    CARD_NOT_ACCEPTED = "card_not_accepted"  # params: reason (for staff): failed a card check
    INVALID_VALUE = "invalid_value"  # params: field
    MISSING_VALUES = "missing_values"  # params: fields
    OUTBOX_FULL = "outbox_full"
    DISK_FULL = "disk_full"  # before the card step: this terminal's disk is (nearly) full
    PRINTER_FAILED = "printer_failed"  # params: reasons
    CHECKLIST_PRINTED = "checklist_printed"
    OFFLINE_QUEUED = "offline_queued"
    OFFLINE_NO_SLOTS = "offline_no_slots"
    REFUSED = "refused"  # params: reason (central's code, e.g. bad_signature, expired_certificate)
    # params: reason (declined, cancelled, timeout, offline, protocol): nothing charged or printed
    PAYMENT_FAILED = "payment_failed"
    # params: roles (receipt/document), office — refused before the card step: go there instead
    PRINTER_UNAVAILABLE = "printer_unavailable"
    SLOT_TAKEN = "slot_taken"
    STAFF_CALLED = "staff_called"
    # With a center queue host (kiosk/session/_staff_call.py): 呼び出し中, 係員が向かっています,
    # still unanswered (params: repeats), not delivered (please go to the counter).
    STAFF_CALLING = "staff_calling"
    STAFF_COMING = "staff_coming"
    STAFF_UNANSWERED = "staff_unanswered"
    STAFF_CALL_FAILED = "staff_call_failed"
    STAFF_PIN_WRONG = "staff_pin_wrong"
    REPRINTED = "reprinted"  # params: count
    SESSION_ENDED = "session_ended"  # after an idle wipe


@dataclass(frozen=True)
class Notice:
    code: NoticeCode
    params: dict[str, Any] = field(default_factory=dict)


class ItemState(StrEnum):
    """Where a checklist item stands. Only DONE and PREFILLED say something was done, and only
    for a submission the outbox accepted in this visit (they carry its reference number)."""

    DONE = "done"  # submitted here in this visit: nothing more to do for it
    PREFILLED = "prefilled"  # pre-entered here in this visit: finish it at the counter
    HERE = "here"  # can be done at this terminal
    PREFILL = "prefill"  # can be pre-entered here, then finished at the counter
    OFFICE = "office"  # at a counter or office the catalog names
    ONLINE = "online"  # at home, at the catalog's URL


@dataclass(frozen=True)
class ChecklistItem:
    procedure_id: str
    kiosk_capable: bool
    state: ItemState = ItemState.HERE
    reference: str | None = None  # for DONE / PREFILLED: the submission's reference number
    due: str | None = None  # ISO date: last day counted from the event date the resident gave


@dataclass(frozen=True)
class CertificateOrder:
    certificate_id: str
    copies: int
    purpose: str | None
    fee_yen: int  # total for all copies
    # What the resident chose to print (as at コンビニ交付 machines; central checks them, see
    # sync.central.certificate_content): household "self"/"all", head, domicile, moved_in,
    # my_number (bools); fiscal_year (tax). Empty: the defaults.
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Booking:
    topic: str
    slot_id: str | None  # None: a callback was requested
    start: str | None
    reference: str
    # Made offline: a request central applies later (sync/central/bookings.py), the slip says
    # provisional (仮予約) until then; online bookings are confirmed at once.
    provisional: bool = False
    # A callback: the last digits of the phone number given, so the resident can check which
    # number will be called (the whole number goes sealed only).
    phone_last4: str = ""


@dataclass(frozen=True)
class Ticket:
    number: int | str  # a terminal's own counter, or the center queue's label ("A-001")
    waiting_before: int
    estimated_wait_min: int
    procedure: str | None = None  # taken for this procedure (no card / PIN: at the counter)


@dataclass(frozen=True)
class ProbeFailed:
    """A diagnostics probe that could not find out. `cause` is an error class name, or "" when
    the kiosk has no way to ask (no such port): the screen shows "unknown"."""

    cause: str = ""


@dataclass(frozen=True)
class Diagnostics:
    """One snapshot for the staff diagnostics screen: names, states, counts and times only (what
    IT on the phone asks for), never record content or personal data. Every probed part is its
    value or a `ProbeFailed`; `problems` names the parts that need a look."""

    taken_at: float  # wall-clock seconds
    device_id: str
    software_version: str
    catalog_version: int  # the catalog the session runs on
    site: SiteInfo | ProbeFailed
    reader: ReaderInfo | ProbeFailed
    card_present: bool  # from the card watcher's events
    printers: tuple[PrinterRoleInfo, ...] | ProbeFailed
    pending_reprints: int | ProbeFailed
    outbox: OutboxInfo | ProbeFailed
    sync: SyncStatus | ProbeFailed
    agent: AgentInfo | ProbeFailed | None  # None: the agent never wrote a status
    clock: ClockInfo | ProbeFailed
    # Why the last refused card was refused (a code such as "revoked" or
    # "not_genuine:attributes_mismatch"; never card data). None: none refused since start.
    last_card_refusal: str | None = None

    @property
    def last_sync(self) -> float | None:
        """Wall-clock seconds of the last acknowledged batch, from whichever source knows."""
        if isinstance(self.agent, AgentInfo) and self.agent.last_success_at is not None:
            return self.agent.last_success_at
        if isinstance(self.sync, SyncStatus):
            return self.sync.last_sync
        return None

    @property
    def problems(self) -> frozenset[str]:
        """Parts to look at: reader, printer, reprints, outbox, disk, sync, clock (and any part
        whose probe failed)."""
        out = set()
        for name in ("site", "reader", "printers", "pending_reprints", "outbox", "sync", "clock"):
            if isinstance(getattr(self, name), ProbeFailed):
                out.add({"printers": "printer", "pending_reprints": "reprints"}.get(name, name))
        if isinstance(self.agent, ProbeFailed) or self.agent is None:
            out.add("sync")
        if isinstance(self.reader, ReaderInfo) and not self.reader.present:
            out.add("reader")
        if isinstance(self.printers, tuple) and (
            not self.printers or not all(p.ok for p in self.printers)
        ):
            out.add("printer")
        if isinstance(self.pending_reprints, int) and self.pending_reprints:
            out.add("reprints")
        if isinstance(self.outbox, OutboxInfo) and self.outbox.disk_low:
            out.add("disk")
        if isinstance(self.sync, SyncStatus) and not self.sync.online:
            out.add("sync")
        if isinstance(self.clock, ClockInfo) and self.clock.synchronized is not True:
            out.add("clock")
        return frozenset(out)
