"""Errors of the kiosk's call port. Messages never carry chat text or SDP."""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = ["CallError", "CallWorkerError"]


class CallError(MadoguchiError):
    """Base of every error of kiosk.call."""


class CallWorkerError(CallError):
    """The call worker could not be started, stopped early, or did not answer in time."""
