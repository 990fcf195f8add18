"""The form's on-screen keyboards are built only when a field needs one, and dropped by the wipe.

Each keyboard is some sixty keys whose label textures live in process memory (llvmpipe), and most
residents correct nothing: `form_confirm` builds none on arrival, the first edit of a field
builds just the keyboard that field needs (the Kana/Latin switch builds the other one then),
and the screen's `clear()` empties, unmounts and forgets them. The resident comes from the real
card simulator behind the test pcscd, as in tests/kiosk/ui/test_ui_journeys.py.
"""

from __future__ import annotations

import gc
import weakref

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui import iter_widgets  # noqa: E402
from kiosk.ui.widgets import KanaKeyboard, Keyboard, LatinKeyboard, NumericKeyboard  # noqa: E402
from tests.support.kiosk_driver import place_card  # noqa: E402


def _to_form_confirm(ui):
    """Procedures -> 転入届 -> card and PIN: the form is on screen. Returns the inserted card."""
    ui.open_procedure("moving_in")
    card = place_card(ui).insert()
    ui.enter_pin()
    assert ui.step == "form_confirm"
    return card


def _form_screen(ui):
    return next((s for s in ui.root.cached_screens if s.name == "form_confirm"), None)


def _keyboards(ui) -> list[Keyboard]:
    """Every keyboard in the form screen's tree (shown, or stashed in a hidden panel)."""
    screen = _form_screen(ui)
    if screen is None:
        return []
    return [w for w in iter_widgets(screen) if isinstance(w, Keyboard)]


def _keyboard_kinds(ui) -> list[str]:
    return sorted(type(kb).__name__ for kb in _keyboards(ui))


def test_no_keyboard_is_built_when_the_form_is_shown(kiosk_ui):
    ui = kiosk_ui
    card = _to_form_confirm(ui)
    try:
        ui.frames(2)
        screen = ui.root.current_screen
        assert screen.name == "form_confirm"
        assert ui.text("value_name") == "山田 花子"  # the form itself is there
        assert ui.root.find("fix_name_kana") is not None
        widgets = list(iter_widgets(screen))
        assert [w for w in widgets if isinstance(w, Keyboard)] == []
        assert not [w for w in widgets if getattr(w, "kid", "").startswith("kb_kana_key_")]
        for kid in ("kb_numeric", "kb_kana", "kb_latin", "kb_numeric_key_OK"):
            assert ui.root.find(kid) is None, kid
    finally:
        card.remove()


def test_editing_builds_only_the_keyboard_the_field_needs(kiosk_ui):
    ui = kiosk_ui
    card = _to_form_confirm(ui)
    try:
        ui.tap("fix_name_kana")
        assert _keyboard_kinds(ui) == ["KanaKeyboard"]
        assert isinstance(ui.root.find("kb_kana"), KanaKeyboard)
        assert ui.text("edit_value") == " "  # an empty buffer keeps the label's height
        ui.type("kb_kana", "やまた")
        ui.tap("kb_kana_key_゛")  # た → だ
        assert ui.text("edit_value") == "やまだ"

        ui.tap("kb_switch_kana")  # to Latin letters: that keyboard is built now
        assert _keyboard_kinds(ui) == ["KanaKeyboard", "LatinKeyboard"]
        assert isinstance(ui.root.find("kb_latin"), LatinKeyboard)
        assert ui.text("edit_value") == " "
        ui.type("kb_latin", "YA")
        assert ui.text("edit_value") == "YA"
        ui.tap("kb_switch_kana")  # back to kana: its buffer was kept, nothing new is built
        assert _keyboard_kinds(ui) == ["KanaKeyboard", "LatinKeyboard"]
        assert ui.text("edit_value") == "やまだ"
        ui.tap("kb_kana_key_OK")

        assert ui.session.form.field("name_kana").value == "ヤマダ"  # フリガナ: katakana
        assert ui.text("value_name_kana") == "ヤマダ"
        assert ui.root.current_screen.editing == ""
        assert all(kb.value == "" for kb in _keyboards(ui))  # commit empties every buffer

        ui.tap("fix_phone")  # a number: the keypad is built, the other two are reused later
        assert _keyboard_kinds(ui) == ["KanaKeyboard", "LatinKeyboard", "NumericKeyboard"]
        assert isinstance(ui.root.find("kb_numeric"), NumericKeyboard)
        ui.type("kb_numeric", "05320001")
        ui.tap("kb_numeric_key_OK")
        assert ui.session.form.field("phone").value == "05320001"

        ui.tap("fix_name_kana")  # a second edit reuses the built keyboard, starting empty
        assert len(_keyboards(ui)) == 3
        assert ui.text("edit_value") == " "
        ui.type("kb_kana", "はな")
        ui.tap("edit_cancel")
        assert ui.session.form.field("name_kana").value == "ヤマダ"
        assert all(kb.value == "" for kb in _keyboards(ui))
    finally:
        card.remove()


@pytest.mark.parametrize("how", ["idle", "card_removed"])
def test_the_wipe_drops_the_keyboards_and_what_was_typed(kiosk_ui, how):
    ui = kiosk_ui
    card = _to_form_confirm(ui)
    try:
        ui.tap("fix_name_kana")
        ui.type("kb_kana", "やまた")
        ui.tap("kb_switch_kana")  # the kana buffer now waits in a hidden panel
        ui.type("kb_latin", "QZX")
        typed = ("やまた", "QZX")
        texts = ui.screen_texts()
        assert all(t in texts for t in typed)
        refs = [weakref.ref(kb) for kb in _keyboards(ui)]
        assert len(refs) == 2

        if how == "idle":
            ui.advance(ui.session.config.form_idle_timeout_s + 1)  # "still there?"
            ui.advance(16)  # no answer: the session ends
        else:
            card.remove()
            assert ui.until(lambda: ui.step == "home")
        ui.frames(2)
        assert ui.step == "home"

        texts = ui.screen_texts()
        assert not [t for t in typed if t in texts], "typed text left in the widget tree"
        assert _keyboards(ui) == []
        for kid in ("kb_kana", "kb_latin", "kb_kana_key_OK", "kb_latin_key_OK"):
            assert ui.root.find(kid) is None, kid
        for ref in refs:  # unmounted and emptied; nothing keeps them alive
            kb = ref()
            assert kb is None or (kb.value == "" and kb.parent is None)
            del kb
        gc.collect()
        assert [ref() for ref in refs] == [None, None], "a dropped keyboard is still referenced"
    finally:
        card.remove()

    # The next resident's edit builds the keyboard again, empty.
    card = _to_form_confirm(ui)
    try:
        assert _keyboards(ui) == []
        ui.tap("fix_name_kana")
        assert _keyboard_kinds(ui) == ["KanaKeyboard"]
        assert ui.text("edit_value") == " "
        ui.type("kb_kana", "そ")
        assert ui.text("edit_value") == "そ"
    finally:
        card.remove()
