"""Rows filled by screens: catalog lists are updated in place (no new widgets or textures when a
resident comes back or switches language), personal rows are dropped when the screen is left."""

from __future__ import annotations

from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui.walk import PreviewUi  # noqa: E402


def _rows(ui, container_id: str) -> list:
    return ui.root.current_screen.ids[container_id].children[::-1]


def test_catalog_lists_are_kept_and_updated_in_place(kivy_window):
    from tests.support.kivy_ui import frames

    with PreviewUi(kivy_window) as ui:
        ui.session.open_procedures()
        frames(1)
        first = _rows(ui, "rows")
        japanese = [w.text for w in first]
        assert len(first) >= 20
        ui.session.back()
        frames(1)
        ui.session.open_procedures()
        frames(1)
        again = _rows(ui, "rows")
        assert [id(w) for w in again] == [id(w) for w in first]  # not rebuilt
        ui.session.back()
        ui.session.choose_language("en")
        frames(1)
        ui.session.open_procedures()
        frames(1)
        english = _rows(ui, "rows")
        assert [id(w) for w in english] == [id(w) for w in first]
        assert [w.text for w in english] != japanese  # same widgets, English text
        # a tap still reaches the intent of its own row
        target = next(w for w in english if w.kid == "proc_moving_in")
        target.dispatch("on_release")
        frames(1)
        assert ui.session.step.value == "procedure_intro"
        assert ui.session.procedure.id == "moving_in"


def test_language_buttons_restyle_without_rebuilding(kivy_window):
    from tests.support.kivy_ui import frames

    with PreviewUi(kivy_window) as ui:
        frames(1)
        before = {w.kid: w for w in _rows(ui, "languages")}
        assert before["lang_ja"].style == "selected"
        ui.session.choose_language("ko")
        frames(1)
        after = {w.kid: w for w in _rows(ui, "languages")}
        assert all(after[k] is before[k] for k in before)
        assert after["lang_ko"].style == "selected" and after["lang_ja"].style == "choice"


def test_personal_rows_are_dropped_when_the_screen_is_left(kivy_window):
    from tests.support.kivy_ui import frames

    with PreviewUi(kivy_window) as ui:
        ui.session.open_life_events()
        frames(1)
        ui.session.choose_life_event("moving_in")
        frames(1)
        while ui.session.current_question is not None:
            ui.session.answer(ui.session.current_question.id, True)
            frames(1)
        assert ui.root.step == "checklist"
        checklist = ui.root.current_screen
        assert checklist.ids.rows.children  # the resident's own list of procedures
        ui.session.back()
        frames(1)
        assert ui.root.step != "checklist"
        assert not checklist.ids.rows.children  # gone with the screen's clear()
