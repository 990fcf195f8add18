"""▲▼ (issue 19): long lists page up and down with buttons, for residents who do not drag.

Taps are real touches on the ▲▼ buttons; the list's scroll position is read back."""

from __future__ import annotations

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui.walk import PreviewUi  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def _scroll_of(screen):
    from kiosk.ui.widgets import KScroll, is_shown

    stack = [screen]
    while stack:
        w = stack.pop()
        if isinstance(w, KScroll) and is_shown(w):
            return w
        stack.extend(w.children)
    return None


@pytest.mark.parametrize("large", [False, True])
def test_arrows_page_a_long_list_and_rest_where_there_is_nothing_more(kivy_window, large):
    from kiosk.ui.widgets import is_shown
    from tests.support.kivy_ui import frames, tap

    with PreviewUi(kivy_window) as ui:
        s = ui.session
        s.choose_language("ja")
        s.set_text_scale(large)
        s.open_procedures()  # every procedure: longer than the screen
        ui.app.render()
        frames(3)
        up, down = ui.root.ids.arrows.children[-1], ui.root.ids.arrows.children[0]
        assert (up.kid, down.kid) == ("scroll_up", "scroll_down")
        scroll = _scroll_of(ui.root.current_screen)
        assert scroll is not None and scroll.viewport_size[1] > scroll.height
        assert scroll.scroll_y == pytest.approx(1.0)
        assert not is_shown(up) and is_shown(down)  # at the top: only ▼

        positions = [scroll.scroll_y]
        while is_shown(down) and len(positions) < 40:
            tap(down)
            frames(1)
            positions.append(scroll.scroll_y)
        assert positions == sorted(positions, reverse=True) and len(set(positions)) == len(
            positions
        )
        assert scroll.scroll_y == pytest.approx(0.0)  # the end of the list is reachable
        assert len(positions) > 2
        assert is_shown(up) and not is_shown(down)

        tap(up)
        frames(1)
        assert 0.0 < scroll.scroll_y < 1.0 and is_shown(down)

        s.home()
        s.open_procedures()
        s.choose_procedure(next(iter(s.catalog.kiosk_procedures())).id)
        s.card_removed()
        s.start_procedure()  # place your card: nothing to scroll, both arrows rest
        ui.app.render()
        frames(3)
        assert not is_shown(up) and not is_shown(down)
