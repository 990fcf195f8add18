"""Named, recorded schema migrations of the outbox file.

Invariants: migrations run in list order, each in its own transaction together with the row that
records it in `schema_migrations`, so a crash leaves either none or all of a migration. A file
that records a migration this code does not know was written by newer software: refuse it
(`OutboxSchemaError`) rather than guess. Names are never reused or renamed.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from sync.errors import OutboxSchemaError

__all__ = ["MIGRATIONS", "migrate"]


def _m0001_records(db: sqlite3.Connection) -> None:
    # chain: one row; head_* is where the next append links (the source of truth for the next
    # seq, so a deleted last row never makes a seq be reused); base_* is where this file's chain
    # starts (0 / genesis, or after a damaged file was moved aside).
    db.execute(
        """CREATE TABLE chain (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            device_id TEXT NOT NULL,
            base_seq INTEGER NOT NULL,
            base_hash BLOB NOT NULL,
            head_seq INTEGER NOT NULL,
            head_hash BLOB NOT NULL,
            last_acked_seq INTEGER NOT NULL,
            recovered_from TEXT
        )"""
    )
    # records: sealed records only. ciphertext becomes NULL after retention once acked;
    # header and record_hash stay so the chain still verifies. state: 0 pending, 1 sent, 2 acked.
    db.execute(
        """CREATE TABLE records (
            seq INTEGER PRIMARY KEY,
            header BLOB NOT NULL,
            ciphertext BLOB,
            record_hash BLOB NOT NULL,
            state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
            created_at INTEGER NOT NULL,
            acked_at REAL,
            size INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE INDEX records_state ON records (state, seq)")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("0001_records", _m0001_records),
]


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the missing migrations (connection in autocommit mode); return the names applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM schema_migrations")}
    known = [name for name, _ in MIGRATIONS]
    unknown = sorted(done - set(known))
    if unknown:
        raise OutboxSchemaError(unknown)
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have applied it while we waited for the lock.
            if db.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone():
                db.execute("COMMIT")
                continue
            step(db)
            db.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                (name, time.time()),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied
