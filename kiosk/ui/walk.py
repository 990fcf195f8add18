"""The preview kiosk and the walk through every screen, as a public API.

For the screenshot walker (`madoguchi kiosk --screenshots`), the bench and the tests: a kiosk app
on preview ports (a fixed, fictional resident: never a real person's data) mounted in a window
the caller owns, with a clock the caller advances. Tests import these names from here, never
from the private module that implements them.
"""

from kiosk.ui._walk import (
    PREVIEW_RESIDENT,
    PREVIEW_STAFF_PIN,
    PreviewPorts,
    PreviewUi,
    mount,
    shot_name,
    unmount,
    walk_steps,
)

__all__ = [
    "PREVIEW_RESIDENT",
    "PREVIEW_STAFF_PIN",
    "PreviewPorts",
    "PreviewUi",
    "mount",
    "shot_name",
    "unmount",
    "walk_steps",
]
