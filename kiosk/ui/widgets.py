"""The kiosk's own widgets: themed labels and buttons, and the on-screen keyboards.

Invariants:
- No system keyboard and no TextInput anywhere: residents type on `NumericKeyboard`,
  `KanaKeyboard` (hiragana/katakana toggle) and `LatinKeyboard`; each keeps its buffer in a
  `StringProperty` that `clear()` empties (the wipe calls it through the screens).
- Every text widget is a `KLabel` or `KButton` with a `style` from `kiosk.theme`, and draws exactly
  that style's colours (tests/kiosk/ui/test_ui_accessibility.py walks the tree and checks).
- Every button is at least the panel's touch-target size (`app.target`), never less.
- Text is broken into lines by `kiosk.ui._linebreak` (禁則, whole words), not by Kivy.
- Keyboards only edit their buffer; what the value means is the session's business.
"""

from __future__ import annotations

from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import ScreenManager, TransitionBase

from kiosk.fonts import font_for
from kiosk.ui._linebreak import break_lines
from kiosk.ui._scroll import KScroll, ScrollArrows, clip_with_scissor, is_shown

__all__ = [
    "KButton",
    "KLabel",
    "InstantTransition",
    "KScreens",
    "KGrid",
    "KRow",
    "KScroll",
    "KanaKeyboard",
    "Keyboard",
    "LatinKeyboard",
    "NumericKeyboard",
    "Panel",
    "ScrollArrows",
    "is_shown",
    "to_katakana",
]


def fit_lines(widget) -> None:
    """Give Kivy's core label the widget's text already broken into lines (禁則, whole words:
    see kiosk.ui._linebreak); Kivy's own wrapping cuts words and strands 」。 at line starts."""
    core = widget._label
    # The compact font, or the full one for a text with a character the copy lacks (kiosk.fonts)
    core.options["font_name"] = font_for(widget.text)
    width = widget.text_size[0]
    if not widget.text or width is None:
        return
    from kivy.app import App

    pad = core.options["padding"]
    # やさしい日本語 is written in spaced kana words: those stay whole (no "あかち/ゃん").
    cjk = getattr(App.get_running_app(), "lang", "ja") != "ja-easy"
    room = width - pad[0] - pad[2] - 1  # 1 px: Kivy rounds the width it wraps at down
    # Measure in the face the label will be drawn in: Kivy resolves the file (regular or bold)
    # only at refresh, so a label that just turned bold would be measured in the regular face
    # (narrower: lines overflow) and open one more font handle (~2.5 MB each under SDL_ttf).
    core.resolve_font_name()
    core.text = break_lines(widget.text, room, lambda t: core.get_extents(t)[0], cjk)


class KLabel(Label):
    """A label in one theme style; `role` picks the type size."""

    style = StringProperty("body")
    role = StringProperty("body")
    filled = BooleanProperty(False)
    kid = StringProperty("")
    personal = BooleanProperty(False)  # shows resident data: the screen's clear() empties it

    def texture_update(self, *largs) -> None:
        fit_lines(self)
        super().texture_update(*largs)


class KButton(Button):
    """A big themed button; `action` is an opaque tag the screen uses when it is pressed."""

    style = StringProperty("secondary")
    role = StringProperty("button")
    action = StringProperty("")
    kid = StringProperty("")

    def texture_update(self, *largs) -> None:
        fit_lines(self)
        super().texture_update(*largs)


_HIRA = (
    "あいうえお" "かきくけこ" "さしすせそ" "たちつてと" "なにぬねの"
    "はひふへほ" "まみむめも" "や　ゆ　よ" "らりるれろ" "わ　を　ん"
)  # fmt: skip
_DAKUTEN = dict(
    zip(
        "かきくけこさしすせそたちつてとはひふへほ",
        "がぎぐげござじずぜぞだぢづでどばびぶべぼ",
        strict=True,
    )
)
_HANDAKUTEN = dict(zip("はひふへほ", "ぱぴぷぺぽ", strict=True))
_SMALL = dict(zip("あいうえおやゆよつ", "ぁぃぅぇぉゃゅょっ", strict=True))


