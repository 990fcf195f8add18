"""The center: one queue per center served by its queue host, the staff console, the calling
display and staff calls (see docs/center.md). No Kivy import anywhere in this package; Flask and
waitress only in `host`, `requests` only in `terminal`.
"""

from __future__ import annotations

from kiosk.center.calls import StaffCalls
from kiosk.center.errors import (
    CenterConfigError,
    CenterError,
    CounterPausedError,
    HostUnreachableError,
    QueueInputError,
    TicketStateError,
)
from kiosk.center.queue import SERVICES, CenterQueue, Ticket, label_for
from kiosk.center.terminal import HostClient, TerminalQueue

__all__ = [
    "SERVICES",
    "CenterConfigError",
    "CenterError",
    "CenterQueue",
    "CounterPausedError",
    "HostClient",
    "HostUnreachableError",
    "QueueInputError",
    "StaffCalls",
    "TerminalQueue",
    "Ticket",
    "TicketStateError",
    "label_for",
]
