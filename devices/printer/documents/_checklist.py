"""The checklist document: each item's true state (済 / 事前入力済 only with the reference number
of a submission; otherwise where it is done), its deadline with the date counted from the event
date, what to bring, the fee, a QR of an online procedure's URL, and the Japanese name beside a
translated one for staff. Pure: infos in, blocks out; validation raises `DocumentDataError`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from devices.printer.documents._block import Block
from devices.printer.documents._common import (
    DocumentInfo,
    deadline_line,
    format_date,
    header,
    join_texts,
    require_text,
)
from devices.printer.errors import DocumentDataError
from madoguchi.core.i18n import Translator

# An item on the list only because the resident answered 「わからない」 (review A12).
CONFIRM_LINE = "We will check at the counter whether you need this."

# Where a checklist item stands: done/prefilled (this visit, with a reference) or where it is done.
WHERE = ("done", "prefilled", "here", "prefill", "office", "online")


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
    confirm: bool = False  # kept by a 「わからない」: the counter checks whether it is needed

    def __post_init__(self) -> None:
        if self.where not in WHERE:
            raise DocumentDataError(f"ChecklistItem.where must be one of {WHERE}")
        require_text(self, "name")
        if self.where in ("done", "prefilled"):
            # 済 without the submission's reference number is exactly the lie of issue 20.
            require_text(self, "reference", 64)
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
        require_text(self, "life_event")
        if not self.items:
            raise DocumentDataError("ChecklistInfo.items must not be empty")
        if len(self.items) > 60:
            raise DocumentDataError("ChecklistInfo.items: more than 60")
        if self.event_date is not None:
            require_text(self, "event_date_label")


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
    blocks = header(t, info, "Checklist of procedures")
    blocks.append(Block("field", t.gettext("Life event"), info.life_event))
    if info.event_date is not None:
        blocks.append(Block("field", info.event_date_label, format_date(t, info.event_date)))
    for item in info.items:
        name = item.name
        if item.name_ja and item.name_ja != item.name:
            name = f"{item.name}（{item.name_ja}）"
        kind = "item_done" if item.where in ("done", "prefilled") else "item"
        blocks.append(Block(kind, name, _item_state(t, item)))
        if item.confirm and item.where not in ("done", "prefilled"):
            blocks.append(Block("detail", t.gettext(CONFIRM_LINE)))
        if item.where == "done":
            continue  # nothing left to do for it: no deadline or documents to chase
        if item.deadline:
            blocks.append(Block("detail", deadline_line(t, item.deadline, item.due)))
        if item.documents:
            blocks.append(
                Block(
                    "detail",
                    t.format("Bring: {documents}", documents=join_texts(t, item.documents)),
                )
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
