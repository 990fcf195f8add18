"""`DocumentRenderer`: document infos to PDF bytes with fpdf2 and the CJK font (the heavy part
of the printer stack: importing it loads fpdf2, fontTools, Pillow and segno)."""

from __future__ import annotations

from pathlib import Path

from devices.printer.documents import _kinds
from devices.printer.documents._block import Block
from devices.printer.documents._font import FontSource
from devices.printer.documents._kinds import LOCALE_DIR, MSGIDS, DocumentInfo, check_request
from devices.printer.documents._layout import A4, ROLL, render_blocks
from devices.printer.documents._methods import DocumentMethods
from madoguchi.core.i18n import LANGUAGES, Translator, load_translator

__all__ = ["LOCALE_DIR", "DocumentRenderer"]

# The PDF title of each kind (the document's own heading comes from its labels).
_TITLES = {
    "receipt": "receipt",
    "queue_ticket": "ticket",
    "consultation_slip": "consultation slip",
    "checklist": "checklist",
    "certificate": "certificate",
    "claim_slip": "claim slip",
    "payment_slip": "payment slip",
    "notices": "notices",
}
# Scripts written without spaces between words wrap at any character.
_CHAR_WRAP = frozenset({"ja", "ja-easy", "zh-Hans"})


class DocumentRenderer(DocumentMethods):
    """Renders documents to PDF bytes. Create one per process and reuse it (the font is parsed
    once, on first use or on `warm_up()`). Thread-safe."""

    def __init__(self, font: FontSource | None = None, localedir: Path | None = None) -> None:
        self.font = font or FontSource()
        self.localedir = Path(localedir) if localedir is not None else LOCALE_DIR

    def warm_up(self, *, labels: bool = False) -> DocumentRenderer:
        """Load the font now (≈0.5 s) rather than during the first print. With `labels`, also
        convert the glyphs of every label in every language and of printable ASCII (a few
        seconds: run it off the UI thread at start-up), so first documents render fast too."""
        self.font.load()
        if labels:
            chars = {chr(c) for c in range(32, 127)}
            for language in LANGUAGES:
                t = self.translator(language)
                for msgid in MSGIDS:
                    chars.update(t.gettext(msgid))
            self.font.prepare(chars)
        return self

    def translator(self, language: str) -> Translator:
        return load_translator(self.localedir, language)

    def render(self, kind: str, info: DocumentInfo, **options: str) -> bytes:
        """Render by kind name: one of `KINDS` (e.g. "receipt", "checklist")."""
        check_request(kind, info, options)
        # The certificate is A4, a checklist on request, everything else the 80 mm roll.
        roll = kind != "certificate" and options.get("paper", "80mm") == "80mm"
        return render_blocks(
            self.font,
            self.blocks(kind, info),
            ROLL if roll else A4,
            char_wrap=info.language in _CHAR_WRAP,
            title=f"Madoguchi {_TITLES[kind]}",
        )

    def blocks(self, kind: str, info: DocumentInfo) -> list[Block]:
        """The layout blocks of a document (for tests and previews)."""
        return getattr(_kinds, kind)(self.translator(info.language), info)
