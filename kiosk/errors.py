"""The root of the kiosk's errors: `KioskError`.

Every error the kiosk packages raise on purpose derives from it (through each package's own
`errors.py`: `kiosk.session.errors` for the session and its ports); it derives from
`madoguchi.core.errors.MadoguchiError`, so the CLI turns any of them into one line on stderr and
exit code 1, never a traceback. Messages name fields, steps and reasons, never personal data.
"""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = ["KioskConfigError", "KioskError"]


class KioskError(MadoguchiError):
    """Base of the kiosk's errors."""


class KioskConfigError(KioskError):
    """The kiosk's TOML config is unreadable or has a bad value (names the key)."""
