"""Errors of the kiosk's call port. Messages never carry chat text or SDP."""

from __future__ import annotations

from kiosk.errors import KioskError

__all__ = ["CallError", "CallVideoError", "CallWorkerError", "FlowError"]


class CallError(KioskError):
    """Base of every error of kiosk.call."""


class CallWorkerError(CallError):
    """The call worker could not be started, stopped early, or did not answer in time."""


class FlowError(CallError):
    """A consultation flow method was called in a step where it means nothing (a screen bug)."""


class CallVideoError(CallError):
    """The worker's video buffer announcement was refused (`code`: why, for the event)."""

    def __init__(self, message: str, *, code: str = "bad") -> None:
        super().__init__(message)
        self.code = code
