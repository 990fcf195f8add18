"""What every printed document shares: the `DocumentInfo` base (language, city, center, issue
time), text checks, date formats, the header, and the "what to do next" lines of receipts and
claim slips. Pure: no I/O; validation raises `DocumentDataError`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from devices.printer.documents._block import Block
from devices.printer.errors import DocumentDataError
from madoguchi.core.i18n import LANGUAGES, Translator

DATETIME_MSGID = "{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"
DATE_MSGID = "{year}-{month:02d}-{day:02d}"


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
            require_text(self, name)


def require_text(info: object, name: str, limit: int = 200) -> None:
    value = getattr(info, name)
    if not isinstance(value, str) or not value.strip():
        raise DocumentDataError(f"{type(info).__name__}.{name} must be non-empty text")
    if len(value) > limit:
        raise DocumentDataError(f"{type(info).__name__}.{name} longer than {limit} characters")


def check_next(info: object) -> None:
    """The 'what next' fields shared by receipts and claim slips (all optional)."""
    for name in ("office", "deadline"):
        if len(getattr(info, name)) > 200:
            raise DocumentDataError(f"{type(info).__name__}.{name} longer than 200 characters")
    docs = info.documents  # type: ignore[attr-defined]
    if len(docs) > 20 or not all(isinstance(d, str) and d.strip() and len(d) <= 200 for d in docs):
        raise DocumentDataError(f"{type(info).__name__}.documents must be up to 20 short texts")


def format_datetime(t: Translator, when: datetime) -> str:
    return t.format(
        DATETIME_MSGID,
        year=when.year,
        month=when.month,
        day=when.day,
        hour=when.hour,
        minute=when.minute,
    )


def format_date(t: Translator, when: date) -> str:
    return t.format(DATE_MSGID, year=when.year, month=when.month, day=when.day)


def header(t: Translator, info: DocumentInfo, title: str) -> list[Block]:
    return [
        Block("small", f"{info.city_name}  {info.center_name}", align="C"),
        Block("heading", t.gettext(title)),
        Block("small", f"{t.gettext('Issued')}: {format_datetime(t, info.issued_at)}", align="C"),
        Block("rule"),
    ]


def join_texts(t: Translator, texts: tuple[str, ...]) -> str:
    """A list in running text: 、 in Japanese and Chinese, a comma elsewhere."""
    return ("、" if t.language in ("ja", "ja-easy", "zh-Hans") else ", ").join(texts)


def deadline_line(t: Translator, deadline: str, due: date | None) -> str:
    if due is not None:
        return t.format(
            "Deadline: {deadline} (by {date})", deadline=deadline, date=format_date(t, due)
        )
    return t.format("Deadline: {deadline}", deadline=deadline)


def next_steps(
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
        lines.append(deadline_line(t, deadline, due))
    if documents:
        lines.append(t.format("Bring: {documents}", documents=join_texts(t, documents)))
    if not lines:
        return []
    return [Block("rule"), Block("small", t.gettext("What to do next"))] + [
        Block("text", line) for line in lines
    ]
