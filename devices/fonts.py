"""Where the fonts that draw every kiosk language live (Kivy screens and printed PDFs).

Noto Sans CJK (Debian `fonts-noto-cjk`) covers Japanese, Chinese, Korean, Latin with Vietnamese
diacritics and CJK Extension B (e.g. 𠮷) in one collection; index 0 of the .ttc is the Japanese
face, which is what a Japanese city hall prints. No I/O happens at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

from devices.errors import FontMissingError

__all__ = ["FontMissingError", "cjk_font_path", "font_cache_dir"]

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


def cjk_font_path(weight: str = "regular") -> Path:
    """Path of the installed Noto Sans CJK font of that weight ("regular" or "bold")."""
    for candidate in _CANDIDATES[weight]:
        path = Path(candidate)
        if path.is_file():
            return path
    raise FontMissingError(
        f"no Noto Sans CJK {weight} font found; install the Debian package fonts-noto-cjk"
    )


def font_cache_dir() -> Path:
    """Where derived fonts (the printer's compact copy) are kept: `$MADOGUCHI_FONT_CACHE`, else
    `$XDG_CACHE_HOME/madoguchi/fonts` (~/.cache/madoguchi/fonts). Devices set the variable to
    /var/cache/madoguchi/fonts, filled by the image build."""
    explicit = os.environ.get("MADOGUCHI_FONT_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "madoguchi" / "fonts"
