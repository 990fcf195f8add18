"""The PIN keypad as residents know it from telephones and ATMs (review: 0 sat right of 9 and
1字消す next to 3): 1-2-3 at the top, 0 under 8, the corrections beside the 0; larger keys at
normal text, the minimum (15.2 mm) at 1.5x text where the warnings need the room."""

from __future__ import annotations

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui.walk import PreviewUi  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def _pin_screen(ui):
    from tests.support.kivy_ui import to_pin_entry

    to_pin_entry(ui, "moving_in")
    return ui.root.find("pin")


def _rows(keypad) -> list[list[str]]:
    """The keys' actions row by row, top to bottom, as drawn (by their positions)."""
    from kiosk.ui.widgets import KButton

    keys = [w for w in keypad.walk() if isinstance(w, KButton) and w.kid.startswith("pin_key_")]
    rows: dict[int, list] = {}
    for k in keys:
        rows.setdefault(round(k.y), []).append(k)
    return [
        [k.action for k in sorted(row, key=lambda k: k.x)]
        for _, row in sorted(rows.items(), reverse=True)
    ]


def test_the_pin_keypad_is_laid_out_like_a_telephone_and_typing_works(kivy_window):
    from tests.support.kivy_ui import frames, tap

    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language("ja")
        keypad = _pin_screen(ui)
        frames(2)
        rows = _rows(keypad)
        assert rows == [
            ["1", "2", "3"],
            ["4", "5", "6"],
            ["7", "8", "9"],
            ["CLEAR", "0", "BS"],
            ["CANCEL", "OK"],
        ]
        digit = ui.root.find("pin_key_5")
        assert digit.height >= ui.app.mm(19) - 1  # room at normal text: larger keys
        for key in ("1", "0", "9", "BS", "8"):
            tap(ui.root.find(f"pin_key_{key}"))
        assert keypad.value == "108"
        ui.app.text_scale = 1.5
        frames(3)
        assert abs(digit.height - ui.app.mm(15.2)) < 1  # the minimum, where text needs the room
