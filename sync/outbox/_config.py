"""Outbox configuration, results and the device clock (plain values, no I/O except the clock).

Invariants: `OutboxConfig` rejects nonsensical limits at construction; `OutboxStats` holds counts,
sequence numbers and times only, never record content.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "AppendResult",
    "Clock",
    "OutboxConfig",
    "OutboxStats",
    "RecoveryReport",
    "system_clock",
]

# A clock returns (unix seconds, whether the clock was synchronized when read).
Clock = Callable[[], tuple[float, bool]]

_STATE_PENDING = 0
_STATE_SENT = 1
_STATE_ACKED = 2


@dataclass(frozen=True)
class OutboxConfig:
    """Where the outbox lives and its limits; safe defaults for a kiosk's SD card."""

    path: Path
    reserve_bytes: int = 64 * 1024 * 1024  # free space the OS, logs and local state keep
    retention_s: float = 7 * 24 * 3600.0  # acked ciphertext kept this long, then dropped
    max_body_bytes: int = 1024 * 1024  # one sealed record, header included
    max_db_bytes: int | None = None  # cap on the main file (SQLite max_page_count); None: no cap
    busy_timeout_ms: int = 5000  # wait for the other process's write lock
    quick_check: bool = True  # PRAGMA quick_check on open (damaged file moved aside)
    seqmark_every: int = 1000  # note the seq in a side file every N records (total-loss recovery)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.reserve_bytes < 0:
            raise ValueError("reserve_bytes must be >= 0")
        if self.retention_s < 0:
            raise ValueError("retention_s must be >= 0")
        if not 1024 <= self.max_body_bytes <= 64 * 1024 * 1024:
            raise ValueError("max_body_bytes must be within 1 KiB..64 MiB")
        if self.max_db_bytes is not None and self.max_db_bytes < 64 * 1024:
            raise ValueError("max_db_bytes must be None or >= 64 KiB")
        if not 1 <= self.seqmark_every <= 10**9:
            raise ValueError("seqmark_every must be >= 1")
        if not 0 <= self.busy_timeout_ms <= 600_000:
            raise ValueError("busy_timeout_ms must be within 0..600000")


@dataclass(frozen=True)
class AppendResult:
    """What `append` returns once the record is durably committed (the receipt may print)."""

    seq: int
    record_id: str
    record_hash: bytes


@dataclass(frozen=True)
class RecoveryReport:
    """Opening found the outbox damaged (moved aside, never deleted), missing or emptied."""

    moved_to: str  # where the damaged file went ("" when the file was missing or empty)
    reason: str
    salvaged_seq: int  # the new outbox continues after this seq
    chain_restarted: bool  # True when no last hash could be read: the chain restarts at genesis


@dataclass(frozen=True)
class OutboxStats:
    """Counts and sequence numbers only, never content (staff screen, health metrics)."""

    pending: int
    sent: int
    acked: int
    last_seq: int
    last_acked_seq: int
    oldest_pending_created_at: int | None
    pruned: int = 0
    base_seq: int = 0  # records up to here live in an earlier (moved-aside) file


_TIME_ERROR = 5  # adjtimex(2) clock state: clock not synchronized


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def _kernel_clock_synced() -> bool | None:
    """Ask the kernel (adjtimex, read-only) whether NTP has synchronized the clock."""
    libc = _libc()
    if libc is None:
        return None
    try:
        buf = ctypes.create_string_buffer(512)  # struct timex with modes = 0 (read only)
        state = libc.adjtimex(buf)
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != _TIME_ERROR


def system_clock() -> tuple[float, bool]:
    """Wall clock plus "synchronized?": systemd-timesyncd's flag file, else the kernel's state."""
    now = time.time()
    if os.path.exists("/run/systemd/timesync/synchronized"):
        return now, True
    return now, bool(_kernel_clock_synced())
