"""After a wipe, no personal data remains anywhere in the widget tree: every label, button,
keyboard buffer and hidden panel of the frame and of every screen built so far (screens are
cached), whichever way the session ended. The resident comes from the real card simulator."""

from __future__ import annotations

import pytest
from kivy.config import Config

from tests.support.kiosk_driver import CARD_VALUES, personal_strings, place_card  # noqa: E402

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")


# What the "ordinary" profile's card holds, what the resident typed, and the reference number.


def _fill_some(ui):
    ui.tap("fix_name_kana")
    ui.type("kb_kana", "やまた")
    ui.tap("kb_kana_key_゛")
    ui.tap("kb_kana_key_OK")
    ui.tap("fix_phone")
    ui.type("kb_numeric", "0532")  # left in the keypad buffer, never committed


def _assert_clean(ui, personal):
    texts = ui.screen_texts()
    leaked = [p for p in personal if p and p in texts]
    assert not leaked, f"personal data left on screen after the wipe: {len(leaked)} value(s)"
    for screen in ui.root.cached_screens:
        assert getattr(screen, "editing", "") == ""


@pytest.mark.parametrize(
    "how",
    [
        "idle",
        "card_removed",
        pytest.param("home_button", marks=pytest.mark.slow),
        pytest.param("call_staff_then_idle", marks=pytest.mark.slow),
    ],
)
def test_no_personal_data_in_any_widget_after_the_wipe(kiosk_ui, how):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    card = place_card(ui).insert()
    try:
        ui.enter_pin()
        assert ui.step == "form_confirm"
        _fill_some(ui)
        personal = personal_strings(ui)
        assert any(v in ui.screen_texts() for v in CARD_VALUES)
        assert "0532" in ui.screen_texts()
        if how == "idle":
            ui.advance(ui.session.config.form_idle_timeout_s + 1)
            ui.advance(16)
        elif how == "card_removed":
            card.remove()
            assert ui.until(lambda: ui.step == "home")
        elif how == "home_button":
            ui.tap("edit_cancel")
            ui.tap("back")
        else:
            ui.tap("call_staff")
            ui.advance(ui.session.config.form_idle_timeout_s + 1)
            ui.tap("continue")  # "still there?" answered
            ui.advance(ui.session.config.form_idle_timeout_s + 1)
            ui.advance(16)
        ui.frames(2)
        assert ui.step == "home"
        _assert_clean(ui, personal)
    finally:
        card.remove()


def test_done_screen_reference_is_gone_after_the_survey(kiosk_ui):
    ui = kiosk_ui
    ui.tap("queue")
    number = ui.text("ticket_number")
    assert number
    ui.tap("next")
    ui.tap("skip")
    assert ui.step == "home"
    screen = next(s for s in ui.root.cached_screens if s.name == "queue_ticket")
    assert screen.ids.number.text == "" and screen.ids.wait.text == ""
