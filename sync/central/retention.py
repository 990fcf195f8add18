"""Central retention: opened personal data is removed once it was forwarded and a period passed.

Guarantees:
- A typed row of a table holding personal data (`PERSONAL_TABLES`) opened more than
  `retention_days` ago loses every body field except the catalog ids, counts and times the
  reports need (`KEEP`), and gains `"$purged": {"sha256": <hash of the full body>}`: the row and
  its count stay, so the dashboard's numbers do not change, and the hash still proves what was
  received. The stored sealed body (`records.ciphertext`) of a purged row is dropped too (the
  central side holds the sealing keys, so it could be opened again); its header and hash stay,
  so the chain stays provable.
- A row of a kind the forwarder sends (`forwarded_kinds`) is purged only after the back office
  took it (a 2xx in the store's `forwarded` ledger): nothing is removed before the city has it.
  Other personal kinds (shelter check-ins) are purged after the period alone.
- On SQLite the purge runs with `secure_delete` and ends with a WAL checkpoint, so the old bodies
  are not left in free pages or in the write-ahead log; on PostgreSQL the old row versions are
  removed by (auto)vacuum.
- Nothing here logs personal data (counts only).

Config: `[retention]` of the central TOML file (`retention_days`, `forwarded_kinds`), read by
`sync.central.config_files.load_retention_config` in the entry point (`madoguchi central retain`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.central.errors import RetentionConfigError
from sync.central.store_schema import KIND_TABLES

__all__ = [
    "KEEP",
    "PERSONAL_TABLES",
    "RetentionConfig",
    "RetentionConfigError",
    "apply_retention",
]

# Body fields kept after retention, per typed table holding personal data: what the reports and
# the dashboard read (catalog ids, counts, times), never a name, an address or free text.
KEEP: dict[str, tuple[str, ...]] = {
    "applications": ("procedure", "catalog_version", "language", "submitted_at"),
    "certificate_requests": (
        "certificate",
        "copies",
        "purpose",
        "fee_yen",
        "language",
        "requested_at",
        "claim",
    ),  # fmt: skip
    "bookings": ("topic", "slot", "start", "minutes", "language", "requested_at"),
    # the center's register (kiosk/center/shelter.py): occupancy needs shelter, household and
    # members after the purge; age groups and needs go with the rest
    "shelter_checkins": (
        "procedure",
        "catalog_version",
        "language",
        "submitted_at",
        "source",
        "shelter",
        "household",
        "members",
        "at",
    ),
}
PERSONAL_TABLES = tuple(KEEP)


@dataclass(frozen=True)
class RetentionConfig:
    retention_days: float = 30.0
    forwarded_kinds: tuple[str, ...] = ("application", "certificate_request", "booking")

    def __post_init__(self) -> None:
        if isinstance(self.retention_days, bool) or not isinstance(
            self.retention_days, int | float
        ):
            raise RetentionConfigError("retention_days must be a number of days")
        if not 0 <= self.retention_days <= 3650:
            raise RetentionConfigError("retention_days must be between 0 and 3650")
        unknown = [k for k in self.forwarded_kinds if k not in KIND_TABLES]
        if unknown:
            raise RetentionConfigError(f"forwarded_kinds: unknown record kind {unknown[0]!r}")


def apply_retention(
    store, config: RetentionConfig, *, clock: Callable[[], float] = time.time
) -> int:
    """Purge what is due now (see the module's guarantees); returns rows purged."""
    now = clock()
    cutoff = now - config.retention_days * 86400.0
    forwarded_first = [KIND_TABLES[k] for k in config.forwarded_kinds]
    return store.purge_personal(KEEP, forwarded_first, cutoff, now)
