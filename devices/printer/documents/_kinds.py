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
- A certificate asked for N copies is N pages, each the whole certificate ("copy n of N").
- Validation raises `DocumentDataError` (no asserts); nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from devices.printer.documents._block import Block
from devices.printer.errors import DocumentDataError
from madoguchi.i18n import LANGUAGES, Translator

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"  # the printer's own labels
_DATETIME = "{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"
_DATE = "{year}-{month:02d}-{day:02d}"

TOPICS = {
    "welfare": "Welfare",
    "child-care": "Child care",
    "tax": "Tax",
    "care": "Long-term care",
    "general": "General consultation",
}
CERTIFICATES = {
    "residence": "Certificate of residence",
    "seal": "Certificate of seal registration",
    "tax": "Tax certificate",
}
# Where a checklist item stands: done/prefilled (this visit, with a reference) or where it is done.
WHERE = ("done", "prefilled", "here", "prefill", "office", "online")
COMPLETIONS = ("", "kiosk", "prefill", "office", "online")
MAX_COPIES = 20

MSGIDS: tuple[str, ...] = (
    _DATETIME,
    _DATE,
    "Receipt",
    "Reference number",
    "Procedures",
    "Issued",
    "Please keep this receipt. Show the reference number when you contact the city office.",
    "Queue ticket",
    "Your number",
    "Service",
    "People ahead of you: {n}",
    "Please wait until your number is called.",
    "Consultation booking",
    "Topic",
    "Date and time",
    "{minutes} minutes",
    "Place",
    "Please come to this center 10 minutes before your booking.",
    *TOPICS.values(),
    "Checklist of procedures",
    "Life event",
    "Done here today (reference number {reference})",
    "Pre-filled here (reference number {reference}). Finish it at: {office}",
    "Can be done at this terminal",
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
    "Copy {n} of {total}",
    *CERTIFICATES.values(),
    "Name",
    "Address",
    "Date of birth",
    "Issued by",
    "Verification code",
    "Check this certificate with the verification code on the city website.",
    "Certificate request received",
    "Requested certificate",
    "Your request is saved and will be sent as soon as the connection returns.",
    "Your certificate has been issued and is ready at the counter.",
    "Bring this slip to the counter to collect your certificate.",
    "Test print",
)


@dataclass(frozen=True, kw_only=True)
class DocumentInfo:
    """What every document carries: language, city and center, when it was issued."""

    language: str
    city_name: str
    center_name: str
    issued_at: datetime

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise DocumentDataError(f"unknown language {self.language!r}")
        for name in ("city_name", "center_name"):
            _require_text(self, name)


def _require_text(info: object, name: str, limit: int = 200) -> None:
    value = getattr(info, name)
    if not isinstance(value, str) or not value.strip():
        raise DocumentDataError(f"{type(info).__name__}.{name} must be non-empty text")
    if len(value) > limit:
        raise DocumentDataError(f"{type(info).__name__}.{name} longer than {limit} characters")


def _check_next(info: object) -> None:
    """The 'what next' fields shared by receipts and claim slips (all optional)."""
    for name in ("office", "deadline"):
        if len(getattr(info, name)) > 200:
            raise DocumentDataError(f"{type(info).__name__}.{name} longer than 200 characters")
    docs = info.documents  # type: ignore[attr-defined]
    if len(docs) > 20 or not all(isinstance(d, str) and d.strip() and len(d) <= 200 for d in docs):
        raise DocumentDataError(f"{type(info).__name__}.documents must be up to 20 short texts")


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
        _require_text(self, "reference", 64)
        if not self.procedures:
            raise DocumentDataError("ReceiptInfo.procedures must name at least one procedure")
        if self.completion not in COMPLETIONS:
            raise DocumentDataError(f"ReceiptInfo.completion must be one of {COMPLETIONS}")
        if self.completion in ("prefill", "office") and not self.office.strip():
            raise DocumentDataError("ReceiptInfo.office must name the counter to go to")
        _check_next(self)


