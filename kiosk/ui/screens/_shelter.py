"""The shelter screen (shelter mode's button on home): the notices from city hall (signed) and
from the center's staff in large type, in the screen's language where the notice has it (else
the Japanese original under a line saying it is not translated yet), each saying where it comes
from; check-in; the notices printed on the roll.

Invariants: the screen decides nothing (taps call `flows.services.shelter_checkin` and
`flows.services.print_shelter_notices`); notices are public (no names), so the rows stay
after the screen is cleared and are rebuilt from the session on every render.
"""

from __future__ import annotations

from typing import Any

from kiosk.ui.screens._base import KScreen


class ShelterScreen(KScreen):
    GUIDANCE = "Shelter. Please read the notices. To stay here, touch Check in."

    def render(self, s: Any) -> None:
        lang = s.language
        rows = []
        for i, n in enumerate(s.shelter_notices):
            source = self.tr("From city hall") if n.city else self.tr("From the staff here")
            # Japanese and Chinese brackets only where they are the reader's own.
            cjk = lang in ("ja", "ja-easy", "zh-Hans")
            kind, text = n.kind_word(lang), n.text(lang)
            line = f"【{kind}】{text}\n（{source}）" if cjk else f"{kind}: {text}\n({source})"
            # shown in Japanese to a reader of another language: say so first, in their words
            line = "\n".join(filter(None, (n.untranslated(lang), line)))
            rows.append((f"shelter_notice_{i}", line, "body", None))
        self.fill(self.ids.notices, rows, personal=False)
        for w in self.ids.notices.children:
            w.role = "heading"  # large type: read from a step away, by tired eyes
        self.ids.empty.text = "" if rows else self.tr("There are no notices now.")
        printed = s.receipt_printed and rows
        self.ids.printed.text = (
            self.tr("The notices were printed. Please take them.") if printed else ""
        )
