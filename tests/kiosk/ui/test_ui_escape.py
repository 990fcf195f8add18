"""The kiosk cannot be left from the touch screen or a keyboard: ESC, Alt+F4, the back key and
the window's close request are swallowed while the app runs; only staff mode lets it stop."""

from __future__ import annotations

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui.walk import PreviewUi  # noqa: E402


@pytest.mark.parametrize(
    "key,modifiers",
    [(27, []), (1001, []), (285, ["alt"]), (27, ["ctrl"]), (27, ["shift"])],
    ids=["esc", "back", "alt-f4", "ctrl-esc", "shift-esc"],
)
def test_exit_keys_are_consumed(kivy_window, key, modifiers):
    with PreviewUi(kivy_window) as ui:
        # dispatch returns True when a handler consumed the key: Kivy's default (close on ESC)
        # never runs.
        assert kivy_window.dispatch("on_keyboard", key, 0, "", modifiers) is True
        assert ui.root.parent is kivy_window


def test_other_keys_are_not_consumed(kivy_window):
    with PreviewUi(kivy_window):
        assert not kivy_window.dispatch("on_keyboard", 97, 0, "a", [])


def test_close_request_is_refused_until_staff_stops_the_app(kivy_window):
    with PreviewUi(kivy_window) as ui:
        assert kivy_window.dispatch("on_request_close") is True
        assert ui.app._on_request_close() is True
        ui.app._exit_allowed = True  # what staff_exit sets before stopping
        assert ui.app._on_request_close() is False


def test_escape_is_disabled_in_config(kivy_window):
    with PreviewUi(kivy_window):
        assert Config.get("kivy", "exit_on_escape") == "0"


def test_staff_menu_offers_the_only_way_out(kivy_window):
    from kiosk.ui.walk import PREVIEW_STAFF_PIN
    from tests.support.kivy_ui import frames

    with PreviewUi(kivy_window) as ui:
        assert ui.root.find("stop_app") is None  # not on the resident's screens
        ui.session.open_staff()
        ui.session.submit_staff_pin(PREVIEW_STAFF_PIN)
        ui.app.render()
        frames(2)
        assert ui.root.find("stop_app") is not None
