"""さがす, the search screen: the words typed on an on-screen keyboard (kana, or Latin letters
for romaji and the other languages), the hits as large buttons, a FAQ's answer, and nothing
found said plainly with a person to ask.

Invariants:
- The words typed live only in the keyboard's buffer and the session's visit (`flows.search`):
  `clear()` (the screen left, the wipe) empties and drops the keyboards and cancels a pending
  search, so nothing typed outlives the visit on screen or in a timer.
- Searching is debounced (`DEBOUNCE_S` after the last key, or at once on OK) and bounded by the
  session (`MAX_QUERY` characters, `MAX_HITS` hits): a fast typist costs one search, not one
  per key.
- The screen decides nothing: a tapped hit is one `flows.search.choose(key)` call.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from kiosk.ui._tree import forget
from kiosk.ui.screens._base import KScreen
from kiosk.ui.widgets import KanaKeyboard, Keyboard, LatinKeyboard

__all__ = ["DEBOUNCE_S", "SearchScreen"]

DEBOUNCE_S = 0.35  # after the last key: long enough for the next tap, short enough to feel live

_KANA_FIRST = ("ja", "ja-easy")


class SearchScreen(KScreen):
    GUIDANCE = "Type words with the keys. The results appear on the right. Touch one to open it."
    keyboard = StringProperty("")  # 'kana' / 'latin': presentation only
    query_text = StringProperty("")  # the keyboard's buffer as typed (before the debounce)
    shown_query = StringProperty("")  # its end, as much as fits the box on one line
    found_text = StringProperty("")
    no_hits = BooleanProperty(False)
    answer_shown = BooleanProperty(False)
    question_text = StringProperty("")
    answer_text = StringProperty("")
    offer_text = StringProperty("")
    KEYBOARDS: dict[str, type[Keyboard]] = {"kana": KanaKeyboard, "latin": LatinKeyboard}

    def __init__(self, **kwargs: Any) -> None:
        self._keyboards: dict[str, Keyboard] = {}
        self._shown_keys: tuple[str, ...] = ()  # the hits on screen, by key
        super().__init__(**kwargs)
        self._search_later = Clock.create_trigger(self._search_now, DEBOUNCE_S)

    # -- rendering ------------------------------------------------------------------------------
    def render(self, s: Any) -> None:
        if not self.keyboard:
            self.keyboard = "kana" if s.language in _KANA_FIRST else "latin"
        search = self.flows.search
        if search.query != self.query_text and not self._search_later.is_triggered:
            # The box says what was searched, typed or not (a walk sets the query directly):
            # never hits under an empty box.
            self.query_text = search.query
            self._sync_other(self.keyboard)
            self._search_later.cancel()
        typed = search.query.strip()
        hits = search.hits if typed else ()
        rows = []
        for hit in hits:
            text = self.tr("{kind}: {name}", kind=self._kind(hit.kind), name=self.t(s, hit.title))
            rows.append((f"hit_{hit.kind}_{hit.id}", text, "choice",
                         self.tap(search.choose, hit.key)))  # fmt: skip
        keys = tuple(hit.key for hit in hits)
        self.fill(self.ids.hits, rows)
        if keys != self._shown_keys:
            # New hits open at their top, the best first in sight: the list would keep the
            # last one's scroll offset (near the end of a longer list, or bouncing back).
            self._shown_keys = keys
            self._hits_to_top()
            Clock.schedule_once(self._hits_to_top, 0)  # again once the rows took their height
        # Nothing typed: what to do, never a count. One letter finds nothing yet: still what to
        # do, not "nothing found", until a second.
        started = len(typed) >= 2 or bool(hits)
        self.no_hits = started and not hits
        if not started:
            self.found_text = self.tr("Touch the keys. What matches appears here.")
        elif hits and search.more:  # at most MAX_HITS are shown: never "found 8" of more
            self.found_text = self.tr(
                "The {count} best matches. More words narrow them down. Touch one to open it.",
                count=len(hits),
            )
        elif hits:
            self.found_text = self.tr("Found: {count}. Touch one to open it.", count=len(hits))
        else:  # words that do find something in this language, typed on these keys
            self.found_text = self.tr(
                "Nothing was found. Please try other words (for example: moving, insurance, tax)."
            )
        faq = search.faq
        self.answer_shown = faq is not None
        self.question_text = self.t(s, faq.question) if faq is not None else ""
        self.answer_text = self.t(s, faq.answer) if faq is not None else ""
        offer = faq.offer if faq is not None else None
        if offer == "staff":
            self.offer_text = self.tr("Call staff")
        elif offer and offer.startswith("consult:"):
            self.offer_text = self.tr("Consult")
        else:
            self.offer_text = ""

    def _hits_to_top(self, *_args: Any) -> None:
        scroll = self.ids.hits.parent
        if scroll is not None:
            if scroll.effect_y is not None:  # a bounce under way would carry it off again
                scroll.effect_y.velocity = 0
            scroll.scroll_y = 1.0

    def _kind(self, kind: str) -> str:
        """What a hit is, in words: 「できごと」「手続き」「証明書」「相談」「よくある質問」."""
        tr = self.tr
        return {
            "life_event": tr("Life event"),
            "procedure": tr("Procedure"),
            "certificate": tr("Certificate"),
            "topic": tr("Consultation"),
            "faq": tr("Question"),
        }.get(kind, "")

    # -- keyboards, built when the screen is first shown ------------------------------------------
    def on_keyboard(self, _inst: Any, name: str) -> None:
        if name and name not in self._keyboards:
            kb = self.KEYBOARDS[name](kid=f"kb_{name}", max_length=40)
            for key in kb.walk(restrict=True):
                if getattr(key, "role", "") == "key" and key.style != "key":
                    # 小さい字, 空白, 決定 ... in smaller type: six to a row in this narrower
                    # column, they would break into lines of one or two letters
                    key.role = "key_small"
            kb.bind(value=self._typed, on_ok=lambda _kb, _v: self._search_now())
            self._keyboards[name] = kb
            self.ids[f"slot_{name}"].add_widget(kb)
        self._sync_other(name)

    def switch_keyboard(self) -> None:
        self.keyboard = "latin" if self.keyboard == "kana" else "kana"

    def _sync_other(self, name: str) -> None:
        """One buffer whatever the keyboard: "ひっこし" then Latin letters continues it."""
        kb = self._keyboards.get(name)
        if kb is not None and kb.value != self.query_text:
            kb.value = self.query_text

    def _typed(self, kb: Keyboard, value: str) -> None:
        if self._keyboards.get(self.keyboard) is not kb:
            return  # the other keyboard taking over the buffer
        self.query_text = value
        if not value.strip() and self.flows.search.query:
            self._search_now()  # emptied: the hits go with the words, not 0.35 s later
        else:
            self._search_later()

    def on_query_text(self, _inst: Any, text: str) -> None:
        self._fit_query()

    def _fit_query(self, *_args: Any) -> None:
        """The typed words on one line: their end (what was typed last) with … before it."""
        label = self._query_label()
        text = self.query_text
        if label is None or not text:
            self.shown_query = text
            return
        room = max(label.width - 24, 1) / max(label.font_size, 1)  # in ems
        used, start = 0.0, len(text)
        while start > 0:
            c = text[start - 1]
            w = 1.0 if ord(c) > 0x2E80 else 0.62  # a kana or kanji is an em; a letter less
            if used + w > room - (1.0 if start > 1 else 0.0):  # leave room for …
                break
            used += w
            start -= 1
        self.shown_query = text if start == 0 else "…" + text[start:]

    def _query_label(self) -> Any:
        for w in self.walk():
            if getattr(w, "kid", "") == "query":
                if not getattr(self, "_query_bound", False):
                    w.bind(width=self._fit_query, font_size=self._fit_query)
                    self._query_bound = True
                return w
        return None

    def _search_now(self, *_args: Any) -> None:
        self._search_later.cancel()
        if self.manager is not None and self.manager.current == self.name:
            self.act(self.flows.search.set_query, self.query_text)

    def clear(self) -> None:
        self._search_later.cancel()
        keyboards = list(self._keyboards.items())
        self._keyboards.clear()  # first: their emptying is not typing (no search, no render)
        for name, kb in keyboards:
            kb.clear()
            slot = self.ids[f"slot_{name}"]
            slot.stash = [w for w in slot.stash if w is not kb]
            if kb.parent is not None:
                kb.parent.remove_widget(kb)
            forget(kb)
        self.keyboard = ""
        self.query_text = self.question_text = self.answer_text = self.offer_text = ""
        self.answer_shown = self.no_hits = False
        self._shown_keys = ()
        super().clear()
