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
    def fill(self, container, rows: list[tuple[str, str, str, Callable[[], Any] | None]]) -> None:
        """Replace a container's children with buttons (kid, text, style, on_tap or None=label)."""
        container.dynamic = True
        container.clear_widgets()
        for kid, text, style, on_tap in rows:
            if on_tap is None:
                container.add_widget(KLabel(kid=kid, text=text, style=style, personal=True))
                continue
            b = KButton(kid=kid, text=text, style=style)
            b.bind(on_release=lambda _b, fn=on_tap: fn())
            container.add_widget(b)

    @staticmethod
    def t(s: Any, text: Any) -> str:
        """A catalog `Text` in the session's language."""
        return text.get(s.language) if text is not None else ""


def _intent(name: str, *args: Any) -> Callable[[], Any]:
    return lambda: _app().intent(name, *args)
