"""The device outbox: every submission is sealed, chained and durably stored here before it is sent.

See `sync.outbox._outbox` for the guarantees (one durable transaction per append, no gaps, no
plaintext, free-space reserve, damaged files moved aside) and docs/record-format.md for the records.
"""

from sync.outbox._config import (
    AppendResult,
    Clock,
    OutboxConfig,
    OutboxStats,
    RecoveryReport,
    system_clock,
)
from sync.outbox._keys import AnnouncedSealingKey, SealingKey, SealingKeySource
from sync.outbox._outbox import Outbox
from sync.outbox._schema import MIGRATIONS

__all__ = [
    "MIGRATIONS",
    "AnnouncedSealingKey",
    "AppendResult",
    "Clock",
    "Outbox",
    "OutboxConfig",
    "OutboxStats",
    "RecoveryReport",
    "SealingKey",
    "SealingKeySource",
    "system_clock",
]
