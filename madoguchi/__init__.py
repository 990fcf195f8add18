"""Madoguchi: offline-first kiosk firmware for community-center service windows.

This package holds what every part shares (the error root, fonts, the version) and the one CLI,
`madoguchi <command>`. It imports nothing heavy at import time.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("madoguchi")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