def to_katakana(text: str) -> str:
    """Hiragana -> katakana (the block is offset by 0x60); other characters unchanged."""
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def _to_hiragana(c: str) -> str:
    return chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c


class Msg(str):
    """A key's word as shown (translated), carrying its msgid so it follows the language."""

    msgid: str

    def __new__(cls, text: str, msgid: str) -> Msg:
        word = super().__new__(cls, text)
        word.msgid = msgid
        return word


class Keyboard(BoxLayout):
    """Base: a buffer, a maximum length, and `ok` fired when the resident presses OK."""

    value = StringProperty("")
    max_length = NumericProperty(40)
    masked = BooleanProperty(False)
    kid = StringProperty("")
    cancel_text = StringProperty("")  # non-empty: a Cancel key shares the OK row
    key_mm = NumericProperty(15.2)  # the keys' height: a screen with room may make them larger
    __events__ = ("on_ok", "on_cancel")

    def on_ok(self, *_args) -> None:
        pass

    def on_cancel(self, *_args) -> None:
        pass

    def on_kv_post(self, _base) -> None:
        from kivy.app import App

        self._words: list[tuple[KButton, str]] = []
        self.build_keys()
        # A keyboard is built once per cached screen: its words follow a language change
        # (they stayed in the language of the first build: 決定 on a Vietnamese screen).
        App.get_running_app().bind(lang=self._retranslate)

    def _retranslate(self, *_args) -> None:
        from kivy.app import App

        tr = App.get_running_app().tr
        for button, msgid in self._words:
            button.text = tr(msgid)

    def on_key_mm(self, _inst, key_mm: float) -> None:
        from kivy.app import App

        for grid in self.children:
            if isinstance(grid, KeyGrid):
                grid.row_default_height = App.get_running_app().mm(max(key_mm, 15.2))

    def build_keys(self) -> None:
        """Lay out the keys (KButtons whose `action` is what `press` receives)."""

    def _grid(self, cols: int, keys: list[tuple[str, str, str]]) -> GridLayout:
        from kivy.app import App

        grid = KeyGrid(cols=cols)
        grid.row_default_height = App.get_running_app().mm(max(self.key_mm, 15.2))
        for label, action, style in keys:
            b = KButton(text=label, action=action, style=style, role="key")
            if isinstance(label, Msg):  # a word (Delete, OK): in the screen's language
                self._words.append((b, label.msgid))
            b.kid = f"{self.kid or 'kb'}_key_{action}"
            b.bind(on_release=lambda btn: self.press(btn.action))
            grid.add_widget(b)
        self.add_widget(grid)
        return grid

    def _controls(self) -> list[tuple[str, str, str]]:
        from kivy.app import App

        tr = App.get_running_app().tr
        return [(Msg(tr("Delete"), "Delete"), "BS", "secondary"),
                (Msg(tr("Clear"), "Clear"), "CLEAR", "secondary"),
                (Msg(tr("OK"), "OK"), "OK", "primary")]  # fmt: skip

    def press(self, key: str) -> None:
        if key == "BS":
            self.value = self.value[:-1]
        elif key == "CLEAR":
            self.value = ""
        elif key == "OK":
            self.dispatch("on_ok", self.value)
        elif key == "CANCEL":
            self.value = ""
            self.dispatch("on_cancel")
        elif len(self.value) < self.max_length:
            self.value += key

    def clear(self) -> None:
        self.value = ""

    @property
    def display(self) -> str:
        return "●" * len(self.value) if self.masked else self.value


