"""Errors of the fault harness (one module, names ending in Error)."""

from __future__ import annotations

__all__ = ["CheckerError", "FaultsError", "PowerCutError"]


class FaultsError(Exception):
    """Root of the fault harness's errors."""


class PowerCutError(FaultsError):
    """The power-cut VFS cannot be installed or a cut's images cannot be restored."""


class CheckerError(FaultsError):
    """The checker cannot read what it must judge (a store or outbox it cannot open)."""
