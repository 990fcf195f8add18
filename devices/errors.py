"""Errors of the `devices` package's own modules (today: `devices.fonts`).

The card, printer and payment packages each keep their own hierarchy in their `errors.py`
(`CardError`, `PrinterError`, `PaymentError`); every one derives from `MadoguchiError`, so the
CLI prints it as one line.
"""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = ["FontMissingError"]


class FontMissingError(MadoguchiError):
    """The CJK font is not installed (Debian package fonts-noto-cjk)."""
