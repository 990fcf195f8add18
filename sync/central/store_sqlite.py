"""SQLite backend of the central store (the default, embedded: `--db central.db`).

WAL journal, `synchronous=FULL` (a committed batch survives a power cut), explicit transactions
(`BEGIN IMMEDIATE` for writers, so one process's receiver and processing stage serialize cleanly
through `busy_timeout`). One `SqliteStore` per thread.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from sync.central.errors import StoreError
from sync.central.store import Store
from sync.central.store_schema import MIGRATIONS, render

__all__ = ["SqliteStore"]


class SqliteStore(Store):
    placeholder = "?"

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as e:
            raise StoreError("open", f"{type(e).__name__}: {e}") from e

    def _migrate(self) -> None:
        try:
            done = {r[0] for r in self._db.execute("SELECT name FROM schema_migrations")}
        except sqlite3.OperationalError:
            done = set()
        if all(name in done for name, _ in MIGRATIONS):
            return  # the common case: no write lock taken just to open
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
            )
            done = {r[0] for r in self._db.execute("SELECT name FROM schema_migrations")}
            for name, statements in MIGRATIONS:
                if name in done:
                    continue
                for statement in statements:
                    self._db.execute(render(statement, "sqlite"))
                self._db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, time.time()))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _execute(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._db.execute(sql, params).fetchall()

    def _executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        self._db.executemany(sql, rows)

    def _begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    @contextlib.contextmanager
    def _guard(self, operation: str):
        try:
            yield
        except sqlite3.Error as e:
            raise StoreError(operation, f"{type(e).__name__}: {e}") from e

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
