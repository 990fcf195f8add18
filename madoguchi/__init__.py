"""Madoguchi: offline-first kiosk firmware for community-center service windows.

Two layers live here, at the two ends of the stack (docs/architecture.md):
- the floor, `madoguchi.core` (errors, durable files, i18n, process facts), which every package uses;
- the roof: the one CLI `madoguchi <command>` (`madoguchi.cli`) and the tools that drive the whole
  product (`madoguchi.bench`, `madoguchi.demo`, `madoguchi.faults`, `madoguchi.rig`).
Importing this package imports nothing heavy.
"""

from madoguchi.core import __version__

__all__ = ["__version__"]
