"""What each printed document says: info dataclasses in, layout blocks out (pure functions).

Invariants:
- Every label comes from the printer's own catalog (`devices/printer/locale/<lang>.po`);
  `MSGIDS` lists them all so a test can require each one in all seven languages.
- Personal data appears only where the document needs it: a receipt, ticket, slip, checklist
  and claim slip carry a reference number and procedure/topic names, never a name, address or
  birth date; only the certificate shows its holder.
- A checklist item says 済 (done) or 事前入力済 only with the reference number of a submission
  (`ChecklistItem` refuses one without); every other item says where it is done, and carries its
  deadline (with the date counted from the event, when known), documents, fee and, online, a QR
  of its URL. Receipts and claim slips say what comes next: the counter, deadline, what to bring.
- A certificate asked for N copies is N pages, each the whole certificate ("copy n of N");
  what a certificate carries is in `_certificate.py`.
- Validation raises `DocumentDataError` (no asserts); nothing here does I/O.
The shared base is in `_common.py`, the checklist in `_checklist.py`; both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from devices.printer.documents._block import Block
from devices.printer.documents._certificate import (
    CERTIFICATE_MSGIDS,
    CERTIFICATES,
    SAMPLE_MARK,
    CertificateInfo,
    CertificateMember,
    TaxYear,
    certificate,
    is_sample,
)
from devices.printer.documents._checklist import WHERE, ChecklistInfo, ChecklistItem, checklist
from devices.printer.documents._common import (
    DATE_MSGID,
    DATETIME_MSGID,
    DocumentInfo,
    check_next,
    format_date,
    format_datetime,
    header,
    next_steps,
    require_text,
)
from devices.printer.documents._notices import (
    NOTICES_MSGIDS,
    NoticeItem,
    NoticesInfo,
    notices,
)
from devices.printer.documents._payment import (
    PAYMENT_MSGIDS,
    PaymentItem,
    PaymentSlipInfo,
    payment_slip,
)
from devices.printer.errors import DocumentDataError
from madoguchi.core.i18n import Translator

# Names other modules import from here (the checklist and the shared base live in their own).
__all__ = [
    "CERTIFICATES",
    "SAMPLE_MARK",
    "is_sample",
    "INFO_TYPES",
    "KINDS",
    "LOCALE_DIR",
    "MSGIDS",
    "TOPICS",
    "WHERE",
    "CertificateInfo",
    "CertificateMember",
    "ChecklistInfo",
    "ChecklistItem",
    "ClaimSlipInfo",
    "DocumentInfo",
    "PaymentItem",
    "NoticeItem",
    "NoticesInfo",
    "PaymentSlipInfo",
    "ReceiptInfo",
    "SlipInfo",
    "TaxYear",
    "TicketInfo",
    "certificate",
    "check_request",
    "checklist",
    "claim_slip",
    "consultation_slip",
    "format_date",
    "format_datetime",
    "notices",
    "payment_slip",
    "queue_ticket",
    "receipt",
]

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"  # the printer's own labels

TOPICS = {
    "welfare": "Welfare",
    "child-care": "Child care",
    "tax": "Tax",
    "care": "Long-term care",
    "general": "General consultation",
}
COMPLETIONS = ("", "kiosk", "prefill", "office", "online")

MSGIDS: tuple[str, ...] = (
    DATETIME_MSGID,
    DATE_MSGID,
    "Receipt",
    "Reference number",
    "Procedures",
    "Issued",
    "Please keep this receipt. Show the reference number when you contact the city office.",
    "Queue ticket",
    "Your number",
    "Service",
    "People ahead of you: {n}",
    "When this number appears on the calling display, please come to the counter.",
    "Consultation booking",
    "Topic",
    "Date and time",
    "{minutes} minutes",
    "Place",
    "Please come to this center 10 minutes before your booking.",
    "Consultation booking (provisional)",
    "Provisional booking: not confirmed yet. The city confirms it once this terminal"
    " is connected again; if this time is taken, you will be told another time.",
    "To check it: at a kiosk, touch Take a queue ticket, then I have a booking, and"
    " enter this number.",
    *TOPICS.values(),
    "Checklist of procedures",
    "Life event",
    "Done here today (reference number {reference})",
    "Pre-filled here (reference number {reference}). Finish it at: {office}",
    "Can be done at this terminal",
    "We will check at the counter whether you need this.",
    "Pre-fill it at this terminal, then finish it at: {office}",
    "Online at home",
    "At the office: {office}",
    "Deadline: {deadline}",
    "Deadline: {deadline} (by {date})",
    "Bring: {documents}",
    "Fee: {fee} yen",
    "Scan the code to do it online.",
    "What to do next",
    "This procedure is complete. You do not need to go to a counter for it.",
    "Go to: {office}",
    "Collect at: {office}",
    *CERTIFICATE_MSGIDS,
    *PAYMENT_MSGIDS,
    *NOTICES_MSGIDS,
    "Certificate request received",
    "Requested certificate",
    "Your request is saved and will be sent as soon as the connection returns.",
    "Your certificate has been issued and is ready at the counter.",
    "Bring this slip to the counter to collect your certificate.",
    "Test print",
)


@dataclass(frozen=True, kw_only=True)
class ReceiptInfo(DocumentInfo):
    reference: str
    procedures: tuple[str, ...]
    # What comes next for the procedure (from the catalog, in the resident's language):
    # "kiosk" = complete; "prefill"/"office" = go to `office`; "" = not said (e.g. a callback).
    completion: str = ""
    office: str = ""
    deadline: str = ""
    due: date | None = None
    documents: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self, "reference", 64)
        if not self.procedures:
            raise DocumentDataError("ReceiptInfo.procedures must name at least one procedure")
        if self.completion not in COMPLETIONS:
            raise DocumentDataError(f"ReceiptInfo.completion must be one of {COMPLETIONS}")
        if self.completion in ("prefill", "office") and not self.office.strip():
            raise DocumentDataError("ReceiptInfo.office must name the counter to go to")
        check_next(self)


@dataclass(frozen=True, kw_only=True)
class TicketInfo(DocumentInfo):
    ticket_number: str
    service: str = ""
    waiting: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self, "ticket_number", 12)


@dataclass(frozen=True, kw_only=True)
class SlipInfo(DocumentInfo):
    reference: str
    topic: str  # one of TOPICS
    starts_at: datetime
    duration_min: int
    place: str
    # Booked offline: a request central has not confirmed yet (the slip says 仮予約, never
    # "booked", and how to find out at the next visit).
    provisional: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self, "reference", 64)
        require_text(self, "place")
        if self.topic not in TOPICS:
            raise DocumentDataError(f"unknown consultation topic {self.topic!r}")
        if not 0 < self.duration_min <= 480:
            raise DocumentDataError("SlipInfo.duration_min must be 1..480")


@dataclass(frozen=True, kw_only=True)
class ClaimSlipInfo(DocumentInfo):
    certificate_kind: str
    reference: str
    # True: the request waits in the outbox (offline). False: the central side issued the
    # certificate and it is printed at the counter (the kiosk had no holder data to print it).
    queued: bool = True
    office: str = ""  # the counter that hands it over (from the catalog)
    deadline: str = ""
    documents: tuple[str, ...] = ()  # what to bring besides this slip
    fee_yen: int = 0  # what is owed for the copies asked (paid at the counter); 0: not said

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self, "reference", 64)
        if self.certificate_kind not in CERTIFICATES:
            raise DocumentDataError(f"unknown certificate kind {self.certificate_kind!r}")
        if type(self.fee_yen) is not int or not 0 <= self.fee_yen <= 1_000_000:
            raise DocumentDataError("ClaimSlipInfo.fee_yen must be 0..1,000,000")
        check_next(self)


# The one definition of a valid render request, for the in-process renderer and the worker's
# pipe alike: each kind's info class, and the options its render call takes (allowed values).
INFO_TYPES: dict[str, type[DocumentInfo]] = {
    "receipt": ReceiptInfo,
    "queue_ticket": TicketInfo,
    "consultation_slip": SlipInfo,
    "checklist": ChecklistInfo,
    "certificate": CertificateInfo,
    "claim_slip": ClaimSlipInfo,
    "payment_slip": PaymentSlipInfo,
    "notices": NoticesInfo,
}
KINDS: tuple[str, ...] = tuple(INFO_TYPES)
OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {"checklist": {"paper": ("80mm", "A4")}}


def check_request(kind: str, info: object, options: Mapping[str, object]) -> None:
    """DocumentDataError unless `kind` is one of `KINDS`, `info` is exactly its info class, and
    every option is one the kind takes, with an allowed value."""
    cls = INFO_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise DocumentDataError(f"unknown document kind {kind!r}")
    if type(info) is not cls:
        raise DocumentDataError(f"{kind} needs a {cls.__name__}, got {type(info).__name__}")
    allowed = OPTIONS.get(kind, {})
    unknown = set(options) - set(allowed)
    if unknown:
        raise DocumentDataError(f"unknown options for {kind}: {sorted(unknown)}")
    for name, value in options.items():
        if value not in allowed[name]:
            raise DocumentDataError(f"{kind} {name} must be one of {allowed[name]}")


def receipt(t: Translator, info: ReceiptInfo) -> list[Block]:
    blocks = header(t, info, "Receipt")
    blocks.append(Block("field", t.gettext("Reference number"), info.reference, size=16))
    blocks.append(Block("small", t.gettext("Procedures")))
    blocks += [Block("text", f"・{name}") for name in info.procedures]
    going = info.completion in ("prefill", "office")
    blocks += next_steps(
        t,
        complete=info.completion == "kiosk",
        office=info.office if going else "",
        office_msgid="Go to: {office}",
        deadline=info.deadline if going else "",
        due=info.due,
        documents=info.documents if going else (),
    )
    blocks += [
        Block("qr", info.reference),
        Block("rule"),
        Block(
            "small",
            t.gettext(
                "Please keep this receipt. Show the reference number when you contact the city office."
            ),
        ),
    ]
    return blocks


def queue_ticket(t: Translator, info: TicketInfo) -> list[Block]:
    blocks = header(t, info, "Queue ticket")
    blocks.append(Block("small", t.gettext("Your number"), align="C"))
    blocks.append(Block("big", info.ticket_number, size=60))
    if info.service:
        blocks.append(Block("field", t.gettext("Service"), info.service))
    if info.waiting is not None:
        blocks.append(
            Block("text", t.format("People ahead of you: {n}", n=info.waiting), align="C")
        )
    blocks += [
        Block("qr", info.ticket_number, size=22),
        Block("rule"),
        Block(
            "small",
            t.gettext(
                "When this number appears on the calling display, please come to the counter."
            ),
        ),
    ]
    return blocks


def consultation_slip(t: Translator, info: SlipInfo) -> list[Block]:
    title = "Consultation booking (provisional)" if info.provisional else "Consultation booking"
    blocks = header(t, info, title)
    if info.provisional:
        blocks.append(Block("text", t.gettext(
            "Provisional booking: not confirmed yet. The city confirms it once this terminal"
            " is connected again; if this time is taken, you will be told another time."
        )))  # fmt: skip
    blocks += [
        Block("field", t.gettext("Reference number"), info.reference, size=14),
        Block("field", t.gettext("Topic"), t.gettext(TOPICS[info.topic])),
        Block(
            "field",
            t.gettext("Date and time"),
            f"{format_datetime(t, info.starts_at)}  "
            f"({t.format('{minutes} minutes', minutes=info.duration_min)})",
        ),
        Block("field", t.gettext("Place"), info.place),
        Block("qr", info.reference),
        Block("rule"),
        Block("small", t.gettext("Please come to this center 10 minutes before your booking.")),
    ]
    if info.provisional:
        blocks.append(Block("small", t.gettext(
            "To check it: at a kiosk, touch Take a queue ticket, then I have a booking, and"
            " enter this number."
        )))  # fmt: skip
    return blocks


def claim_slip(t: Translator, info: ClaimSlipInfo) -> list[Block]:
    blocks = header(t, info, "Certificate request received")
    blocks += [
        Block(
            "field",
            t.gettext("Requested certificate"),
            t.gettext(CERTIFICATES[info.certificate_kind]),
        ),
        Block("field", t.gettext("Reference number"), info.reference, size=16),
        Block("qr", info.reference),
        Block("rule"),
        Block(
            "text",
            t.gettext("Your request is saved and will be sent as soon as the connection returns.")
            if info.queued
            else t.gettext("Your certificate has been issued and is ready at the counter."),
        ),
        Block("text", t.gettext("Bring this slip to the counter to collect your certificate.")),
    ]
    if info.fee_yen:  # what is owed and where it is paid (issue 20)
        blocks.append(Block("field", t.gettext("Amount to pay"),
                            t.format("{amount} yen", amount=f"{info.fee_yen:,}"), size=14))  # fmt: skip
        if info.office:
            blocks.append(Block("text", t.format("Pay at: {office}", office=info.office)))
    blocks += next_steps(
        t,
        complete=False,
        office=info.office,
        office_msgid="Collect at: {office}",
        deadline=info.deadline,
        due=None,
        documents=info.documents,
    )
    return blocks
