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

__all__ = [
    "Booking",
    "CardPurpose",
    "CertificateOrder",
    "ChecklistItem",
    "Notice",
    "NoticeCode",
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
    QUEUE_TICKET = "queue_ticket"
    SURVEY = "survey"
    STILL_THERE = "still_there"
    STAFF_PIN = "staff_pin"
    STAFF_MENU = "staff_menu"
    OUT_OF_SERVICE = "out_of_service"


BUSY_STEPS = frozenset({Step.READING_CARD, Step.SUBMITTING, Step.ISSUING})
CARD_STEPS = frozenset({Step.PIN_ENTRY, Step.READING_CARD, Step.FORM_CONFIRM})
STAFF_STEPS = frozenset({Step.STAFF_PIN, Step.STAFF_MENU})


class CardPurpose(StrEnum):
    KENHOJO = "kenhojo"  # read the form data (input-helper PIN)
    JPKI = "jpki"  # authenticate for a certificate (JPKI user-auth PIN)


class NoticeCode(StrEnum):
    WRONG_PIN = "wrong_pin"  # params: tries_left
    PIN_BLOCKED = "pin_blocked"
    CARD_REMOVED = "card_removed"
    NOT_MYNUMBER_CARD = "not_mynumber_card"
    NO_CARD = "no_card"
    CARD_ERROR = "card_error"
    INVALID_VALUE = "invalid_value"  # params: field
    MISSING_VALUES = "missing_values"  # params: fields
    OUTBOX_FULL = "outbox_full"
    PRINTER_FAILED = "printer_failed"  # params: reasons
    CHECKLIST_PRINTED = "checklist_printed"
    OFFLINE_QUEUED = "offline_queued"
    OFFLINE_NO_SLOTS = "offline_no_slots"
    REFUSED = "refused"  # params: reason (central's code, e.g. bad_signature, expired_certificate)
    SLOT_TAKEN = "slot_taken"
    STAFF_CALLED = "staff_called"
    STAFF_PIN_WRONG = "staff_pin_wrong"
    REPRINTED = "reprinted"  # params: count
    SESSION_ENDED = "session_ended"  # after an idle wipe


@dataclass(frozen=True)
class Notice:
    code: NoticeCode
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChecklistItem:
    procedure_id: str
    kiosk_capable: bool


@dataclass(frozen=True)
class CertificateOrder:
    certificate_id: str
    copies: int
    purpose: str | None
    fee_yen: int  # total for all copies


@dataclass(frozen=True)
class Booking:
    topic: str
    slot_id: str | None  # None: a callback was requested
    start: str | None
    reference: str


@dataclass(frozen=True)
class Ticket:
    number: int
    waiting_before: int
    estimated_wait_min: int