class NumericKeyboard(Keyboard):
    """0-9, delete, clear, OK. Used for the PIN (masked) and numeric fields; with
    `address_keys`, a row of - 丁目 番 号 for an address's block and lot (1-2-3, 1番2号)."""

    address_keys = BooleanProperty(False)

    def build_keys(self) -> None:
        bs, clear, ok = self._controls()
        # As on a telephone or a bank's ATM: 1-2-3 at the top, 0 under 8, the corrections beside
        # the 0 (review: 0 right of 9 and 1字消す next to 3 surprised residents).
        keys = [(d, d, "key") for d in "123456789"] + [clear, ("0", "0", "key"), bs]
        self._grid(3, keys)
        address = [
            ("-", "-", "key"),
            ("丁目", "丁目", "key"),
            ("番", "番", "key"),
            ("号", "号", "key"),
        ]
        self._address_row = self._grid(4, address)
        if not self.address_keys:  # built once, shown only for address fields
            self.remove_widget(self._address_row)
        if self.cancel_text:
            self._grid(2, [(self.cancel_text, "CANCEL", "secondary"), ok])
        else:
            self._grid(1, [ok])

    def on_address_keys(self, _inst, shown: bool) -> None:
        row = getattr(self, "_address_row", None)
        if row is None or (row.parent is self) == shown:
            return
        if shown:
            self.add_widget(row, index=len(self.children) - 1)  # under the digits
        else:
            self.remove_widget(row)


class LatinKeyboard(Keyboard):
    """A-Z (capitals, as names appear on residence cards), digits, space, hyphen, apostrophe."""

    ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM'.,")

    def build_keys(self) -> None:
        keys = [(c, c, "key") for row in self.ROWS for c in row]
        self._grid(10, keys)
        from kivy.app import App

        space = (Msg(App.get_running_app().tr("Space"), "Space"), " ", "secondary")
        self._grid(4, [space, *self._controls()])


class KanaKeyboard(Keyboard):
    """The gojūon table; toggles hiragana/katakana and adds ゛ ゜ and small kana to the last key."""

    katakana = BooleanProperty(False)
    COLUMNS = tuple(_HIRA[i : i + 5] for i in range(0, 50, 5))

    def key_text(self, hira: str, katakana: bool) -> str:
        return to_katakana(hira) if katakana else hira

    def build_keys(self) -> None:
        # Rows of the table read right to left in Japanese: あ column on the right.
        keys = []
        for row in range(5):
            for col in reversed(self.COLUMNS):
                ch = col[row]
                keys.append((ch, ch, "key"))
        self._kana_grid = self._grid(10, keys)
        from kivy.app import App

        tr = App.get_running_app().tr
        extras = [("゛", "゛", "secondary"), ("゜", "゜", "secondary"),
                  (Msg(tr("Small"), "Small"), "小", "secondary"), ("ー", "ー", "secondary"),
                  (Msg(tr("Space"), "Space"), "SPACE", "secondary"),
                  ("カナ/かな", "KANA", "selected")]  # fmt: skip
        self._grid(6, extras)
        self._grid(3, self._controls())

    def on_katakana(self, _inst, katakana: bool) -> None:
        grid = getattr(self, "_kana_grid", None)
        if grid is None:
            return
        for b in grid.children:
            if b.action != "　":
                b.text = self.key_text(b.action, katakana)

    def press(self, key: str) -> None:
        if key == "　":
            return
        if key in ("゛", "゜", "小"):
            self._modify(key)
            return
        if key == "KANA":
            self.katakana = not self.katakana
            return
        if key == "SPACE":
            key = "　"
        elif key == "ー":
            pass
        elif self.katakana:
            key = to_katakana(key)
        super().press(key)

    def _modify(self, mark: str) -> None:
        if not self.value:
            return
        last = self.value[-1]
        base = _to_hiragana(last)
        table = {"゛": _DAKUTEN, "゜": _HANDAKUTEN, "小": _SMALL}[mark]
        changed = table.get(base)
        if changed is None:
            return
        if last != base:
            changed = to_katakana(changed)
        self.value = self.value[:-1] + changed


