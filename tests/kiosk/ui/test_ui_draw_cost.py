"""Nothing invisible is drawn, and nothing takes the stencil path by accident.

Under a software renderer (llvmpipe: CI, a panel without GPU acceleration) every drawn pixel
costs, transparent or not, and Kivy draws a wide translucent `Line` through the stencil buffer
(measured: ~3 ms per button per frame even when the line had no size). On every screen of the
walk, in both themes: no rectangle is drawn in a fully transparent colour, no wide line is
translucent, the page background is the window's clear colour, not a full-screen quad, and
nothing clips through the stencil buffer (Kivy's ScrollView and ScreenManager do by default;
ours clip with the scissor test: measured 10 ms of a 34 ms frame).
"""

from __future__ import annotations

from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui.walk import PreviewUi  # noqa: E402


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
    from kivy.graphics import Line, Rectangle, StencilPush

    out = []
    for colour, instruction in _drawn(root.canvas):
        if isinstance(instruction, Rectangle) and colour[3] == 0:
            width, height = instruction.size
            if width > 0 and height > 0 and width * height > 0.02 * window_area:
                out.append(f"transparent rectangle {width:.0f}x{height:.0f} at {instruction.pos}")
        if isinstance(instruction, Line) and instruction.width > 1 and colour[3] < 1:
            out.append(f"translucent wide line at {instruction.points[:2]} (stencil path)")
        if isinstance(instruction, StencilPush):
            out.append("a stencil clip (clip with the scissor test instead)")
    return out


def test_no_invisible_fill_and_no_stencil_line_on_any_screen(kivy_window):
    from tests.support.kivy_ui import frames

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


def test_the_check_sees_a_transparent_rectangle_a_translucent_line_and_a_stencil(kivy_window):
    """The detector itself: a widget drawing the first two is reported twice, and Kivy's own
    ScrollView (which clips through the stencil buffer) is reported."""
    from kivy.graphics import Color, Line, Rectangle
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.widget import Widget

    assert "a stencil clip (clip with the scissor test instead)" in _problems(ScrollView())
    w = Widget(size=(100, 50))
    with w.canvas.before:
        Color(0, 0, 0, 0)
        Rectangle(pos=(0, 0), size=(100, 50))
    with w.canvas.after:
        Color(1, 1, 1, 0.35)
        Line(rectangle=(0, 0, 0, 0), width=2)
    assert len(_problems(w, window_area=100 * 50)) == 2


def _scissor_box(widget) -> tuple[int, int, int, int]:
    from kivy.graphics import ScissorPush

    box = next(i for i in widget.canvas.before.children if isinstance(i, ScissorPush))
    return box.x, box.y, box.width, box.height


def _window_rect(widget) -> tuple[int, int, int, int]:
    x, y = widget.to_window(*widget.pos)
    return round(x), round(y), round(widget.width), round(widget.height)


def test_a_scrolled_list_is_clipped_to_its_area(kivy_window, tmp_path):
    """The procedure list is longer than its area: what lies below is not drawn over the gap
    above the Back button (pixels read back), and the clip follows the area when the notice
    banner takes room from the screen."""
    from PIL import Image

    from kiosk.ui.widgets import KScroll
    from tests.support.kivy_ui import frames

    with PreviewUi(kivy_window) as ui:
        ui.session.open_procedures()
        ui.app.render()
        frames(3)
        scroll = next(w for w in ui.root.current_screen.walk() if isinstance(w, KScroll))
        rows = scroll.children[0]
        assert rows.height > scroll.height * 1.5  # the list does run on below
        assert _scissor_box(scroll) == _window_rect(scroll)
        assert _scissor_box(ui.root.ids.sm) == _window_rect(ui.root.ids.sm)
        path = kivy_window.screenshot(str(tmp_path / "procedures.png"))
        x, y = scroll.to_window(scroll.center_x, scroll.y)
        page = tuple(round(c * 255) for c in ui.app.theme.fill("body")[:3])
        with Image.open(path) as img:
            rgb = img.convert("RGB")
            # KPage spacing: a few pixel rows between the list's area and the Back button
            below = [rgb.getpixel((int(x), kivy_window.height - int(y) + dy)) for dy in (1, 3)]
            inside = rgb.getpixel((int(x), kivy_window.height - int(y) - 3))
        assert all(max(abs(a - b) for a, b in zip(p, page, strict=True)) <= 2 for p in below)
        assert inside != below[0]  # the clipped row itself is drawn up to the edge

        before = _window_rect(scroll)
        ui.session.call_staff()  # a notice banner appears above the screen
        ui.app.render()
        frames(3)
        assert _window_rect(scroll) != before
        assert _scissor_box(scroll) == _window_rect(scroll)
        assert _scissor_box(ui.root.ids.sm) == _window_rect(ui.root.ids.sm)


def test_a_screen_change_draws_only_the_new_screen(kivy_window):
    """Right after the intent, before any frame: the manager holds the new screen only, and the
    screens got their enter/leave events (Kivy's NoTransition would keep the old one under the
    new one until the next clock tick, drawing both in the first frame)."""
    from tests.support.kivy_ui import frames

    seen: list[str] = []
    with PreviewUi(kivy_window) as ui:
        frames(1)
        sm = ui.root.ids.sm
        home = sm.current_screen
        home.bind(on_leave=lambda *_a: seen.append("home left"))
        ui.root.act(ui.session.flows.visit.open_life_events)  # what the home button does
        assert [s.name for s in sm.children] == ["life_events"]
        sm.current_screen.bind(on_leave=lambda *_a: seen.append("life_events left"))
        ui.root.act(ui.session.flows.visit.back)
        assert sm.children == [home]
        assert seen == ["home left", "life_events left"]
