"""Device-local state that must stay readable on the device: a small SQLite key/value store.

Queue numbers per day, the cached catalog version, config values, the last sync status. It is a
separate file from the outbox (which the device cannot read back) and holds NO personal data:
callers store counters, versions and statuses only; values are JSON (numbers, strings, lists, maps).

Invariants: every write is one durable transaction (WAL, synchronous=FULL); `next_counter` is
atomic across threads and processes (BEGIN IMMEDIATE), so two kiosks' threads or the UI and the
agent never hand out the same queue number for a day; counters start at 1 for each new day.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sync.errors import LocalStateError

__all__ = ["LocalState"]

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}\Z")
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_MIGRATIONS = (
    (
        "0001_kv_counters",
        (
            "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE counters (name TEXT NOT NULL, day TEXT NOT NULL,"
            " value INTEGER NOT NULL, PRIMARY KEY (name, day))",
        ),
    ),
)


def _check_name(what: str, name: str) -> None:
    if type(name) is not str or not _NAME_RE.match(name):
        raise ValueError(f"{what} must match {_NAME_RE.pattern}")


class LocalState:
    """`get`/`set`/`delete` JSON values by key; `next_counter(name, day)` for queue numbers."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            self._db = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=busy_timeout_ms / 1000.0,
            )
        except sqlite3.Error as e:
            raise LocalStateError(f"cannot open local state: {e}") from e
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except (sqlite3.Error, LocalStateError) as e:
            self._db.close()
            raise LocalStateError(f"cannot open local state: {e}") from e

    def __enter__(self) -> LocalState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self, fn):
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(self._db)
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise LocalStateError(f"local state: {e}") from e
            return result

    def _migrate(self) -> None:
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
        )
        for name, statements in _MIGRATIONS:

            def step(db: sqlite3.Connection, name=name, statements=statements) -> None:
                if db.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone():
                    return
                for sql in statements:
                    db.execute(sql)
                db.execute("INSERT INTO schema_migrations VALUES (?, unixepoch('subsec'))", (name,))

            self._tx(step)

    def get(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under `key`, or `default`."""
        _check_name("key", key)
        with self._lock:
            try:
                row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as e:
                raise LocalStateError(f"local state: {e}") from e
        return default if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        """Store a JSON-encodable value (durably) under `key`."""
        _check_name("key", key)
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise LocalStateError(f"value for {key} is not JSON-encodable") from e
        self._tx(
            lambda db: db.execute(
                "INSERT INTO kv (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, text),
            )
        )

    def delete(self, key: str) -> None:
        _check_name("key", key)
        self._tx(lambda db: db.execute("DELETE FROM kv WHERE key = ?", (key,)))

    def next_counter(self, name: str, day: str) -> int:
        """The next number of counter `name` for `day` (YYYY-MM-DD): 1, 2, 3, ... per day."""
        _check_name("counter name", name)
        if type(day) is not str or not _DAY_RE.match(day):
            raise ValueError("day must be YYYY-MM-DD")

        def bump(db: sqlite3.Connection) -> int:
            return db.execute(
                "INSERT INTO counters (name, day, value) VALUES (?, ?, 1)"
                " ON CONFLICT (name, day) DO UPDATE SET value = value + 1 RETURNING value",
                (name, day),
            ).fetchone()[0]

        return self._tx(bump)

    def counter(self, name: str, day: str) -> int:
        """The last number handed out for `name` on `day` (0 if none)."""
        _check_name("counter name", name)
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM counters WHERE name = ? AND day = ?", (name, day)
            ).fetchone()
        return 0 if row is None else row[0]
