"""The CJK font, parsed once per process, cut into a tiny per-document TrueType subset.

Why not hand fpdf2 the Noto Sans CJK collection directly: fpdf2 re-reads the 65,535-glyph CFF
font for every document (cmap, metrics, charset: ~0.5 s here) and then runs the fontTools
subsetter on all of it (~0.5 s). Here the face is opened once (`FontSource`), each glyph a
document needs is drawn once into a quadratic TrueType outline (cu2qu) and cached, and each
document gets a font holding only its own characters (a few kB), which fpdf2 then embeds.

Invariants:
- The master font is read lazily, exactly once per `FontSource`; nothing happens at import.
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


class FontSource:
    """One face of a (collection) font, loaded once; `subset_font(chars)` → TrueType bytes."""

    def __init__(self, path: Path | None = None, face: int = 0) -> None:
        self.path = Path(path) if path is not None else None
        self.face = face
        self._lock = threading.Lock()
        self._master: TTFont | None = None
        self._glyphs: dict[str, bytes] = {}

    def load(self) -> FontSource:
        """Open and index the master face now (otherwise on first use)."""
        with self._lock:
            self._ensure()
        return self

    def _ensure(self) -> TTFont:
        if self._master is None:
            path = self.path or cjk_font_path("regular")
            master = TTFont(str(path), fontNumber=self.face, lazy=True)
            self._cmap = master.getBestCmap()
            self._hmtx = master["hmtx"].metrics
            self._glyph_set = master.getGlyphSet()
            self._upem = master["head"].unitsPerEm
            hhea, os2 = master["hhea"], master["OS/2"]
            mhead = master["head"]
            self._bbox = (mhead.xMin, mhead.yMin, mhead.xMax, mhead.yMax)
            self._vertical = {
                "ascent": hhea.ascent,
                "descent": hhea.descent,
                "typo_asc": os2.sTypoAscender,
                "typo_desc": os2.sTypoDescender,
                "win_asc": os2.usWinAscent,
                "win_desc": os2.usWinDescent,
                "cap": getattr(os2, "sCapHeight", 733),
                "x_height": getattr(os2, "sxHeight", 543),
            }
            self._master = master
        return self._master

    def prepare(self, chars: set[str]) -> int:
        """Convert the glyphs of `chars` now (else on first use); returns how many are cached."""
        with self._lock:
            master = self._ensure()
            for ch in chars:
                source = self._cmap.get(ord(ch))
                if source is not None:
                    self._outline(source)
            del master
            return len(self._glyphs)

    def missing(self, text: str) -> set[str]:
        """Characters of `text` (NFC, control characters ignored) the font has no glyph for."""
        with self._lock:
            self._ensure()
            return {
                ch
                for ch in unicodedata.normalize("NFC", text)
                if ord(ch) not in self._cmap and not ch.isspace() and ord(ch) >= 32
            }

    def subset_font(self, chars: set[str]) -> bytes:
        """A TrueType font (bytes) with .notdef, space and every coverable char of `chars`."""
        with self._lock:
            master = self._ensure()
            cmap: dict[int, str] = {}
            sources: dict[str, str] = {".notdef": ".notdef"}
            for ch in sorted(chars | {" "}):
                code = ord(ch)
                source = self._cmap.get(code)
                if source is None:
                    continue
                name = f"g{master.getGlyphID(source)}"
                sources[name] = source
                cmap[code] = name
            order = list(sources)
            builder = FontBuilder(self._upem, isTTF=True)
            # Glyphs arrive compiled (bounds included); recomputing would re-encode each one.
            builder.font.recalcBBoxes = False
            builder.setupGlyphOrder(order)
            builder.setupCharacterMap(cmap)
            # What FontBuilder.setupGlyf does, minus its per-glyph cubic check (our outlines
            # are quadratic by construction) and bounds pass (they are compiled in).
            builder.font["loca"] = newTable("loca")
            glyf = builder.font["glyf"] = newTable("glyf")
            glyf.glyphs = {name: self._outline(sources[name]) for name in order}
            glyf.glyphOrder = order
            builder.setupHorizontalMetrics({name: self._hmtx[sources[name]] for name in order})
            v = self._vertical
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
            head.xMin, head.yMin, head.xMax, head.yMax = self._bbox
            out = BytesIO()
            builder.save(out)
            return out.getvalue()

    def _outline(self, source: str) -> Glyph:
        """The glyph as TrueType outline data: converted once, then a fresh `Glyph` per font
        around the cached bytes (fontTools copies them out unchanged when bboxes are not
        recalculated)."""
        data = self._glyphs.get(source)
        if data is None:
            pen = TTGlyphPen(None)
            self._glyph_set[source].draw(Cu2QuPen(pen, _CU2QU_TOLERANCE, reverse_direction=True))
            glyph = pen.glyph()
            glyph.recalcBounds(None)
            data = self._glyphs[source] = glyph.compile(None, recalcBBoxes=False)
        return Glyph(data)
