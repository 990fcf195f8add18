"""The device outbox: every submission is sealed, chained and durably stored here before it is sent.

See `sync.outbox._outbox` for the guarantees (one durable transaction per append, no gaps, no
plaintext, free-space reserve, damaged files moved aside) and docs/record-format.md for the records.
Terminal side: imports the wire formats (`sync.sealing`, `sync.bundles`) and `sync.errors`, never
the agent, the central side, kiosk/ or provisioning/.

Public API:
- `Outbox(config, device_id, sealing_public, sealing_key_id, key_source=None)`: `open()`,
  `append`/`append_many` (→ `AppendResult`), `pending_batch`, `mark_sent`, `mark_acked`, `stats()`
  (→ `OutboxStats`), `recovery` (a `RecoveryReport` when a damaged file was moved aside);
- `OutboxConfig` (path, free-space reserve, retention, limits), `Clock`, `system_clock`;
- sealing keys: `SealingKey`, the `SealingKeySource` protocol, `AnnouncedSealingKey` (the key a
  signed config bundle announces after a central rotation);
- `MIGRATIONS` (the schema's recorded migrations);
- errors: `sync.errors.OutboxError` and its subclasses.
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
