"""The base of every screen: `KScreen` (render, clear, guidance, filling rows, acting).

Invariants: a screen gets what it needs at construction (`host`: the app, for texts, sizes and
rendering; `session`: the state it shows, whose typed `flows` its taps call) and never looks
for a running app. A tap is `act(flow_method, *args)`: one typed call, then one render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kivy.uix.screenmanager import Screen

from kiosk.ui._tree import discard_children, iter_widgets
from kiosk.ui.widgets import KButton, Keyboard, KLabel

__all__ = ["KScreen", "ScreenHost"]


class ScreenHost(Protocol):
    """What a screen needs of the app around it (`kiosk.app.KioskApp` is one)."""

    target: float

    def tr(self, msgid: str, *_bindings: Any, **values: Any) -> str: ...

    def render(self) -> None: ...


class KScreen(Screen):
    """Base: `render(session)`, `clear()`, `guidance()` (fixed text voice guidance reads)."""

    GUIDANCE = ""

    def __init__(self, *, host: ScreenHost, session: Any, **kwargs: Any) -> None:
        # Set before Screen.__init__: the kv rule applied there may read them.
        self.host = host
        self.session = session
        super().__init__(**kwargs)

    @property
    def flows(self) -> Any:
        """The session's typed flows (`kiosk.session.Flows`)."""
        return self.session.flows

    def tr(self, msgid: str, **values: Any) -> str:
        return self.host.tr(msgid, **values)

    def act(self, intent: Callable[..., Any], *args: Any) -> Any:
        """A tap: call one typed flow method (e.g. `self.flows.forms.confirm`), then render."""
        result = intent(*args)
        self.host.render()
        return result

    def tap(self, intent: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        """The action of a row built in Python (`fill`): `act(intent, *args)` when tapped."""
        return lambda: self.act(intent, *args)

    def render(self, s: Any) -> None:
        pass

    def clear(self) -> None:
        for w in list(iter_widgets(self)):
            if isinstance(w, Keyboard):
                w.clear()
            elif isinstance(w, KLabel) and w.personal:
                w.text = ""
            if getattr(w, "dynamic", False):
                discard_children(w)

    def guidance(self) -> str:
        return self.tr(self.GUIDANCE) if self.GUIDANCE else ""

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
            discard_children(container)
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