@dataclass(frozen=True, kw_only=True)
class TicketInfo(DocumentInfo):
    ticket_number: str
    service: str = ""
    waiting: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "ticket_number", 12)


@dataclass(frozen=True, kw_only=True)
class SlipInfo(DocumentInfo):
    reference: str
    topic: str  # one of TOPICS
    starts_at: datetime
    duration_min: int
    place: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "reference", 64)
        _require_text(self, "place")
        if self.topic not in TOPICS:
            raise DocumentDataError(f"unknown consultation topic {self.topic!r}")
        if not 0 < self.duration_min <= 480:
            raise DocumentDataError("SlipInfo.duration_min must be 1..480")


@dataclass(frozen=True)
class ChecklistItem:
    name: str  # in the resident's language
    where: str  # one of WHERE
    office: str = ""
    name_ja: str = ""  # the Japanese name, printed beside a translated one for staff
    reference: str = ""  # done / prefilled: the submission's reference number
    deadline: str = ""
    due: date | None = None  # the deadline's last day, counted from the event date
    documents: tuple[str, ...] = ()
    fee_yen: int = 0
    url: str = ""  # online: printed as a QR code

    def __post_init__(self) -> None:
        if self.where not in WHERE:
            raise DocumentDataError(f"ChecklistItem.where must be one of {WHERE}")
        _require_text(self, "name")
        if self.where in ("done", "prefilled"):
            # 済 without the submission's reference number is exactly the lie of issue 20.
            _require_text(self, "reference", 64)
        if self.where in ("prefill", "prefilled") and not self.office.strip():
            raise DocumentDataError("ChecklistItem.office must name the counter that finishes it")
        if type(self.fee_yen) is not int or self.fee_yen < 0:
            raise DocumentDataError("ChecklistItem.fee_yen must be whole yen, not negative")
        if self.url and (not self.url.startswith("https://") or len(self.url) > 300):
            raise DocumentDataError("ChecklistItem.url must be an https URL")
        for name in ("office", "name_ja", "deadline"):
            if len(getattr(self, name)) > 200:
                raise DocumentDataError(f"ChecklistItem.{name} longer than 200 characters")
        if len(self.documents) > 20 or not all(
            isinstance(d, str) and d.strip() and len(d) <= 200 for d in self.documents
        ):
            raise DocumentDataError("ChecklistItem.documents must be up to 20 short texts")


@dataclass(frozen=True, kw_only=True)
class ChecklistInfo(DocumentInfo):
    life_event: str  # already in the resident's language (from the catalog)
    items: tuple[ChecklistItem, ...]
    reference: str = ""
    event_date: date | None = None  # the date the resident gave; deadlines count from it
    event_date_label: str = ""  # what that date is (引っ越した日), from the catalog

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "life_event")
        if not self.items:
            raise DocumentDataError("ChecklistInfo.items must not be empty")
        if len(self.items) > 60:
            raise DocumentDataError("ChecklistInfo.items: more than 60")
        if self.event_date is not None:
            _require_text(self, "event_date_label")


@dataclass(frozen=True, kw_only=True)
class CertificateInfo(DocumentInfo):
    certificate_kind: str  # one of CERTIFICATES
    reference: str
    holder_name: str
    holder_address: str
    holder_birth_date: date
    issuer: str  # e.g. "豊橋市長 山田太郎" — the "issued by" block
    verification_code: str
    body: tuple[tuple[str, str], ...] = field(default=())  # extra (label, value) lines
    copies: int = 1  # the number asked (and charged): one page per copy

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.certificate_kind not in CERTIFICATES:
            raise DocumentDataError(f"unknown certificate kind {self.certificate_kind!r}")
        for name in ("reference", "holder_name", "holder_address", "issuer", "verification_code"):
            _require_text(self, name)
        if type(self.copies) is not int or not 1 <= self.copies <= MAX_COPIES:
            raise DocumentDataError(f"CertificateInfo.copies must be 1..{MAX_COPIES}")


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

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "reference", 64)
        if self.certificate_kind not in CERTIFICATES:
            raise DocumentDataError(f"unknown certificate kind {self.certificate_kind!r}")
        _check_next(self)


