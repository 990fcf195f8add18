"""The kiosk's Kivy application, as the entry points and tests know it: `build_app`, `KioskApp`,
`kivy_scheduler` and friends.

The application itself is `kiosk.ui.app` (inside the UI package, so that the package's preview
and bench app build it without importing upward: no `kiosk.app` <-> `kiosk.ui` cycle); this
module re-exports its public names. Importing it has no side effects beyond importing Kivy.
"""

from kiosk.ui.app import (
    LOCALE_DIR,
    KioskApp,
    build_app,
    finish_frame,
    kivy_scheduler,
    release_memory,
    swallow_exit_keys,
)

__all__ = [
    "KioskApp",
    "LOCALE_DIR",
    "build_app",
    "finish_frame",
    "kivy_scheduler",
    "release_memory",
    "swallow_exit_keys",
]
