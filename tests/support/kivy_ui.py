"""Driving a real Kivy window in tests: advance frames instead of sleeping, tap widgets with real
touch events, and read pixels back (as Kivy's own GraphicUnitTest does)."""

from __future__ import annotations

from kivy.base import EventLoop
from kivy.tests.common import UnitTestTouch


def frames(n: int = 2) -> None:
    """Run n iterations of the event loop: layout, clock callbacks and one draw each."""
    for _ in range(n):
        EventLoop.idle()


def tap(widget) -> None:
    """A real touch down + up at the widget's centre, dispatched through the window."""
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    frames(1)
    touch.touch_up()
    frames(1)


def widget_pixels(widget) -> tuple[int, int, bytes]:
    """(width, height, RGBA bytes) of the widget as drawn, via an offscreen framebuffer."""
    image = widget.export_as_image()
    texture = image.texture
    return texture.width, texture.height, bytes(texture.pixels)


def ink(rgba: bytes, threshold: int = 128) -> int:
    """How many pixels are brighter than `threshold` (text is drawn light on a dark canvas)."""
    return sum(1 for i in range(0, len(rgba), 4) if rgba[i] > threshold)


def to_pin_entry(ui, procedure: str = "moving_in") -> None:
    """A `PreviewUi` session from home to the PIN of `procedure` (the card placed)."""
    s = ui.session
    s.open_procedures()
    s.choose_procedure(procedure)
    s.card_removed()
    s.start_procedure()
    s.card_inserted()
    ui.worker.release()
    ui.app.render()
    frames(2)
    assert str(s.step) == "pin_entry"
