"""The root of every Madoguchi exception.

Each package (devices.card, devices.printer, sync, provisioning, kiosk) has its own `errors.py`
whose base class derives from `MadoguchiError`; the CLI turns any of them into one line on stderr
and exit code 1. Messages never carry personal data.
"""

__all__ = ["MadoguchiError"]


class MadoguchiError(Exception):
    """Base of all errors raised on purpose by Madoguchi code."""
