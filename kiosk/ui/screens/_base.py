"""The base of every screen: `KScreen` (render, clear, guidance, filling rows) and the two
helpers screens use to reach the running app and to turn a tap into a session intent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.ui._root import iter_widgets
from kiosk.ui.widgets import KButton, Keyboard, KLabel

__all__ = ["KScreen"]


def _app():
    return App.get_running_app()


class KScreen(Screen):
    """Base: `render(session)`, `clear()`, `guidance()` (fixed text voice guidance reads)."""

    GUIDANCE = ""

    def render(self, s: Any) -> None:
        pass

    def clear(self) -> None:
        for w in list(iter_widgets(self)):
            if isinstance(w, Keyboard):
                w.clear()
            elif isinstance(w, KLabel) and w.personal:
                w.text = ""
            if getattr(w, "dynamic", False):
                w.clear_widgets()

    def guidance(self) -> str:
        return _app().tr(self.GUIDANCE) if self.GUIDANCE else ""

    # helpers for the Python side of rendering
    def fill(
        self,
        container,
        rows: list[tuple[str, str, str, Callable[[], Any] | None]],
        *,
        personal: bool = True,
    ) -> None:
        """Make a container show these rows: buttons (kid, text, style, on_tap) or labels
        (on_tap None). When the same rows (kids, buttons or labels) are already there, they are
        updated in place (text, style, tap): no new widgets, no new label textures for what did
        not change, so re-rendering a screen or coming back to it is cheap. `personal=False` (catalog
        lists: languages, life events, procedures, topics, ...) keeps the rows when the screen
        is cleared; personal rows (the default) are dropped then."""
        container.dynamic = personal
        shape = [(kid, on_tap is None) for kid, _text, _style, on_tap in rows]
        children = container.children[::-1]  # in the order they were added
        if shape != [(w.kid, isinstance(w, KLabel)) for w in children]:
            container.clear_widgets()
            children = []
            for kid, _text, _style, on_tap in rows:
                if on_tap is None:
                    w = KLabel(kid=kid, personal=True)
                else:
                    w = KButton(kid=kid)
                    w.bind(on_release=_tapped)
                container.add_widget(w)
                children.append(w)
        for w, (_kid, text, style, on_tap) in zip(children, rows, strict=True):
            w.text, w.style = text, style
            if on_tap is not None:
                w.on_tap = on_tap

    @staticmethod
    def t(s: Any, text: Any) -> str:
        """A catalog `Text` in the session's language."""
        return text.get(s.language) if text is not None else ""


def _tapped(button: Any) -> None:
    button.on_tap()  # set by `KScreen.fill`: the row's current action


def _intent(name: str, *args: Any) -> Callable[[], Any]:
    return lambda: _app().intent(name, *args)
