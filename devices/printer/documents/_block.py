"""Layout blocks: what a composer (`_kinds.py`) produces and `_layout.py` draws. Pure data, no
PDF library, so composing and validating a document needs no fpdf2 (the kiosk's UI process
builds document infos without ever loading the PDF stack)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_IMAGE_KINDS = frozenset({"image", "seal"})


@dataclass(frozen=True)
class Block:
    """One layout element. kind: heading | text | small | field | big | qr | rule | gap | item |
    item_done (its box ticked) | detail (a small line under an item, indented with it) | page
    (a new A4 page) | row (label `text` and `value` on one line) | image (a base64 PNG in `value`, `size` mm wide, centred) | seal (the
    mayor's name in `text`, right-aligned, the official seal's base64 PNG in `value` over its
    end) | watermark (`text` stamped diagonally on this page and every later one; a newline
    splits the large first line from the rest)."""

    kind: str
    text: str = ""
    value: str = ""
    size: float = 0.0
    align: str = ""  # "" = the kind's default


def collect_chars(blocks: Iterable[Block]) -> set[str]:
    chars: set[str] = set()
    for block in blocks:
        chars.update(block.text)
        if block.kind not in _IMAGE_KINDS:  # base64, never drawn as text
            chars.update(block.value)
    return chars
