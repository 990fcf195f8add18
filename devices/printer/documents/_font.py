"""The CJK font, parsed once per process, cut into a tiny per-document TrueType subset.

Why not hand fpdf2 the Noto Sans CJK collection directly: fpdf2 re-reads the 65,535-glyph CFF
font for every document (cmap, metrics, charset: ~0.5 s here) and then runs the fontTools
subsetter on all of it (~0.5 s). Here the face is opened once (`FontSource`), each glyph a
document needs is drawn once into a quadratic TrueType outline (cu2qu) and cached, and each
document gets a font holding only its own characters (a few kB), which fpdf2 then embeds.

Invariants:
- The master font is read lazily, exactly once per `FontSource`; nothing happens at import.
  When the compact copy exists (`_compact.py`) it is the master, and the full face is read only
  if a document needs a character the copy lacks.
- The per-document font is built in memory and never written to disk (the set of glyphs of a
  certificate would reveal the holder's name).
- Characters the font lacks are reported by `missing()`; they print as the .notdef box.
- Thread-safe: one lock guards the glyph cache and the master font.
"""

from __future__ import annotations

import threading
import unicodedata
from io import BytesIO
from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

from devices.fonts import cjk_font_path

__all__ = ["FontSource"]

_FAMILY = "MadoguchiCJK"
# Max distance (font units of 1000/em) between the cubic outline and its quadratic copy:
# far below one printer dot at any size we print.
_CU2QU_TOLERANCE = 1.0


class _Face:
    """One parsed face: what building documents needs from it, indexed once."""

    def __init__(self, path: Path, face: int, tag: str) -> None:
        font = TTFont(str(path), fontNumber=face, lazy=True)
        self.tag = tag  # prefixes glyph names in documents: faces' glyph ids differ
        self.font = font
        self.cmap = font.getBestCmap()
        self.hmtx = font["hmtx"].metrics
        self.glyph_set = font.getGlyphSet()
        self.upem = font["head"].unitsPerEm
        hhea, os2, head = font["hhea"], font["OS/2"], font["head"]
        self.bbox = (head.xMin, head.yMin, head.xMax, head.yMax)
        self.vertical = {
            "ascent": hhea.ascent,
            "descent": hhea.descent,
            "typo_asc": os2.sTypoAscender,
            "typo_desc": os2.sTypoDescender,
            "win_asc": os2.usWinAscent,
            "win_desc": os2.usWinDescent,
            "cap": getattr(os2, "sCapHeight", 733),
            "x_height": getattr(os2, "sxHeight", 543),
        }