class Panel(BoxLayout):
    """A part of a screen that is shown or hidden. Hidden, it is transparent, takes no height and
    passes every touch through (a hidden widget must never swallow a tap meant for another)."""

    shown = BooleanProperty(True)

    def __init__(self, **kwargs) -> None:
        self.stash: list = []  # children while hidden: not drawn at all (cheap frames)
        super().__init__(**kwargs)

    def on_shown(self, _inst, shown: bool) -> None:
        if shown and self.stash:
            stash, self.stash = self.stash, []
            for child in reversed(stash):
                super().add_widget(child)
        elif not shown and self.children:
            self.stash = list(self.children)
            super().clear_widgets()

    def add_widget(self, widget, *args, **kwargs):
        if self.shown:
            return super().add_widget(widget, *args, **kwargs)
        self.stash.insert(0, widget)
        return None

    def on_touch_down(self, touch):
        return super().on_touch_down(touch) if self.shown else False

    def on_touch_move(self, touch):
        return super().on_touch_move(touch) if self.shown else False

    def on_touch_up(self, touch):
        return super().on_touch_up(touch) if self.shown else False


def _equal_heights(buttons: list) -> None:
    """Raise the shorter of `buttons` to the tallest. Only raising: each button's kv rule sets
    its own height again when its text changes, and the next layout evens the row again."""
    if len(buttons) < 2:
        return
    tallest = max(b.height for b in buttons)
    for b in buttons:
        if b.height < tallest - 0.5:
            b.height = tallest  # lays the row out again, with equal heights


class KRow(BoxLayout):
    """Buttons (and labels) side by side. Every button in the row is as tall as the tallest:
    one label that wraps at large text must not make its button taller than its neighbours
    ("しょく/いん")."""

    def do_layout(self, *largs) -> None:
        super().do_layout(*largs)
        _equal_heights(
            [c for c in self.children if isinstance(c, KButton) and c.size_hint_y is None]
        )


class KGrid(GridLayout):
    """A grid of buttons: the buttons of each row are as tall as the row's tallest (see KRow)."""

    def do_layout(self, *largs) -> None:
        super().do_layout(*largs)
        cols = max(int(self.cols or 1), 1)
        ordered = list(reversed(self.children))  # Kivy keeps the last added first
        for start in range(0, len(ordered), cols):
            row = ordered[start : start + cols]
            _equal_heights([c for c in row if isinstance(c, KButton) and c.size_hint_y is None])


class InstantTransition(TransitionBase):
    """Switch screens within the intent that asked for it: the new screen is in, the old one out,
    before the next frame. (Kivy's NoTransition finishes on the next clock tick, so the first
    frame of every screen change drew the old screen under the new one: twice the pixels.)"""

    def start(self, manager) -> None:
        self.manager = manager
        self.add_screen(self.screen_in)
        self.screen_in.pos = manager.pos
        self.screen_in.dispatch("on_pre_enter")
        self.screen_out.dispatch("on_pre_leave")
        self.remove_screen(self.screen_out)
        self.screen_in.dispatch("on_enter")
        self.screen_out.dispatch("on_leave")


class KScreens(ScreenManager):
    """The screen manager: instant switches (`InstantTransition`), clipped with the scissor
    test (see `clip_with_scissor`)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("transition", InstantTransition())
        super().__init__(**kwargs)

    def on_kv_post(self, base_widget) -> None:  # Kivy's own rules are applied by now
        clip_with_scissor(self)


class KeyGrid(GridLayout):
    """A grid of keys; the kv rule of each keyboard fills it. The keys of a row are one height
    (a label that wraps, "Dấu / cách", makes its whole row taller, not one key), computed
    from each key's own text every layout: raising only (as KGrid does) kept a row tall after
    the text that wrapped while the keyboard was still narrow had unwrapped."""

    def do_layout(self, *largs) -> None:
        super().do_layout(*largs)
        cols = max(int(self.cols or 1), 1)
        ordered = list(reversed(self.children))
        for start in range(0, len(ordered), cols):
            row = [k for k in ordered[start : start + cols] if isinstance(k, KButton)]
            if not row:
                continue
            tallest = max(max(self.row_default_height, k.texture_size[1] + dp(6)) for k in row)
            for k in row:
                if abs(k.height - tallest) > 0.5:
                    k.height = tallest
