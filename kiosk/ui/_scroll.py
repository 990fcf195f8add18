"""Scrolling: `KScroll` (a vertical scroll area clipped with the scissor test) and `ScrollArrows`
(▲▼ beside the screens, and 「下にまだあります ▼」 while there is more below); `is_shown`.

Invariants:
- Clipping uses the scissor test, never Kivy's stencil mask (the slow path under llvmpipe).
- ▲▼ are enabled only while there is more in their direction, and look it (filled); the
  "More below" label is in the widget tree only while shown (nothing drawn otherwise), takes
  no touch (a label), and is never shown over a button (a key, a list's button): then the
  filled ▼ alone says there is more.
- Event-driven (scroll position, viewport, size, position), no polling.
"""

from __future__ import annotations

from kivy.graphics import (
    Callback,
    Rectangle,
    ScissorPop,
    ScissorPush,
    StencilPop,
    StencilPush,
    StencilUnUse,
    StencilUse,
)
from kivy.properties import BooleanProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView

__all__ = ["KScroll", "ScrollArrows", "clip_with_scissor", "is_shown"]


def clip_with_scissor(widget) -> None:
    """Clip `widget` to its rectangle with the scissor test instead of Kivy's stencil mask.

    Kivy's ScrollView and ScreenManager clip by drawing their rectangle into the stencil buffer
    (twice a frame) and then draw everything inside with the stencil test on. Under a software
    renderer (Mesa llvmpipe) that is the slow path: measured 10 ms of a 34 ms home-screen frame.
    A rectangle needs no stencil: the scissor test clips for free. Scissor boxes are in window
    pixels, so a `Callback` re-places the box from the widget's window position on each draw
    (a screen inside a RelativeLayout moves without its own `pos` changing)."""
    if any(isinstance(ins, ScissorPush) for ins in widget.canvas.before.children):
        return
    for group, mask_after in (
        (widget.canvas.before, StencilPush),
        (widget.canvas.after, StencilUnUse),
    ):
        kids = list(group.children)
        for i, ins in enumerate(kids):
            if isinstance(ins, mask_after):
                mask = next(k for k in kids[i + 1 :] if isinstance(k, Rectangle))
                group.remove(mask)  # takes its BindTexture with it
            if isinstance(ins, StencilPush | StencilUse | StencilUnUse | StencilPop):
                group.remove(ins)
    box = ScissorPush(x=0, y=0, width=1, height=1)

    def place(_instr) -> None:
        x, y = widget.to_window(*widget.pos)
        rect = (round(x), round(y), max(round(widget.width), 0), max(round(widget.height), 0))
        if (box.x, box.y, box.width, box.height) != rect:
            box.x, box.y, box.width, box.height = rect

    widget.canvas.before.insert(0, box)
    widget.canvas.before.insert(0, Callback(place))
    widget.canvas.after.insert(0, ScissorPop())


class KScroll(ScrollView):
    """A vertical scroll area, clipped with the scissor test (see `clip_with_scissor`)."""

    def on_kv_post(self, base_widget) -> None:  # Kivy's own rules are applied by now
        clip_with_scissor(self)


