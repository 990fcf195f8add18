"""The kiosk's screens: one `.kv` per screen (layout and bindings only), thin Python classes.

Invariants:
- One screen per session `Step` (`SCREENS`); a screen's kv file is loaded the first time the step
  is shown, from a path built from this package's `__file__`, never the working directory.
- `KioskRoot.render(state)` is the only way the screens change: it picks the step's screen and
  hands it the state. A tap calls one typed method of the session's flows through the screen
  (`KScreen.act(screen.flows.forms.confirm)`), never an intent named by a string.
- Screens get what they need when they are built (`host`: the app, `session`), handed down by
  `KioskRoot`, which is handed the screen classes (`SCREENS`) by the app: the frame imports no
  screen, and no screen asks Kivy for the running app.
- Whenever the screen changes, the screen being left is cleared (`KScreen.clear`), so cached
  screens hold no personal data once the session has moved on (and after the wipe, nothing does).
- Every tappable widget has a `kid`; `KioskRoot.find(kid)` finds it on the current screen or in
  the frame (status bar, call staff), which is how tests and the screenshot walker touch it.
"""

from kiosk.ui._root import KioskRoot, iter_widgets, load_base_kv, text_of
from kiosk.ui.screens import SCREENS, KScreen

__all__ = ["SCREENS", "KScreen", "KioskRoot", "iter_widgets", "load_base_kv", "text_of"]
