"""The shelter's notices on the roll: what the kiosk's shelter screen shows (water, food, bath
times from city hall's signed config bundle and the center's staff), printed for a resident to
keep.

Invariants: each notice is a kind label and a text already in the reader's language (the kiosk
chose the language the notice has); at most 20 notices of at most 300 characters each, so a
print is bounded; notices carry no personal data (staff are asked not to write any, city hall's
are signed public notices). Validation raises `DocumentDataError`; no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.printer.documents._block import Block
from devices.printer.documents._common import DocumentInfo, header
from devices.printer.errors import DocumentDataError
from madoguchi.core.i18n import Translator

__all__ = ["NOTICES_MSGIDS", "NoticeItem", "NoticesInfo", "notices"]

NOTICES_MSGIDS: tuple[str, ...] = (
    "Notices at this shelter",
    "From city hall",
    "From the staff here",
    "There are no notices now.",
    "Notices change: please check the screen again later.",
)


@dataclass(frozen=True, kw_only=True)
class NoticeItem:
    kind: str  # the kind's label in the reader's language (給水, Water, ...)
    text: str
    city: bool = False  # from city hall (signed), else from the center's staff

    def __post_init__(self) -> None:
        for name, limit in (("kind", 40), ("text", 300)):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                raise DocumentDataError(f"NoticeItem.{name} must be 1..{limit} characters")
            if not value.isprintable():
                raise DocumentDataError(f"NoticeItem.{name} must be one printable line")


@dataclass(frozen=True, kw_only=True)
class NoticesInfo(DocumentInfo):
    items: tuple[NoticeItem, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.items) > 20:
            raise DocumentDataError("NoticesInfo.items: at most 20 notices")


def notices(t: Translator, info: NoticesInfo) -> list[Block]:
    blocks = header(t, info, "Notices at this shelter")
    if not info.items:
        blocks.append(Block("text", t.gettext("There are no notices now.")))
    for item in info.items:
        source = t.gettext("From city hall" if item.city else "From the staff here")
        blocks += [
            Block("field", item.kind, source),
            Block("text", item.text),
            Block("rule"),
        ]
    blocks.append(Block("small", t.gettext("Notices change: please check the screen again later.")))
    return blocks
