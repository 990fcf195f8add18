"""Nothing invisible is drawn, and nothing takes the stencil path by accident.

Under a software renderer (llvmpipe: CI, a panel without GPU acceleration) every drawn pixel
costs, transparent or not, and Kivy draws a wide translucent `Line` through the stencil buffer
(measured: ~3 ms per button per frame even when the line had no size). On every screen of the
walk, in both themes: no rectangle is drawn in a fully transparent colour, no wide line is
translucent, and the page background is the window's clear colour, not a full-screen quad.
"""

from __future__ import annotations

from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui._walk import PreviewUi  # noqa: E402


def _drawn(canvas):
    """(colour, instruction) for every drawing instruction of a canvas, depth first."""
    from kivy.graphics import Color
    from kivy.graphics.instructions import Canvas, InstructionGroup

    colour = (1.0, 1.0, 1.0, 1.0)
    stack = [iter(canvas.children)]
    while stack:
        for instruction in stack[-1]:
            if isinstance(instruction, Color):
                colour = tuple(instruction.rgba)
            elif isinstance(instruction, Canvas | InstructionGroup):
                stack.append(iter(instruction.children))
                break
            else:
                yield colour, instruction
        else:
            stack.pop()


def _problems(root, window_area: float = 1280 * 800) -> list[str]:
    """What the root's canvas tree (every widget's drawing, in drawing order) draws in vain.
    Transparent strips under 2% of the window (Kivy's hidden scroll bars) are tolerated."""
    from kivy.graphics import Line, Rectangle

    out = []
    for colour, instruction in _drawn(root.canvas):
        if isinstance(instruction, Rectangle) and colour[3] == 0:
            width, height = instruction.size
            if width > 0 and height > 0 and width * height > 0.02 * window_area:
                out.append(f"transparent rectangle {width:.0f}x{height:.0f} at {instruction.pos}")
        if isinstance(instruction, Line) and instruction.width > 1 and colour[3] < 1:
            out.append(f"translucent wide line at {instruction.points[:2]} (stencil path)")
    return out


def test_no_invisible_fill_and_no_stencil_line_on_any_screen(kivy_window):
    from kivy_support import frames

    with PreviewUi(kivy_window) as ui:
        found: dict[str, list[str]] = {}
        for contrast in (False, True):
            if contrast:
                ui.session.set_high_contrast(True)
            for step in ui.walk():
                frames(1)
                problems = _problems(ui.root)
                if problems:
                    found[f"{step} contrast={contrast}"] = problems
        assert not found, found
        # the page background is cleared, not painted
        assert tuple(kivy_window.clearcolor) == tuple(ui.app.theme.fill("body"))
        assert not [i for _c, i in _drawn(ui.root.canvas.before)]


def test_the_check_sees_a_transparent_rectangle_and_a_translucent_line(kivy_window):
    """The detector itself: a widget drawing both is reported twice."""
    from kivy.graphics import Color, Line, Rectangle
    from kivy.uix.widget import Widget

    w = Widget(size=(100, 50))
    with w.canvas.before:
        Color(0, 0, 0, 0)
        Rectangle(pos=(0, 0), size=(100, 50))
    with w.canvas.after:
        Color(1, 1, 1, 0.35)
        Line(rectangle=(0, 0, 0, 0), width=2)
    assert len(_problems(w, window_area=100 * 50)) == 2