class FontSource:
    """The print font, loaded once; `subset_font(chars)` → TrueType bytes.

    With `compact="auto"` (the default, for the installed Noto CJK) the compact copy built by
    `madoguchi build-print-font` is used when present (see `_compact.py`); a character it
    lacks is taken from the full face, loaded on first need. `compact=False` always uses the
    full face; a path uses that compact file."""

    def __init__(
        self, path: Path | None = None, face: int = 0, compact: str | Path | bool = "auto"
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.face = face
        self._compact_setting = compact
        self._lock = threading.Lock()
        self._primary: _Face | None = None  # the compact copy, or the full face
        self._full: _Face | None = None  # the full face (the primary when there is no copy)
        self._glyphs: dict[tuple[str, str], bytes] = {}

    @property
    def compact_path(self) -> Path | None:
        """The compact font this source uses (None: the full face only)."""
        setting = self._compact_setting
        if setting is False or setting is None:
            return None
        if setting != "auto":
            return Path(setting)
        if self.path is not None:
            return None  # an explicit font: no copy of it is assumed
        from devices.printer.documents._compact import compact_font_path

        try:
            candidate = compact_font_path(face=self.face)
        except OSError:
            return None
        return candidate if candidate.is_file() else None

    @property
    def uses_compact(self) -> bool:
        with self._lock:
            self._ensure()
            return self._primary is not self._full

    @property
    def full_loaded(self) -> bool:
        return self._full is not None

    def load(self) -> FontSource:
        """Open and index the font now (otherwise on first use)."""
        with self._lock:
            self._ensure()
        return self

    def _ensure(self) -> _Face:
        if self._primary is None:
            compact = self.compact_path
            if compact is not None:
                self._primary = _Face(compact, 0, "c")
            else:
                self._primary = self._ensure_full()
        return self._primary

    def _ensure_full(self) -> _Face:
        if self._full is None:
            self._full = _Face(self.path or cjk_font_path("regular"), self.face, "g")
        return self._full

    def _lookup(self, code: int) -> tuple[_Face, str] | None:
        """The face and glyph for a code point: the primary face, else the full one."""
        primary = self._ensure()
        name = primary.cmap.get(code)
        if name is not None:
            return primary, name
        if primary is self._full:
            return None
        full = self._ensure_full()
        name = full.cmap.get(code)
        return (full, name) if name is not None else None

    def prepare(self, chars: set[str]) -> int:
        """Convert the glyphs of `chars` now (else on first use); returns how many are cached.
        Characters the compact copy lacks are skipped here (no full face load at warm-up)."""
        with self._lock:
            primary = self._ensure()
            for ch in chars:
                name = primary.cmap.get(ord(ch))
                if name is not None:
                    self._outline(primary, name)
            return len(self._glyphs)

    def missing(self, text: str) -> set[str]:
        """Characters of `text` (NFC, control characters ignored) the font has no glyph for."""
        with self._lock:
            return {
                ch
                for ch in unicodedata.normalize("NFC", text)
                if not ch.isspace() and ord(ch) >= 32 and self._lookup(ord(ch)) is None
            }

    def subset_font(self, chars: set[str]) -> bytes:
        """A TrueType font (bytes) with .notdef, space and every coverable char of `chars`."""
        with self._lock:
            primary = self._ensure()
            cmap: dict[int, str] = {}
            sources: dict[str, tuple[_Face, str]] = {".notdef": (primary, ".notdef")}
            for ch in sorted(chars | {" "}):
                code = ord(ch)
                found = self._lookup(code)
                if found is None:
                    continue
                face, source = found
                name = f"{face.tag}{face.font.getGlyphID(source)}"
                sources[name] = found
                cmap[code] = name
            order = list(sources)
            builder = FontBuilder(primary.upem, isTTF=True)
            # Glyphs arrive compiled (bounds included); recomputing would re-encode each one.
            builder.font.recalcBBoxes = False
            builder.setupGlyphOrder(order)
            builder.setupCharacterMap(cmap)
            # What FontBuilder.setupGlyf does, minus its per-glyph cubic check (our outlines
            # are quadratic by construction) and bounds pass (they are compiled in).
            builder.font["loca"] = newTable("loca")
            glyf = builder.font["glyf"] = newTable("glyf")
            glyf.glyphs = {name: self._outline(*sources[name]) for name in order}
            glyf.glyphOrder = order
            builder.setupHorizontalMetrics(
                {name: face.hmtx[source] for name, (face, source) in sources.items()}
            )
            v = primary.vertical
            builder.setupHorizontalHeader(ascent=v["ascent"], descent=v["descent"])
            builder.setupNameTable({"familyName": _FAMILY, "styleName": "Regular"})
            builder.setupOS2(
                sTypoAscender=v["typo_asc"],
                sTypoDescender=v["typo_desc"],
                usWinAscent=v["win_asc"],
                usWinDescent=v["win_desc"],
                sCapHeight=v["cap"],
                sxHeight=v["x_height"],
                usWeightClass=400,
            )
            builder.setupPost()
            head = builder.font["head"]
            head.xMin, head.yMin, head.xMax, head.yMax = primary.bbox
            out = BytesIO()
            builder.save(out)
            return out.getvalue()

    def _outline(self, face: _Face, source: str) -> Glyph:
        """The glyph as TrueType outline data: converted once, then a fresh `Glyph` per font
        around the cached bytes (fontTools copies them out unchanged when bboxes are not
        recalculated)."""
        key = (face.tag, source)
        data = self._glyphs.get(key)
        if data is None:
            pen = TTGlyphPen(None)
            face.glyph_set[source].draw(Cu2QuPen(pen, _CU2QU_TOLERANCE, reverse_direction=True))
            glyph = pen.glyph()
            glyph.recalcBounds(None)
            data = self._glyphs[key] = glyph.compile(None, recalcBBoxes=False)
        return Glyph(data)
