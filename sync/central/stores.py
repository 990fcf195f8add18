"""Opening the central store: `open_store(db)` picks the backend from the address.

The factory sits above the backends (`store_sqlite`, `store_postgres`), which sit above the
common `Store` (`store`); nothing below imports this module, so the import graph has no cycle.
Opening creates or migrates the schema (every central table is created by `store_schema`'s
migrations) and fails with one `StoreError` line.
"""

from __future__ import annotations

from sync.central.store import Store

__all__ = ["open_store"]


def open_store(db: str) -> Store:
    """`postgresql://...` (or `postgres://`) → PostgreSQL; anything else is a SQLite path."""
    if db.startswith(("postgresql://", "postgres://", "postgresql:///")):
        # psycopg is imported only when a PostgreSQL address is given (the Pi has none)
        from sync.central.store_postgres import PostgresStore

        return PostgresStore(db)
    from sync.central.store_sqlite import SqliteStore

    return SqliteStore(db)
