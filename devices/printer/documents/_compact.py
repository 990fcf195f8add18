"""A compact copy of the print font: the Noto CJK face cut down to the characters documents
use nearly always, so the render worker parses a ~24k-glyph font instead of 65,535 glyphs
(measured: the worker holds ~86 MB instead of ~134 MB).

The repertoire: Latin with Vietnamese and combining marks, punctuation and symbols, kana,
full-width forms, and every character of JIS X 0208 (Shift_JIS), GB 2312 and KS X 1001 (EUC-KR):
all the kanji of ordinary Japanese names and addresses, the hanzi of simplified Chinese and the
common Hangul. Anything else (a rare kanji like 𠮷 in a name, a Hangul syllable outside KS X 1001)
is taken from the full face, which `FontSource` then loads on first need: coverage never shrinks.

Built once (about a minute) by `madoguchi build-print-font` — by `make` for development and by
the image build for devices — into the font cache directory (`devices.fonts.font_cache_dir`).
The file name carries a fingerprint of the source font (path, size, mtime, face) and of the
repertoire, so a font package upgrade makes the old copy unused rather than wrong. Glyph
outlines, metrics and names are the source's own (fontTools' subsetter keeps CID names), so a
document looks the same with either font. The file holds a public font only, no personal data.
"""

from __future__ import annotations

import time
from io import BytesIO
from pathlib import Path

# The repertoire and where copies live are in devices.fonts (the kiosk's screens use the
# copies too, without importing the document package).
from devices.fonts import (
    REPERTOIRE_VERSION,
    cjk_font_path,
    compact_font_path,
    in_repertoire,
)
from madoguchi.core.durable import write_atomic

__all__ = ["REPERTOIRE_VERSION", "build_compact_font", "compact_font_path", "in_repertoire"]


def build_compact_font(
    cache_dir: Path | None = None,
    source: Path | None = None,
    face: int = 0,
    *,
    keep: set[int] | None = None,
) -> tuple[Path, dict]:
    """Write the compact font (atomically) and return (path, facts). `keep` replaces the
    repertoire (tests use a small one: the subsetter's time grows with the glyphs kept)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    source = Path(source) if source is not None else cjk_font_path("regular")
    dest = compact_font_path(cache_dir, source, face)
    # Before the minute of subsetting: a cache directory that cannot be made fails at once.
    dest.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    font = TTFont(str(source), fontNumber=face)
    codes = font.getBestCmap()
    wanted = sorted(c for c in codes if (c in keep if keep is not None else in_repertoire(c)))
    options = subset.Options()
    options.layout_features = []  # documents map characters to glyphs directly
    options.drop_tables += ["GSUB", "GPOS", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    options.hinting = False  # printed at 300+ dpi
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    write_atomic(dest, out.getvalue(), mode=0o644)  # a public font: other users read it
    facts = {
        "path": str(dest),
        "characters": len(wanted),
        "source_characters": len(codes),
        "glyphs": len(font.getGlyphOrder()),
        "bytes": len(out.getvalue()),
        "seconds": round(time.monotonic() - started, 1),
    }
    return dest, facts
