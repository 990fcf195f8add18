"""Walking a widget tree: every widget under a root, and the text a widget holds.

Shared by the frame (`_root`), the screens and the tests' finders; it imports no screen and no
frame, so neither depends on the other through it. Read-only, but for `forget` and
`discard_children`, which let go of widgets the UI throws away.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["discard_children", "forget", "iter_widgets", "text_of"]


def iter_widgets(widget: Any) -> Iterator[Any]:
    """The widget and every descendant (depth first)."""
    stack = [widget]
    while stack:
        w = stack.pop()
        yield w
        stack.extend(w.children)
        stack.extend(getattr(w, "stash", ()))  # a hidden Panel's children


def text_of(widget: Any) -> str:
    """Every piece of text a widget holds (label text, keyboard buffers)."""
    parts = []
    for attr in ("text", "value", "hint_text"):
        v = getattr(widget, attr, None)
        if isinstance(v, str) and v:
            parts.append(v)
    return "\n".join(parts)


def forget(widget: Any) -> None:
    """Unbind the kv rules of `widget` and its descendants before the UI throws them away.

    A kv rule such as `color: app.fg(self.style, app.theme)` binds the widget to the app's
    properties. Kivy removes that binding when the widget is collected, but not when the widget
    dies in a reference cycle: then the next change of the app's theme, language or text size
    dispatches to a dead widget and raises ReferenceError in the middle of a render (seen in the
    layout test after screens were evicted). Unbinding here makes that impossible."""
    from kivy.lang import Builder

    for w in list(iter_widgets(widget)):
        Builder.unbind_widget(w.uid)


def discard_children(container: Any) -> None:
    """Remove every child of `container` for good (see `forget`)."""
    for child in list(container.children):
        forget(child)
    container.clear_widgets()
