"""Layout: a document is a list of blocks (pure data), drawn on fpdf2 pages.

A composer (see `_kinds.py`) turns an info dataclass into blocks; `render_blocks` collects every
character first (so the per-document font holds exactly those glyphs), then draws. An 80 mm roll
document is one page as long as its content: it is laid out once to measure, then drawn on a
page of that height. A4 documents flow over pages; a `page` block starts a new one (a certificate's next copy).
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from fpdf import FPDF
from fpdf.fonts import TTFFont

from devices.printer.documents._block import Block, collect_chars
from devices.printer.documents._font import FontSource
from devices.printer.documents._phrases import pieces
from devices.printer.documents._qr import qr_matrix

ROLL_WIDTH_MM = 80.0
A4_MM = (210.0, 297.0)
_FONT_KEY = "madoguchicjk"
_ROLL_DRAFT_MM = 2000.0  # roll documents are drawn on a long page, then trimmed
_ROLL_MIN_MM = 50.0
_INDENT = 6.0  # mm, room for a checklist box
# 禁則 (JIS X 4051, the strict set DADS asks for): these never start a line ...
_NO_START = frozenset(
    "、。，．,.・：:；;？?！!ー）)」』】〕〉》］]｝}’”ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ々〻"
)
# ... and these never end one.
_NO_END = frozenset("（(「『【〔〈《［[｛{‘“")


@dataclass(frozen=True)
class Paper:
    width: float
    height: float | None  # None: roll paper, as long as the content
    margin: float
    base: float  # body font size in pt


ROLL = Paper(ROLL_WIDTH_MM, None, 4.0, 10.0)
A4 = Paper(A4_MM[0], A4_MM[1], 18.0, 12.0)


def render_blocks(
    source: FontSource, blocks: Sequence[Block], paper: Paper, *, char_wrap: bool, title: str
) -> bytes:
    blocks = [
        Block(
            b.kind,
            unicodedata.normalize("NFC", b.text),
            unicodedata.normalize("NFC", b.value),
            b.size,
            b.align,
        )
        for b in blocks
    ]
    font_bytes = source.subset_font(collect_chars(blocks))
    height = paper.height if paper.height is not None else _ROLL_DRAFT_MM
    canvas = _Canvas(font_bytes, paper, height, char_wrap, title)
    canvas.draw(blocks)
    if paper.height is None:
        canvas.trim_roll()
    return bytes(canvas.pdf.output())


class _MarkedPDF(FPDF):
    """An FPDF that stamps the page's watermark (a certificate's 見本 mark) on every page it
    adds, automatic page breaks included, so no sheet of an invalid document looks valid."""

    watermark = ""
    marked: set[int]

    def header(self) -> None:
        if self.watermark:
            _stamp(self, self.watermark)


def _stamp(pdf: FPDF, text: str) -> None:
    """`text` (first line large, the rest smaller) diagonally across the page, in light red
    under the content (drawn first, light enough that a QR code over it scans), the current font and colour left as they were."""
    if pdf.page in pdf.marked:
        return
    pdf.marked.add(pdf.page)
    size, family = pdf.font_size_pt, pdf.font_family
    head, _, rest = text.partition("\n")
    cx, cy = pdf.w / 2, pdf.h / 2
    with pdf.rotation(55, x=cx, y=cy):
        pdf.set_text_color(245, 175, 175)  # light: a QR code over it still scans
        for line, pt, dy in ((head, 96.0, -4.0), (rest, 30.0, 22.0)):
            if line:
                pdf.set_font(_FONT_KEY, size=pt)
                pdf.text(cx - pdf.get_string_width(line) / 2, cy + dy, line)
        pdf.set_text_color(0, 0, 0)
    if family:
        pdf.set_font(family, size=size)


class _Canvas:
    def __init__(self, font: bytes, paper: Paper, height: float, char_wrap: bool, title: str):
        pdf = _MarkedPDF(unit="mm", format=(paper.width, height))
        pdf.marked = set()
        pdf.set_margins(paper.margin, paper.margin, paper.margin)
        pdf.set_auto_page_break(paper.height is not None, margin=paper.margin)
        pdf.set_creator("Madoguchi")
        pdf.set_title(title)
        # fpdf2's add_font() only takes a path; the subset lives in memory only (see _font.py).
        ttf = TTFFont(pdf, BytesIO(font), _FONT_KEY, "")
        ttf.ttfont.recalcBBoxes = False  # the glyphs carry their bounds already
        pdf.fonts[_FONT_KEY] = ttf
        pdf.add_page()
        self.pdf = pdf
        self.paper = paper
        self.wrap = "CHAR" if char_wrap else "WORD"

    def trim_roll(self) -> None:
        """Cut the long draft page to the content: the page gets the used height and its
        content is shifted down by the unused part (one `cm` operator), so the roll document
        is laid out once instead of measured and drawn twice."""
        pdf = self.pdf
        used = max(_ROLL_MIN_MM, pdf.get_y() + self.paper.margin + 4.0)
        k = pdf.k
        page = pdf.pages[pdf.page]
        shift = (pdf.h - used) * k
        page.contents = bytearray(b"q 1 0 0 1 0 %.2f cm\n" % -shift) + page.contents + b"\nQ\n"
        page.set_dimensions(pdf.w * k, used * k)

    @property
    def width(self) -> float:
        return self.paper.width - 2 * self.paper.margin

    def _fit(self, text: str, width: float) -> str:
        """Text broken into lines for a cell `width` wide, for scripts wrapped without spaces
        (Japanese, Chinese): lines break between phrases (`_phrases.pieces`: never 「支払\nい」),
        and only a phrase wider than the line is cut at characters, then with 禁則: a line
        never starts with 」。、） and never ends with 「（ (the character before moves down
        with it). Word-wrapped scripts are left to fpdf2. The current font must be set."""
        if self.wrap != "CHAR":
            return text
        fits = self._fits(width)
        lines: list[str] = []
        for para in text.split("\n"):
            line = ""
            for piece in pieces(para):
                if fits(line + piece):
                    line += piece
                elif line and fits(piece.lstrip(" ")):
                    lines.append(line.rstrip(" "))
                    line = piece.lstrip(" ")
                else:  # wider than a whole line: cut at characters
                    line = self._cut(line, piece, fits, lines)
            lines.append(line)
        return "\n".join(lines)

    def _fits(self, width: float):
        room = width - 2 * self.pdf.c_margin - 0.01
        return lambda s: self.pdf.get_string_width(s) <= room

    @staticmethod
    def _cut(line: str, piece: str, fits, lines: list[str]) -> str:
        """`piece` added to `line` character by character with 禁則; full lines go to `lines`."""
        for ch in piece:
            if line and not fits(line + ch):
                nxt = ch
                while len(line) > 1 and (nxt[0] in _NO_START or line[-1] in _NO_END):
                    nxt, line = line[-1] + nxt, line[:-1]
                lines.append(line)
                line = nxt
            else:
                line += ch
        return line

    def _text(
        self, text: str, size: float, align: str = "L", gap: float = 0.0, indent: bool = False
    ) -> None:
        pdf = self.pdf
        pdf.set_font(_FONT_KEY, size=size)
        shift = _INDENT if indent else 0.0
        pdf.set_x(self.paper.margin + shift)
        pdf.multi_cell(
            self.width - shift,
            size * 0.3528 * 1.35,
            self._fit(text, self.width - shift),
            align=align,
            wrapmode=self.wrap,
            new_x="LMARGIN",
        )
        if gap:
            pdf.ln(gap)

    def draw(self, blocks: Sequence[Block]) -> None:
        base = self.paper.base
        for b in blocks:
            if b.kind == "heading":
                self._text(b.text, b.size or base * 1.6, b.align or "C", gap=1.5)
            elif b.kind == "text":
                self._text(b.text, b.size or base, b.align or "L", gap=1.0)
            elif b.kind == "small":
                self._text(b.text, b.size or base * 0.8, b.align or "L", gap=0.8)
            elif b.kind == "field":
                self._text(b.text, base * 0.8, "L")
                self._text(b.value, b.size or base * 1.2, "L", gap=1.5)
            elif b.kind == "row":
                self._row(b)
            elif b.kind == "big":
                self._text(b.text, b.size or base * 4.5, "C", gap=2.0)
            elif b.kind in ("item", "item_done"):
                self._checkbox(b.size or base, ticked=b.kind == "item_done")
                self._text(b.text, b.size or base, "L", indent=True)
                if b.value:
                    self._text(b.value, base * 0.8, "L", gap=1.0, indent=True)
            elif b.kind == "detail":
                self._text(b.text, b.size or base * 0.8, b.align or "L", gap=0.6, indent=True)
            elif b.kind == "page":
                # A4 documents start the next copy on a fresh sheet; a roll has one page only.
                if self.paper.height is not None:
                    self.pdf.add_page()
                else:
                    self.pdf.ln(4.0)
            elif b.kind == "qr":
                self._qr(b.text, b.size or 28.0)
            elif b.kind == "rule":
                y = self.pdf.get_y() + 1.0
                self.pdf.set_line_width(0.3)
                self.pdf.line(self.paper.margin, y, self.paper.width - self.paper.margin, y)
                self.pdf.set_y(y + 2.0)
            elif b.kind == "gap":
                self.pdf.ln(b.size or 3.0)
            elif b.kind == "box":
                self._box(b)
            elif b.kind == "image":
                self._image(b.value, b.size or 30.0)
            elif b.kind == "seal":
                self._seal(b)
            elif b.kind == "watermark":
                # This page and every later one (a copy that runs over a page break too).
                self.pdf.watermark = b.text
                _stamp(self.pdf, b.text)
            else:
                raise ValueError(f"unknown block kind {b.kind!r}")

    def _checkbox(self, size_pt: float, ticked: bool = False) -> None:
        """A square to tick by hand, or already ticked for an item done here (drawn: the CJK
        font has no U+25A1/U+2713 here)."""
        side = size_pt * 0.3528 * 0.9
        x, y = self.paper.margin, self.pdf.get_y() + side * 0.25
        self.pdf.set_line_width(0.3)
        self.pdf.rect(x, y, side, side)
        if ticked:
            self.pdf.set_line_width(0.6)
            self.pdf.line(x + side * 0.15, y + side * 0.5, x + side * 0.42, y + side * 0.8)
            self.pdf.line(x + side * 0.42, y + side * 0.8, x + side * 0.9, y + side * 0.12)

    def _qr(self, data: str, size_mm: float) -> None:
        """The QR code as filled vector rectangles (crisp at any printer resolution)."""
        matrix = qr_matrix(data)
        modules = len(matrix)
        quiet = 4
        cell = size_mm / (modules + 2 * quiet)
        pdf = self.pdf
        if pdf.auto_page_break and pdf.get_y() + size_mm > pdf.h - self.paper.margin:
            pdf.add_page()
        x0 = (self.paper.width - size_mm) / 2 + quiet * cell
        y0 = pdf.get_y() + quiet * cell
        # A white ground with its quiet zone: a 見本 stamp under it never reaches the modules.
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(x0 - quiet * cell, y0 - quiet * cell, size_mm, size_mm, style="F")
        pdf.set_fill_color(0, 0, 0)
        for r, row in enumerate(matrix):
            c = 0
            while c < modules:
                if row[c]:
                    start = c
                    while c < modules and row[c]:
                        c += 1
                    pdf.rect(x0 + start * cell, y0 + r * cell, (c - start) * cell, cell, style="F")
                else:
                    c += 1
        pdf.set_y(pdf.get_y() + size_mm)

    def _row(self, b: Block) -> None:
        """Label and value on one line (a certificate's lesser fields): the label in a fixed
        column, the value wrapping beside it."""
        pdf = self.pdf
        # A4: a fixed label column; on the 80 mm roll a label needs half the width to stay whole
        label_w = min(48.0, self.width * (0.3 if self.paper.height is not None else 0.55))
        size = b.size or self.paper.base
        line = size * 0.3528 * 1.35
        top = pdf.get_y()
        pdf.set_font(_FONT_KEY, size=self.paper.base * 0.8)
        pdf.set_xy(self.paper.margin, top + line * 0.1)
        pdf.multi_cell(label_w, line, self._fit(b.text, label_w), wrapmode=self.wrap,
                       new_x="LMARGIN")  # fmt: skip
        below_label = pdf.get_y()
        pdf.set_font(_FONT_KEY, size=size)
        pdf.set_xy(self.paper.margin + label_w, top)
        value_w = self.width - label_w
        pdf.multi_cell(value_w, line, self._fit(b.value, value_w), wrapmode=self.wrap,
                       new_x="LMARGIN")  # fmt: skip
        pdf.set_y(max(pdf.get_y(), below_label) + 0.8)

    def _image(self, png_b64: str, size_mm: float) -> None:
        """A PNG (validated by the composer), centred, `size_mm` wide."""
        pdf = self.pdf
        if pdf.auto_page_break and pdf.get_y() + size_mm > pdf.h - self.paper.margin:
            pdf.add_page()
        x = (self.paper.width - size_mm) / 2
        info = pdf.image(BytesIO(base64.b64decode(png_b64)), x=x, y=pdf.get_y(), w=size_mm)
        pdf.set_y(pdf.get_y() + float(info.rendered_height) + 2.0)

    def _seal(self, b: Block) -> None:
        """The mayor's name, right-aligned, with the official seal stamped over its end (as a
        city's 公印 sits over the last characters of the 市長名)."""
        pdf = self.pdf
        size = b.size or 22.0
        if pdf.auto_page_break and pdf.get_y() + size > pdf.h - self.paper.margin:
            pdf.add_page()
        top = pdf.get_y()
        pdf.ln(size * 0.35)
        font = self.paper.base * 1.4
        pdf.set_font(_FONT_KEY, size=font)
        pdf.set_x(self.paper.margin)
        # The name ends under the seal's centre, as a stamp half over the last character.
        pdf.multi_cell(self.width - size * 0.35, font * 0.3528 * 1.35, b.text, align="R",
                       wrapmode=self.wrap, new_x="LMARGIN")  # fmt: skip
        if b.value:
            x = self.paper.width - self.paper.margin - size
            pdf.image(BytesIO(base64.b64decode(b.value)), x=x, y=top, w=size, h=size)
        pdf.set_y(max(pdf.get_y(), top + size) + 2.0)

    def _box(self, b: Block) -> None:
        """A framed block: a label line and the value under it (the certificate's issuer)."""
        pdf = self.pdf
        top = pdf.get_y()
        pdf.ln(2.0)
        self._text(b.text, self.paper.base * 0.9, "L")
        self._text(b.value, b.size or self.paper.base * 1.2, "L", gap=2.0)
        pdf.set_line_width(0.4)
        pdf.rect(self.paper.margin - 2, top, self.width + 4, pdf.get_y() - top)
        pdf.ln(2.0)
