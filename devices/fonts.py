"""Where the fonts that draw every kiosk language live (Kivy screens and printed PDFs).

Noto Sans CJK (Debian `fonts-noto-cjk`) covers Japanese, Chinese, Korean, Latin with Vietnamese
diacritics and CJK Extension B (e.g. 𠮷) in one collection; index 0 of the .ttc is the Japanese
face, which is what a Japanese city hall prints. No I/O happens at import time.
"""

from __future__ import annotations

from pathlib import Path

from madoguchi.errors import MadoguchiError

__all__ = ["FontMissingError", "cjk_font_path"]

_CANDIDATES = {
    "regular": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf",
    ),
    "bold": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Bold.otf",
    ),
}


class FontMissingError(MadoguchiError):
    """The CJK font is not installed (Debian package fonts-noto-cjk)."""


def cjk_font_path(weight: str = "regular") -> Path:
    """Path of the installed Noto Sans CJK font of that weight ("regular" or "bold")."""
    for candidate in _CANDIDATES[weight]:
        path = Path(candidate)
        if path.is_file():
            return path
    raise FontMissingError(
        f"no Noto Sans CJK {weight} font found; install the Debian package fonts-noto-cjk"
    )
