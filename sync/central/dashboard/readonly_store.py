"""The dashboard's read-only view of the central store, by its former name: the connection and
every query live store-side in `sync.central.store_reads` (read-only, bounded, no body
returned); the dashboard holds no SQL and imports no database driver.
"""

from __future__ import annotations

from sync.central.store_reads import StoreReader as ReadOnlyStore
from sync.central.store_reads import open_reader as open_readonly

__all__ = ["ReadOnlyStore", "open_readonly"]
