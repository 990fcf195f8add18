"""Read-only access to the central store for readers that must never write (the dashboard):
a connection of its own and the named queries those readers need, on SQLite or PostgreSQL.

Invariants:
- Nothing here can write: SQLite is opened with `mode=ro` (URI) and `PRAGMA query_only`, and no
  migration or journal-mode change happens and a missing database is never created (SQLite may
  add the -wal/-shm files of an existing WAL database when its directory is writable);
  PostgreSQL sessions run with `default_transaction_read_only` and psycopg's `read_only` (a
  write is an error, not a change).
- Every statement is bounded in time (`timeout_s`: PostgreSQL `statement_timeout`, SQLite a
  progress handler that interrupts the statement) and in rows (LIMIT, or grouped by ids).
- Table and column names in SQL come from fixed sets here, never from a caller's string
  (`ValueError` otherwise); values are always bound parameters.
- No query returns a record body: only ids, kinds, counts, sums, times and the short status
  words of `device_health` (printer, paper, card reader, versions), cut to 40 characters.
- Backend errors become `StoreError` carrying the operation and an error type, never data.
- The store's private hooks are not implemented here: this is a reader, not a `Store`.
One `StoreReader` per thread (the dashboard opens one per request).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from sync.central.errors import StoreError
from sync.central.store_schema import KIND_TABLES
from sync.central.summary_rows import month_split

__all__ = ["HEALTH_FIELDS", "StoreReader", "open_reader"]

_KEY = re.compile(r"^[a-z_]{1,32}$")
_SUMMARY_KEYS = frozenset({"metric", "day", "device_id", "k1", "k2", "k3"})
_GROUPED = {"events": "kind", "quarantine": "reason"}
_HEALTH_BATCH = 200  # (device_id, seq) pairs per statement of `latest_health`
# `device_health` body fields shown on the dashboard (short status words, no personal data).
HEALTH_FIELDS = (
    "printer",
    "paper",
    "card_reader",
    "outbox_pending",
    "software_version",
    "catalog_version",
)


class StoreReader:
    """The named read queries; a backend subclass supplies `_read` and `_json_field`."""

    dialect = ""
    placeholder = "?"

    # --- backend ------------------------------------------------------------------------------
    def _read(self, operation: str, sql: str, params: Sequence) -> list[tuple]:
        raise NotImplementedError

    def _json_field(self, key: str) -> str:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # --- queries ------------------------------------------------------------------------------
    def rows(self, operation: str, sql: str, params: Sequence = ()) -> list[tuple]:
        """One read statement written with `?` placeholders (operators' checks and tests; the
        dashboard uses the named queries below). A write fails: the connection is read-only."""
        return self._read(operation, sql, params)

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _query(self, operation: str, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._read(operation, self._sql(sql), params)

    def lag(self) -> tuple[int, float]:
        """(records waiting to be opened, age in seconds of the oldest of them)."""
        rows = self._query("lag", "SELECT COUNT(*), MIN(received_at) FROM records WHERE state = 0")
        count, oldest = rows[0]
        return int(count), (time.time() - float(oldest)) if oldest is not None else 0.0

    def devices(self) -> list[tuple[str, int, int, float]]:
        """(device_id, committed_seq, max_seq, last_seen) of every device heard from."""
        rows = self._query(
            "devices",
            "SELECT device_id, committed_seq, max_seq, last_seen FROM devices ORDER BY device_id",
        )
        return [(d, int(c), int(m), float(s)) for d, c, m, s in rows]

    def count(self, table: str = "records", device_id: str | None = None) -> int:
        """Rows of `records`, `quarantine`, `events` or a typed table (of one device)."""
        if table not in {"records", "quarantine", "events", *KIND_TABLES.values()}:
            raise ValueError(f"unknown table {table}")
        sql, params = f"SELECT COUNT(*) FROM {table}", ()
        if device_id is not None:
            sql, params = sql + " WHERE device_id = ?", (device_id,)
        return int(self._query("count", sql, params)[0][0])

    def waiting_per_device(self, limit: int) -> dict[str, int]:
        """{device_id: records stored but not opened yet}."""
        rows = self._query(
            "waiting",
            "SELECT device_id, COUNT(*) FROM records WHERE state = 0 GROUP BY device_id LIMIT ?",
            (limit,),
        )
        return {d: int(n) for d, n in rows}

    def grouped_per_device(self, table: str, limit: int) -> list[tuple[str, str, int]]:
        """(device_id, kind or reason, rows) of `events` (by kind) or `quarantine` (by reason)."""
        column = _GROUPED[table]
        rows = self._query(
            f"{table}_counts",
            f"SELECT device_id, {column}, COUNT(*) FROM {table} "
            f"GROUP BY device_id, {column} LIMIT ?",
            (limit,),
        )
        return [(d, v, int(n)) for d, v, n in rows]

    def recent_events(self, limit: int) -> list[tuple[str, str, int, int, str, float]]:
        """The newest chain events: (device_id, kind, first_seq, last_seq, detail, at)."""
        rows = self._query(
            "recent_events",
            "SELECT device_id, kind, first_seq, last_seq, detail, at FROM events "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [(d, k, int(a), int(b), str(t), float(at)) for d, k, a, b, t, at in rows]

    def created_since_per_device(self, kind: str, since: float, limit: int) -> dict[str, int]:
        """{device_id: typed rows of `kind` created at or after `since`} (counted, never read)."""
        table = KIND_TABLES[kind]
        rows = self._query(
            f"{table}_counts",
            f"SELECT device_id, COUNT(*) FROM {table} WHERE created_at >= ? "
            "GROUP BY device_id LIMIT ?",
            (int(since), limit),
        )
        return {d: int(n) for d, n in rows}

    def latest_health(self, limit: int) -> dict[str, dict]:
        """{device_id: {"at": created_at, field: short status word}} of each device's newest
        `device_health` record (the fields of `HEALTH_FIELDS` that it has)."""
        # Two statements shaped so that every plan probes the unique (device_id, seq) index once
        # per device heard from: a scalar subquery per device for its newest seq, then those
        # rows by (device_id, seq). A join with MAX in its condition let PostgreSQL, on little
        # data or stale statistics, hash-join a whole read of a year of hourly rows.
        newest = [
            (d, int(seq))
            for d, seq in self._query(
                "latest_health",
                "SELECT d.device_id, (SELECT MAX(seq) FROM device_health h "
                "WHERE h.device_id = d.device_id) FROM devices d ORDER BY d.device_id LIMIT ?",
                (limit,),
            )
            if seq is not None
        ]
        fields = ", ".join(self._json_field(f) for f in HEALTH_FIELDS)
        out = {}
        for start in range(0, len(newest), _HEALTH_BATCH):
            batch = newest[start : start + _HEALTH_BATCH]
            rows = self._query(
                "latest_health",
                f"SELECT device_id, created_at, {fields} FROM device_health WHERE "
                + " OR ".join("(device_id = ? AND seq = ?)" for _ in batch),
                [v for pair in batch for v in pair],
            )
            for device_id, at, *values in rows:
                shown = {f: str(v)[:40] for f, v in zip(HEALTH_FIELDS, values, strict=True) if v}
                out[device_id] = {"at": int(at), **shown}
        return dict(sorted(out.items()))

    def consultation_minutes(self, since: float, until: float, limit: int) -> dict:
        """Consultations created in [since, until) per center, as minute histograms:
        {"count": [(center, n)], "wait": [(center, whole minutes from queueing to a specialist
        accepting, n)], "call": [(center, whole minutes of the call, n)], "complete": bool}.
        Counts and times only, never who. One statement reading the window's rows once (through
        the created_at index), grouped by (center, wait minutes, call minutes); three groupings
        read them three times, which measured slower on both backends. `complete` is false when
        the groups reached `limit`."""
        wait = (
            "CASE WHEN accepted_at IS NOT NULL "
            "THEN CAST(accepted_at - queued_at AS INTEGER) / 60 END"
        )
        call = (
            "CASE WHEN ended_at IS NOT NULL AND accepted_at IS NOT NULL "
            "THEN CAST(ended_at - accepted_at AS INTEGER) / 60 END"
        )
        rows = self._query(
            "consultations",
            f"SELECT center, {wait} AS w, {call} AS c, COUNT(*) FROM consultations "
            "WHERE created_at >= ? AND created_at < ? GROUP BY center, w, c LIMIT ?",
            (float(since), float(until), limit),
        )
        count: dict[str, int] = {}
        hists: dict[str, dict[tuple[str, int], int]] = {"wait": {}, "call": {}}
        for center, w, c, n in rows:
            center, n = str(center)[:64], int(n)
            count[center] = count.get(center, 0) + n
            for key, m in (("wait", w), ("call", c)):
                if m is not None:
                    cell = (center, max(0, int(m)))
                    hists[key][cell] = hists[key].get(cell, 0) + n
        return {
            "count": sorted(count.items()),
            **{key: [(c, m, n) for (c, m), n in sorted(h.items())] for key, h in hists.items()},
            "complete": len(rows) < limit,
        }

    def summed(
        self,
        metric: str,
        keys: Iterable[str],
        first: str,
        last: str,
        devices: Sequence[str] | None = None,
    ) -> list[tuple]:
        """(*keys, SUM(n), SUM(total)) of one summary metric over the days [first, last]
        grouped by `keys` (columns of the summary tables); see `summed_many`."""
        keys = tuple(keys)
        if "metric" in keys:
            if keys != ("metric",):
                raise ValueError("metric may only be summed by itself")
            return self.summed_many((metric,), (), first, last, devices)
        return [row[1:] for row in self.summed_many((metric,), keys, first, last, devices)]

    def summed_many(
        self,
        metrics: Sequence[str],
        keys: Iterable[str],
        first: str,
        last: str,
        devices: Sequence[str] | None = None,
    ) -> list[tuple]:
        """(metric, *keys, SUM(n), SUM(total)) of the given summary metrics over the days
        [first, last], grouped by metric and `keys`, in ONE statement: the month totals of the
        months the window touches plus or minus the days at its edges
        (`summary_rows.month_split`), so a year reads about 13 month rows and at most a
        fortnight of day rows per key, each part a range of the covering index. With `devices`,
        only those devices' rows (one center's page)."""
        keys = tuple(keys)
        metrics = tuple(metrics)
        if not set(keys) <= _SUMMARY_KEYS - {"metric"}:
            raise ValueError(f"summary keys must be among {sorted(_SUMMARY_KEYS - {'metric'})}")
        if not metrics or not all(isinstance(m, str) and _KEY.match(m) for m in metrics):
            raise ValueError("metrics must be summary metric names")
        cols = ", ".join(("metric", *keys))
        name = "_".join(metrics) if len(metrics) == 1 else f"{len(metrics)}_metrics"
        which = (
            "metric = ?" if len(metrics) == 1 else f"metric IN ({', '.join('?' for _ in metrics)})"
        )
        only, only_params = "", ()
        if devices is not None:
            if not devices:
                return []
            only = f" AND device_id IN ({', '.join('?' for _ in devices)})"
            only_params = tuple(devices)
        plus, minus, months = month_split(first, last)
        if months is None or "day" in keys:
            return self._query(
                f"daily_{name}",
                f"SELECT {cols}, SUM(n), SUM(total) FROM dashboard_daily "
                f"WHERE {which} AND day >= ? AND day <= ?{only} GROUP BY {cols}",
                (*metrics, first, last, *only_params),
            )
        parts = [
            f"SELECT {cols}, n, total FROM dashboard_monthly WHERE {which} AND month >= ? "
            f"AND month <= ?{only}"
        ]
        params: list = [*metrics, *months, *only_params]
        for sign, ranges in (("", plus), ("-", minus)):
            for a, b in ranges:
                parts.append(
                    f"SELECT {cols}, {sign}n, {sign}total FROM dashboard_daily "
                    f"WHERE {which} AND day >= ? AND day <= ?{only}"
                )
                params += [*metrics, a, b, *only_params]
        sql = (
            f"SELECT {cols}, SUM(n), SUM(total) FROM ({' UNION ALL '.join(parts)}) AS parts "
            f"GROUP BY {cols} HAVING SUM(n) <> 0"
        )
        return self._query(f"summed_{name}", sql, params)

    def summed_for(
        self, metric: str, keys: Iterable[str], first: str, last: str, device_ids: Sequence[str]
    ) -> list[tuple]:
        """As `summed` over the days [first, last] (day rows only, at most 400 days), for the
        given devices only (one center's page). The days are listed, not ranged, so the summary
        index is probed for each (day, device) instead of scanning every device's rows."""
        keys = tuple(keys)
        if not keys or not set(keys) <= _SUMMARY_KEYS:
            raise ValueError(f"summary keys must be among {sorted(_SUMMARY_KEYS)}")
        a, b = date.fromisoformat(first), date.fromisoformat(last)
        if not device_ids or b < a:
            return []
        if (b - a).days >= 400:
            raise ValueError("at most 400 days")
        days = [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]
        cols = ", ".join(keys)
        day_marks = ", ".join("?" for _ in days)
        device_marks = ", ".join("?" for _ in device_ids)
        return self._query(
            f"center_{metric}",
            f"SELECT {cols}, SUM(n), SUM(total) FROM dashboard_daily WHERE metric = ? "
            f"AND day IN ({day_marks}) AND device_id IN ({device_marks}) GROUP BY {cols}",
            (metric, *days, *device_ids),
        )


class _SqliteReader(StoreReader):
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

    def _read(self, operation: str, sql: str, params: Sequence) -> list[tuple]:
        try:
            try:
                return self._db.execute(sql, params).fetchall()
            finally:
                if self._db.in_transaction:
                    self._db.execute("COMMIT")
        except sqlite3.Error as e:
            raise StoreError(operation, type(e).__name__) from e

    def _json_field(self, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError("bad key")
        return f"CASE WHEN json_valid(body) THEN json_extract(body, '$.{key}') END"

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


class _PostgresReader(StoreReader):
    """The queries over `store_postgres.PostgresReadConnection` (psycopg stays there)."""

    placeholder = "%s"
    dialect = "postgres"

    def __init__(self, dsn: str, timeout_s: float) -> None:
        from sync.central.store_postgres import PostgresReadConnection

        self._conn = PostgresReadConnection(dsn, timeout_s)

    def _read(self, operation: str, sql: str, params: Sequence) -> list[tuple]:
        return self._conn.read(operation, sql, params)

    def _json_field(self, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError("bad key")
        # jsonb refuses what Python's json writes for NaN/Infinity and \u0000: such bodies (only a
        # misbehaving device sends them) read as NULL instead of failing the whole query.
        return f"CASE WHEN body !~ '(NaN|Infinity|\\\\u0000)' THEN (body::jsonb ->> '{key}') END"

    def close(self) -> None:
        self._conn.close()


def open_reader(db: str, timeout_s: float = 10.0) -> StoreReader:
    """`postgresql://...` (or `postgres://`) → PostgreSQL; anything else is a SQLite path that
    must already exist (it is never created)."""
    if db.startswith(("postgresql://", "postgres://")):
        return _PostgresReader(db, timeout_s)
    return _SqliteReader(db, timeout_s)