class ScrollArrows(BoxLayout):
    """▲ and ▼ beside the screens: a page up or down in the current screen's scroll area, for
    residents who do not drag (issue 19). Enabled only while there is more in that direction.
    Event-driven (the area's scroll_y, viewport and height), no polling: nothing is drawn while
    nothing changes."""

    screens = ObjectProperty(None, allownone=True)
    # The "More below ▼" label (kid `more_below`, built by the kv rule): while there is more
    # below, it sits over the bottom right corner of the scroll area, next to ▼, where a
    # resident's eye ends (review A11: pale arrows alone looked disabled). It is put into
    # `overlay` (the frame) only while shown, so it draws nothing otherwise.
    hint = ObjectProperty(None, allownone=True)
    overlay = ObjectProperty(None, allownone=True)
    can_up = BooleanProperty(False)
    can_down = BooleanProperty(False)
    # The screen has a scroll area: the column takes its width on such screens only (a PIN
    # keypad keeps the whole width), the same on every visit of the screen.
    has_scroll = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        self._scroll = None
        self._hint_trigger = None
        super().__init__(**kwargs)

    def on_hint(self, _inst, hint) -> None:
        if hint is not None and hint.parent is not None:  # declared in the column by kv
            hint.parent.remove_widget(hint)

    def on_screens(self, _inst, screens) -> None:
        if screens is not None:
            screens.bind(current_screen=self.retarget)

    def retarget(self, *_args) -> None:
        from kivy.clock import Clock

        Clock.schedule_once(self._pick, 0)  # once the new screen is laid out

    def _pick(self, *_args) -> None:
        old = self._scroll
        if old is not None:
            old.unbind(scroll_y=self._refresh, viewport_size=self._refresh, height=self._refresh,
                       pos=self._refresh, width=self._refresh)  # fmt: skip
        self._scroll = None
        screen = self.screens.current_screen if self.screens is not None else None
        stack = [screen] if screen is not None else []
        while stack and self._scroll is None:
            w = stack.pop()
            if isinstance(w, KScroll) and is_shown(w):
                self._scroll = w
            stack.extend(w.children)
        self.has_scroll = self._scroll is not None
        if self._scroll is not None:
            self._scroll.bind(scroll_y=self._refresh, viewport_size=self._refresh,
                              height=self._refresh, pos=self._refresh, width=self._refresh)  # fmt: skip
        self._refresh()

    def _refresh(self, *_args) -> None:
        s = self._scroll
        more = s is not None and s.viewport_size[1] > s.height + 1
        self.can_up = more and s.scroll_y < 0.999
        self.can_down = more and s.scroll_y > 0.001
        self._place_hint()

    def _place_hint(self) -> None:
        # After the scroll area has moved its children (it does so on the next frame): the
        # check against the buttons needs where they are drawn, not where they were.
        if self._hint_trigger is None:
            from kivy.clock import Clock

            self._hint_trigger = Clock.create_trigger(self._place_hint_now, 0)
        self._place_hint_now()
        self._hint_trigger()

    def _place_hint_now(self, *_args) -> None:
        hint, overlay, s = self.hint, self.overlay, self._scroll
        if hint is None or overlay is None:
            return
        show = bool(self.can_down and s is not None and is_shown(s))
        if show:
            if hint.parent is None:
                overlay.add_widget(hint)
            x, y = s.to_window(s.x, s.y)
            hint.width = min(s.width, _text_width(hint) + 32)  # as narrow as its words
            hint.pos = (x + s.width - hint.width - 4, y + 4)
            if self._covers_a_button(hint):
                # Never over something to tap (a key of the name keyboard, a list's 相談する):
                # the resident could not see what they press. The filled ▼ still says it.
                overlay.remove_widget(hint)
        elif hint.parent is not None:
            hint.parent.remove_widget(hint)

    def _covers_a_button(self, hint) -> bool:
        """Whether the hint, where it was put, lies over a shown button of the screen."""
        from kivy.uix.button import Button

        from kiosk.ui._tree import iter_widgets

        screen = self.screens.current_screen if self.screens is not None else None
        if screen is None:
            return False
        left, bottom = hint.x, hint.y
        right, top = left + hint.width, bottom + hint.height
        for w in iter_widgets(screen):
            if not isinstance(w, Button) or w.width <= 0 or w.height <= 0:
                continue
            wx, wy = w.to_window(w.x, w.y)
            if wx < right and wx + w.width > left and wy < top and wy + w.height > bottom:
                if is_shown(w):
                    return True
        return False

    def page(self, direction: int) -> None:
        """Scroll by most of a screenful: direction -1 up (▲), +1 down (▼)."""
        if self._scroll is None or not is_shown(self._scroll):
            self._pick()
        s = self._scroll
        if s is None:
            return
        overflow = s.viewport_size[1] - s.height
        if overflow <= 0:
            return
        step = 0.8 * s.height / overflow  # a screenful less a fifth: the last lines stay in view
        s.scroll_y = min(1.0, max(0.0, s.scroll_y - direction * step))
        self._refresh()


def _text_width(label) -> float:
    """The width of a label's text on one line, in its font (no wrapping)."""
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text=label.text, font_size=label.font_size, font_name=label.font_name,
                     bold=label.bold)  # fmt: skip
    return core.get_extents(label.text)[0]


def is_shown(widget) -> bool:
    """False when the widget or an ancestor is hidden (opacity 0, a hidden Panel) or disabled."""
    w = widget
    while w is not None:
        if getattr(w, "opacity", 1) == 0 or getattr(w, "disabled", False):
            return False
        if getattr(w, "shown", True) is False:  # a hidden Panel (kiosk.ui.widgets)
            return False
        parent = getattr(w, "parent", None)
        if parent is w:
            break
        w = parent
    return True
