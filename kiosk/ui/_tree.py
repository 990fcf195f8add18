"""Walking a widget tree: every widget under a root, and the text a widget holds.

Shared by the frame (`_root`), the screens and the tests' finders; it imports no screen and no
frame, so neither depends on the other through it. Read-only: nothing here changes a widget.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["iter_widgets", "text_of"]


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
