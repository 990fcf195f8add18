"""Make Noto Sans CJK Kivy's default font, so every kiosk language draws glyphs, not boxes.

Screens draw with the compact copies of the font (regular and bold, ~23,500 characters: every
catalog and screen text of the seven languages, all of JIS X 0208, GB 2312 and KS X 1001; built by
`madoguchi build-print-font`, see docs/printer.md) when both are in the font cache: SDL_ttf opens
the font file once per face and size the screens use, ~1 MB each on a copy against ~2.5 MB on the
19 MB collection (docs/benchmarks.md). A text with a character outside the copies (a rare kanji
such as 𠮷 in a name read from the card) is drawn with the full collection (`font_for`), so the
screen never shows a box where the full font has the glyph. Without the copies everything draws
with the full collection, as before.
"""

from __future__ import annotations

from functools import lru_cache

from devices.fonts import cjk_font_path

__all__ = ["FULL_FONT", "font_for", "register_fonts"]

FULL_FONT = "MadoguchiFullCJK"  # the whole collection, for texts the copies lack a character of

_compact = [False]  # whether the default font is the compact copies (set by register_fonts)


def register_fonts() -> None:
    """Register the CJK font as Kivy's default (Roboto has no CJK, Hangul or 𠮷): the compact
    copies when both are built, and the full collection under `FULL_FONT`."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    regular, bold = cjk_font_path("regular"), cjk_font_path("bold")
    LabelBase.register(FULL_FONT, fn_regular=str(regular), fn_bold=str(bold))
    copies = _compact_copies(regular, bold)
    _compact[0] = copies is not None
    fn_regular, fn_bold = copies if copies is not None else (regular, bold)
    LabelBase.register(DEFAULT_FONT, fn_regular=str(fn_regular), fn_bold=str(fn_bold))


def font_for(text: str) -> str:
    """The font name a label with this text draws with: Kivy's default, or `FULL_FONT` when the
    default is the compact copies and the text has a character they do not hold."""
    from kivy.core.text import DEFAULT_FONT

    if _compact[0] and text and not all(_in_copy(ch) for ch in set(text)):
        return FULL_FONT
    return DEFAULT_FONT


@lru_cache(maxsize=8192)
def _in_copy(ch: str) -> bool:
    from devices.fonts import in_repertoire

    return ch in "\n\t" or in_repertoire(ord(ch))


def _compact_copies(regular, bold):
    from devices.fonts import compact_font_path

    try:
        paths = compact_font_path(source=regular), compact_font_path(source=bold)
    except OSError:
        return None
    return paths if all(p.is_file() for p in paths) else None
