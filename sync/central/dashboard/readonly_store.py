"""A read-only view of the central store for the dashboard, on SQLite or PostgreSQL.

Invariants:
- Nothing here can write: SQLite is opened with `mode=ro` (URI) and `PRAGMA query_only`, and no
  migration or journal-mode change happens and a missing database is never created (SQLite may
  add the -wal/-shm files of an existing WAL database when its directory is writable);
  PostgreSQL sessions run with `default_transaction_read_only` and psycopg's `read_only` (a
  write is an error, not a change).
- Every statement is bounded in time (`timeout_s`: PostgreSQL `statement_timeout`, SQLite a
  progress handler that interrupts the statement) and callers bound rows with LIMIT.
- Backend errors become `StoreError` carrying the operation and an error type, never data.
- The reports of `StoreReports` (lag, devices, counts) are reused as they are: they only need
  the hooks `_execute`, `_commit`, `_guard` implemented here (and `placeholder`).
One `ReadOnlyStore` per thread (the dashboard opens one per request).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from sync.central.errors import StoreError
from sync.central.store_reports import StoreReports

__all__ = ["ReadOnlyStore", "open_readonly"]

_KEY = re.compile(r"^[a-z_]{1,32}$")


class ReadOnlyStore(StoreReports):
    dialect = ""

    def rows(self, operation: str, sql: str, params: Sequence = ()) -> list[tuple]:
        """Run one read statement (written with `?` placeholders) and end the read."""
        with self._guard(operation):
            try:
                return self._execute(self._q(sql), params)
            finally:
                self._commit()

    def json_field(self, key: str) -> str:
        """SQL for the top-level string field `key` of the `body` column, NULL when the body is
        not readable JSON (never an error that would fail the whole query)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _SqliteReadOnly(ReadOnlyStore):
    dialect = "sqlite"

    def __init__(self, path: str, timeout_s: float) -> None:
        self.path = str(path)
        uri = Path(self.path).resolve().as_uri() + "?mode=ro"
        try:
            self._db = sqlite3.connect(
                uri, uri=True, isolation_level=None, check_same_thread=False, timeout=timeout_s
            )
            self._db.execute("PRAGMA query_only = ON")
            deadline = time.monotonic() + timeout_s
            # Interrupts a statement running past the deadline (OperationalError: interrupted).
            self._db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            self._db.execute("SELECT 1 FROM devices LIMIT 1").fetchall()
        except sqlite3.Error as e:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self._db.close()
            raise StoreError("open", f"{type(e).__name__}: {e}") from e

    def _execute(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._db.execute(sql, params).fetchall()

    def _commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _guard(self, operation: str):
        try:
            yield
        except sqlite3.Error as e:
            raise StoreError(operation, type(e).__name__) from e

    def json_field(self, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError("bad key")
        return f"CASE WHEN json_valid(body) THEN json_extract(body, '$.{key}') END"

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


class _PostgresReadOnly(ReadOnlyStore):
    placeholder = "%s"
    dialect = "postgres"

    def __init__(self, dsn: str, timeout_s: float) -> None:
        import psycopg

        self._psycopg = psycopg
        ms = max(1, int(timeout_s * 1000))
        try:
            self._db = psycopg.connect(
                dsn,
                autocommit=False,
                connect_timeout=max(1, int(timeout_s)),
                application_name="madoguchi-dashboard",
                options=(
                    f"-c default_transaction_read_only=on -c statement_timeout={ms} "
                    f"-c idle_in_transaction_session_timeout={ms}"
                ),
            )
            self._db.read_only = True
        except psycopg.Error as e:
            raise StoreError("open", type(e).__name__) from e

    def _execute(self, sql: str, params: Sequence = ()) -> list[tuple]:
        cur = self._db.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []

    def _commit(self) -> None:
        with contextlib.suppress(self._psycopg.Error):
            self._db.rollback()  # a read: nothing to keep, and nothing could have been written

    @contextlib.contextmanager
    def _guard(self, operation: str):
        try:
            yield
        except self._psycopg.Error as e:
            with contextlib.suppress(self._psycopg.Error):
                self._db.rollback()
            raise StoreError(operation, type(e).__name__) from e

    def json_field(self, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError("bad key")
        # jsonb refuses what Python's json writes for NaN/Infinity and \u0000: such bodies (only a
        # misbehaving device sends them) read as NULL instead of failing the whole query.
        return f"CASE WHEN body !~ '(NaN|Infinity|\\\\u0000)' THEN (body::jsonb ->> '{key}') END"

    def close(self) -> None:
        with contextlib.suppress(self._psycopg.Error):
            self._db.close()


def open_readonly(db: str, timeout_s: float = 10.0) -> ReadOnlyStore:
    """`postgresql://...` (or `postgres://`) → PostgreSQL; anything else is a SQLite path that
    must already exist (it is never created)."""
    if db.startswith(("postgresql://", "postgres://")):
        return _PostgresReadOnly(db, timeout_s)
    return _SqliteReadOnly(db, timeout_s)
