"""Where the fonts that draw every kiosk language live (Kivy screens and printed PDFs).

Noto Sans CJK (Debian `fonts-noto-cjk`) covers Japanese, Chinese, Korean, Latin with Vietnamese
diacritics and CJK Extension B (e.g. 𠮷) in one collection; index 0 of the .ttc is the Japanese
face, which is what a Japanese city hall prints. No I/O happens at import time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from devices.errors import FontMissingError

__all__ = [
    "REPERTOIRE_VERSION",
    "FontMissingError",
    "cjk_font_path",
    "compact_font_path",
    "font_cache_dir",
    "in_repertoire",
]

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


# The compact copies (devices.printer.documents._compact builds them): what they keep, where.
REPERTOIRE_VERSION = 1
_RANGES = (
    (0x0020, 0x024F),  # Basic Latin .. Latin Extended-B
    (0x0300, 0x036F),  # combining diacritical marks (Vietnamese)
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2000, 0x2BFF),  # punctuation, letterlike, numbers, arrows, math, shapes, symbols
    (0x3000, 0x30FF),  # CJK symbols and punctuation, hiragana, katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0xFF00, 0xFFEF),  # half-width and full-width forms
)
_ENCODINGS = ("shift_jis", "gb2312", "euc_kr")


def in_repertoire(code: int) -> bool:
    """Whether the compact font keeps this code point (when the source font has it)."""
    if any(lo <= code <= hi for lo, hi in _RANGES):
        return True
    ch = chr(code)
    for encoding in _ENCODINGS:
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            continue
        return True
    return False


def _fingerprint(source: Path, face: int) -> str:
    stat = source.stat()
    seed = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{face}|{REPERTOIRE_VERSION}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def compact_font_path(
    cache_dir: Path | None = None, source: Path | None = None, face: int = 0
) -> Path:
    """Where the compact copy of `source` (default: the installed Noto CJK) lives."""
    source = Path(source) if source is not None else cjk_font_path("regular")
    directory = Path(cache_dir) if cache_dir is not None else font_cache_dir()
    return directory / f"print-cjk-{_fingerprint(source, face)}.otf"