# The one definition of a valid render request, for the in-process renderer and the worker's
# pipe alike: each kind's info class, and the options its render call takes (allowed values).
INFO_TYPES: dict[str, type[DocumentInfo]] = {
    "receipt": ReceiptInfo,
    "queue_ticket": TicketInfo,
    "consultation_slip": SlipInfo,
    "checklist": ChecklistInfo,
    "certificate": CertificateInfo,
    "claim_slip": ClaimSlipInfo,
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


def format_datetime(t: Translator, when: datetime) -> str:
    return t.format(
        _DATETIME,
        year=when.year,
        month=when.month,
        day=when.day,
        hour=when.hour,
        minute=when.minute,
    )


def format_date(t: Translator, when: date) -> str:
    return t.format(_DATE, year=when.year, month=when.month, day=when.day)


def _header(t: Translator, info: DocumentInfo, title: str) -> list[Block]:
    return [
        Block("small", f"{info.city_name}  {info.center_name}", align="C"),
        Block("heading", t.gettext(title)),
        Block("small", f"{t.gettext('Issued')}: {format_datetime(t, info.issued_at)}", align="C"),
        Block("rule"),
    ]


def _join(t: Translator, texts: tuple[str, ...]) -> str:
    """A list in running text: 、 in Japanese and Chinese, a comma elsewhere."""
    return ("、" if t.language in ("ja", "ja-easy", "zh-Hans") else ", ").join(texts)


def _deadline(t: Translator, deadline: str, due: date | None) -> str:
    if due is not None:
        return t.format(
            "Deadline: {deadline} (by {date})", deadline=deadline, date=format_date(t, due)
        )
    return t.format("Deadline: {deadline}", deadline=deadline)


def _next_steps(
    t: Translator,
    *,
    complete: bool,
    office: str,
    office_msgid: str,
    deadline: str,
    due: date | None,
    documents: tuple[str, ...],
) -> list[Block]:
    """The 'what to do next' section of a receipt or claim slip; empty when nothing is known."""
    lines = []
    if complete:
        lines.append(
            t.gettext("This procedure is complete. You do not need to go to a counter for it.")
        )
    if office:
        lines.append(t.format(office_msgid, office=office))
    if deadline:
        lines.append(_deadline(t, deadline, due))
    if documents:
        lines.append(t.format("Bring: {documents}", documents=_join(t, documents)))
    if not lines:
        return []
    return [Block("rule"), Block("small", t.gettext("What to do next"))] + [
        Block("text", line) for line in lines
    ]


def receipt(t: Translator, info: ReceiptInfo) -> list[Block]:
    blocks = _header(t, info, "Receipt")
    blocks.append(Block("field", t.gettext("Reference number"), info.reference, size=16))
    blocks.append(Block("small", t.gettext("Procedures")))
    blocks += [Block("text", f"・{name}") for name in info.procedures]
    going = info.completion in ("prefill", "office")
    blocks += _next_steps(
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
    blocks = _header(t, info, "Queue ticket")
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
        Block("small", t.gettext("Please wait until your number is called.")),
    ]
    return blocks


def consultation_slip(t: Translator, info: SlipInfo) -> list[Block]:
    blocks = _header(t, info, "Consultation booking")
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
    return blocks


def _item_state(t: Translator, item: ChecklistItem) -> str:
    office = item.office or "-"
    if item.where == "done":
        return t.format("Done here today (reference number {reference})", reference=item.reference)
    if item.where == "prefilled":
        return t.format(
            "Pre-filled here (reference number {reference}). Finish it at: {office}",
            reference=item.reference,
            office=office,
        )
    if item.where == "here":
        return t.gettext("Can be done at this terminal")
    if item.where == "prefill":
        return t.format("Pre-fill it at this terminal, then finish it at: {office}", office=office)
    if item.where == "online":
        return t.gettext("Online at home")
    return t.format("At the office: {office}", office=office)


def checklist(t: Translator, info: ChecklistInfo) -> list[Block]:
    blocks = _header(t, info, "Checklist of procedures")
    blocks.append(Block("field", t.gettext("Life event"), info.life_event))
    if info.event_date is not None:
        blocks.append(Block("field", info.event_date_label, format_date(t, info.event_date)))
    for item in info.items:
        name = item.name
        if item.name_ja and item.name_ja != item.name:
            name = f"{item.name}（{item.name_ja}）"
        kind = "item_done" if item.where in ("done", "prefilled") else "item"
        blocks.append(Block(kind, name, _item_state(t, item)))
        if item.where == "done":
            continue  # nothing left to do for it: no deadline or documents to chase
        if item.deadline:
            blocks.append(Block("detail", _deadline(t, item.deadline, item.due)))
        if item.documents:
            blocks.append(
                Block("detail", t.format("Bring: {documents}", documents=_join(t, item.documents)))
            )
        if item.fee_yen:
            blocks.append(Block("detail", t.format("Fee: {fee} yen", fee=f"{item.fee_yen:,}")))
        if item.where == "online" and item.url:
            blocks += [
                Block("detail", t.gettext("Scan the code to do it online.")),
                Block("qr", item.url, size=22),
            ]
    if info.reference:
        blocks += [
            Block("field", t.gettext("Reference number"), info.reference),
            Block("qr", info.reference, size=24),
        ]
    return blocks


def certificate(t: Translator, info: CertificateInfo) -> list[Block]:
    """The certificate; asked for N copies, N pages each holding the whole certificate."""
    one = _certificate_copy(t, info)
    if info.copies == 1:
        return one
    blocks: list[Block] = []
    for n in range(1, info.copies + 1):
        if n > 1:
            blocks.append(Block("page"))
        blocks.append(
            Block("small", t.format("Copy {n} of {total}", n=n, total=info.copies), align="R")
        )
        blocks += one
    return blocks


def _certificate_copy(t: Translator, info: CertificateInfo) -> list[Block]:
    blocks = [
        Block("small", f"{info.city_name}  {info.center_name}", align="R"),
        Block("heading", t.gettext(CERTIFICATES[info.certificate_kind]), size=22),
        Block("rule"),
        Block("field", t.gettext("Name"), info.holder_name, size=14),
        Block("field", t.gettext("Address"), info.holder_address, size=13),
        Block("field", t.gettext("Date of birth"), format_date(t, info.holder_birth_date)),
    ]
    blocks += [Block("field", label, value) for label, value in info.body]
    blocks += [
        Block("field", t.gettext("Reference number"), info.reference),
        Block("gap", size=6),
        Block(
            "box",
            f"{t.gettext('Issued by')}  ({format_datetime(t, info.issued_at)})",
            info.issuer,
            size=15,
        ),
        Block("gap", size=4),
        Block("field", t.gettext("Verification code"), info.verification_code, size=16),
        Block("qr", info.reference, size=30),
        Block(
            "small",
            t.gettext("Check this certificate with the verification code on the city website."),
        ),
    ]
    return blocks


def claim_slip(t: Translator, info: ClaimSlipInfo) -> list[Block]:
    blocks = _header(t, info, "Certificate request received")
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
    blocks += _next_steps(
        t,
        complete=False,
        office=info.office,
        office_msgid="Collect at: {office}",
        deadline=info.deadline,
        due=None,
        documents=info.documents,
    )
    return blocks
