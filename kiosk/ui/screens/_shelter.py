"""The shelter screen (shelter mode's button on home): the notices from city hall (signed) and
from the center's staff in large type, in the screen's language where the notice has it (else
the Japanese original under a line saying it is not translated yet), each opening with when it
was posted (「11月4日（水）10:30 に掲示」: "14時から" needs its day) and saying where it comes
from; check-in (「避難所の受付をする」); the notices printed on the roll.

Invariants: the screen decides nothing (taps call `flows.services.shelter_checkin` and
`flows.services.print_shelter_notices`); notices are public (no names), so the rows stay
after the screen is cleared and are rebuilt from the session on every render.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from kiosk.ui.screens._base import KScreen
from kiosk.ui.screens._datewords import _EASY_WEEKDAYS, _MONTHS, _WEEKDAYS


def posted_words(posted: str, language: str) -> str:
    """When a notice was posted ("YYYY-MM-DDTHH:MM", or only its day "YYYY-MM-DD") as the
    reader says it, without the year: 11月4日（水）10:30, 11がつ 4にち（すいようび） 10:30,
    "Wed 4 November, 10:30", 11월 4일 (수) 10:30, "qua. 4 de novembro, 10:30",
    "Thứ Tư 04/11, 10:30"; "" when unknown or unreadable."""
    try:
        when = _dt.datetime.fromisoformat(posted)
    except (TypeError, ValueError):
        return ""
    clock = f"{when.hour}:{when.minute:02d}" if "T" in posted else ""
    weekday = _WEEKDAYS.get(language, _WEEKDAYS["en"])[when.weekday()]
    m, d = when.month, when.day
    if language == "ja-easy":
        day = f"{m}がつ {d}にち（{_EASY_WEEKDAYS[when.weekday()]}）"
    elif language in ("ja", "zh-Hans"):
        day = f"{m}月{d}日（{weekday}）"
    elif language == "ko":
        day = f"{m}월 {d}일 ({weekday})"
    elif language == "pt-BR":
        day = f"{weekday} {d} de {_MONTHS['pt-BR'][m - 1]}"
    elif language == "vi":
        day = f"{weekday} {d:02d}/{m:02d}"
    else:
        day = f"{weekday} {d} {_MONTHS['en'][m - 1]}"
    if not clock:
        return day
    if language in ("ja", "zh-Hans"):
        return f"{day}{clock}"  # （水） closes itself
    return f"{day}{',' if language in ('en', 'pt-BR', 'vi') else ''} {clock}"


class ShelterScreen(KScreen):
    GUIDANCE = "Shelter. Please read the notices. To stay here, touch Register at this shelter."

    def render(self, s: Any) -> None:
        lang = s.language
        rows = []
        for i, n in enumerate(s.shelter_notices):
            source = self.tr("From city hall") if n.city else self.tr("From the staff here")
            # Japanese and Chinese brackets only where they are the reader's own.
            cjk = lang in ("ja", "ja-easy", "zh-Hans")
            kind, text = n.kind_word(lang), n.text(lang)
            line = f"【{kind}】{text}\n（{source}）" if cjk else f"{kind}: {text}\n({source})"
            # when it was posted: "14時から" means nothing without its day
            when = posted_words(n.posted, lang)
            posted = self.tr("Posted {when}", when=when) if when else ""
            # shown in Japanese to a reader of another language: say so first, in their words
            line = "\n".join(filter(None, (n.untranslated(lang), posted, line)))
            rows.append((f"shelter_notice_{i}", line, "body", None))
        self.fill(self.ids.notices, rows, personal=False)
        for w in self.ids.notices.children:
            w.role = "heading"  # large type: read from a step away, by tired eyes
        self.ids.empty.text = "" if rows else self.tr("There are no notices now.")
        printed = s.receipt_printed and rows
        self.ids.printed.text = (
            self.tr("The notices were printed. Please take them.") if printed else ""
        )
