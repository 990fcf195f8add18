"""The new address's 番地・号 is typed with - 丁目 番 号 keys (issue 19): the numeric keypad shows
them for that field only, and what is typed is kept as the resident wrote it."""

from __future__ import annotations

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui.walk import PreviewUi  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def _to_moving_in_form(ui):
    from tests.support.kivy_ui import frames, to_pin_entry

    s = ui.session
    to_pin_entry(ui, "moving_in")
    s.submit_pin("1234")
    ui.worker.release()
    ui.app.render()
    frames(2)
    assert str(s.step) == "form_confirm"


def _tap_in_view(widget):
    """Scroll the form to the widget first (the form is longer than the screen), then tap."""
    from kivy.uix.scrollview import ScrollView

    from tests.support.kivy_ui import frames, tap

    p = widget.parent
    while p is not None and not isinstance(p, ScrollView):
        p = p.parent
    if p is not None:
        p.scroll_to(widget, animate=False)
        frames(3)
    tap(widget)


def test_address_keys_type_a_lot_number_and_only_there(kivy_window):
    from tests.support.kivy_ui import frames, tap

    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language("ja")
        _to_moving_in_form(ui)
        root = ui.root
        _tap_in_view(root.find("fix_new_lot"))
        frames(2)
        for key in ("-", "丁目", "番", "号"):
            assert root.find(f"kb_numeric_key_{key}") is not None, key
        for key in ("1", "2", "番", "3", "号"):
            tap(root.find(f"kb_numeric_key_{key}"))
        assert root.find("edit_value").text == "12番3号"
        tap(root.find("kb_numeric_key_OK"))
        frames(2)
        assert ui.session.form.field("new_lot").value == "12番3号"

        _tap_in_view(root.find("fix_new_lot"))  # again, the short way: 12-3
        for key in ("1", "2", "-", "3"):
            tap(root.find(f"kb_numeric_key_{key}"))
        tap(root.find("kb_numeric_key_OK"))
        frames(2)
        assert ui.session.form.field("new_lot").value == "12-3"

        # a plain number: the same keypad, without address keys
        _tap_in_view(root.find("fix_phone"))
        frames(2)
        assert root.find("kb_numeric") is not None
        assert root.find("kb_numeric_key_丁目") is None
        assert root.find("kb_numeric_key_-") is None


def test_a_lot_number_that_is_not_one_is_refused_naming_the_field(kivy_window):
    from tests.support.kivy_ui import frames, tap

    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language("ja")
        _to_moving_in_form(ui)
        root = ui.root
        _tap_in_view(root.find("fix_new_lot"))
        for key in ("-", "-", "1"):
            tap(root.find(f"kb_numeric_key_{key}"))
        tap(root.find("kb_numeric_key_OK"))
        frames(2)
        notice = ui.session.notice
        assert notice is not None and "new_lot" in str(notice), notice
        assert ui.session.form.field("new_lot").value == ""
