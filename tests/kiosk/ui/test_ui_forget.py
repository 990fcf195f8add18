"""Screens and rows the UI throws away let go of their kv bindings to the app.

A kv rule such as `color: app.fg(self.style, app.theme)` binds a widget to the app's theme.
When an evicted screen died in a reference cycle, Kivy never removed that binding, and the next
theme change raised ReferenceError in the middle of a render (the layout test hit it once in a
full run). The frame now unbinds what it evicts (kiosk.ui._tree.forget)."""

from __future__ import annotations

import gc

from kivy.lang import builder

from kiosk.ui._tree import iter_widgets


def test_evicted_screens_keep_no_kv_binding_and_a_theme_change_renders(kiosk_ui):
    ui = kiosk_ui
    s = ui.session
    s.open_procedures()
    ui.frames(2)
    s.open_life_events()
    ui.frames(2)
    s.home()
    ui.frames(2)
    evicted = [screen for screen in ui.root.cached_screens if screen.name != "home"]
    assert evicted, "the walk built no screen to evict"
    uids = {w.uid for screen in evicted for w in iter_widgets(screen)}
    assert uids & set(builder._handlers), "kv rules were bound while the screens were shown"
    ui.root.drop_cached_screens()
    assert not uids & set(builder._handlers)
    del evicted
    gc.collect()
    for contrast in (True, False, True):
        s.set_high_contrast(contrast)
        ui.frames(2)
        assert ui.app.high_contrast is contrast
    s.open_procedures()  # rebuilt on demand, bound again, and shown
    ui.frames(2)
    assert ui.step == "procedures"
