"""Errors of the center package (queue host, terminal client, staff console, calling display)."""

from __future__ import annotations

from kiosk.errors import KioskError

__all__ = [
    "CenterError",
    "CenterConfigError",
    "CounterPausedError",
    "HostUnreachableError",
    "QueueInputError",
    "TicketStateError",
]


class CenterError(KioskError):
    """Base of the center's errors."""


class CenterConfigError(CenterError):
    """A bad `CenterConfig` value (names the field, never a secret)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"center config {field}: {reason}")
        self.field = field
        self.reason = reason


class QueueInputError(CenterError):
    """A request the queue cannot take (unknown service, malformed ticket, bad counter); `code`
    is what the console or the terminal is told."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class TicketStateError(CenterError):
    """The ticket is not in a state that allows this step (e.g. ending one never started)."""

    def __init__(self, ticket: str, state: str, wanted: str) -> None:
        super().__init__(f"ticket {ticket} is {state}, cannot {wanted}")
        self.code = "wrong_state"
        self.ticket, self.state, self.wanted = ticket, state, wanted


class CounterPausedError(CenterError):
    def __init__(self, counter: str) -> None:
        super().__init__(f"counter {counter} is paused")
        self.code = "counter_paused"
        self.counter = counter


class HostUnreachableError(CenterError):
    """The center's queue host did not answer in time (the terminal falls back)."""
