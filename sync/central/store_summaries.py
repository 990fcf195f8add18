"""The dashboard's per-day summaries kept in the store (tables `dashboard_daily`,
`dashboard_monthly`, `dashboard_cursor`): the processing stage's side, writing through the
store's own connection.

The processing stage calls `DailySummaries.after_chunk(store)` (`catch_up`) after each chunk it
commits; `rebuild(store)` (`madoguchi central dashboard rebuild-summaries`) recomputes every day
from the typed tables. The rows themselves come from `summary_rows.summarize_day` (pure).

Invariants:
- `_replace_day` swaps a day's rows in one transaction, so recomputing a day any number of
  times gives the same rows (idempotent; a crash leaves the old rows or the new ones, never a
  mix).
- Nothing is missed: `dashboard_cursor` holds, per typed table, the highest row id already
  summarized, advanced in the same transaction as the day it covers. Rows above it name the days
  to recompute. On PostgreSQL, ids can become visible out of order under concurrent writers, so
  the last `PG_ID_MARGIN` ids below the cursor are looked at again.
- Personal tables (applications, certificate requests, bookings, shelter check-ins, queue
  tickets) are counted in SQL, extracting at most one catalog id; their bodies never reach
  Python. Survey, metric, queue event and staff call bodies are read for identifiers, scores
  and times only.
- Summaries made by an older `summary_rows.SUMMARY_VERSION` (the layout of the rows; kept in
  `dashboard_cursor` as `summary_version`) are never read as current: `catch_up` rebuilds them
  all from the typed tables first (once, after an upgrade), and `rebuild` records the version.
- `dashboard_monthly` is the sum of the month's `dashboard_daily` rows at every commit (a
  day's replacement moves it by the difference in the same transaction; `rebuild` refills it).
- Nothing here logs.
"""

from __future__ import annotations

from collections.abc import Iterator

from sync.central.summary_rows import (
    COUNTED_TABLES,
    EVENT_TABLES,
    SUBMISSION_TABLES,
    SUMMARY_VERSION,
    TABLES,
    Row,
    day_bounds,
    day_of,
    summarize_day,
)

__all__ = [
    "PG_ID_MARGIN",
    "VERSION_KEY",
    "DailySummaries",
    "analyze",
    "catch_up",
    "rebuild",
    "refill_months",
]

PG_ID_MARGIN = 2000
VERSION_KEY = "summary_version"  # the `dashboard_cursor` row holding SUMMARY_VERSION


def _is_pg(store) -> bool:
    return store.placeholder != "?"


def _json_field(store, key: str) -> str:
    if _is_pg(store):  # jsonb refuses NaN/Infinity/\u0000 that a misbehaving device may send
        return f"CASE WHEN body !~ '(NaN|Infinity|\\\\u0000)' THEN (body::jsonb ->> '{key}') END"
    return f"CASE WHEN json_valid(body) THEN json_extract(body, '$.{key}') END"


def _x(store, sql: str, params=()) -> list[tuple]:
    return store._execute(store._q(sql), params)


def _read_day(store, day: str) -> list[Row]:
    start, end = day_bounds(day)
    window = "WHERE created_at >= ? AND created_at < ?"
    surveys = _x(store, f"SELECT device_id, body FROM surveys {window}", (start, end))
    metrics = _x(store, f"SELECT device_id, body FROM metrics {window}", (start, end))
    submissions = []
    for table, kind, key in SUBMISSION_TABLES:
        for device_id, item, n in _x(
            store,
            f"SELECT device_id, {_json_field(store, key)}, COUNT(*) FROM {table} {window} "
            "GROUP BY 1, 2",
            (start, end),
        ):
            submissions.append((kind, device_id, item, n))
    counted = [
        (kind, device_id, n)
        for table, kind in COUNTED_TABLES
        for device_id, n in _x(
            store, f"SELECT device_id, COUNT(*) FROM {table} {window} GROUP BY 1", (start, end)
        )
    ]
    events = {
        kind: _x(store, f"SELECT device_id, body FROM {table} {window}", (start, end))
        for table, kind in EVENT_TABLES
    }
    return summarize_day(
        surveys, metrics, submissions, counted, events["queue_event"], events["staff_call"]
    )


def _replace_day(store, day: str) -> None:
    """Inside a transaction: the day's summary rows recomputed from the typed tables, and the
    month's totals moved by the difference (so they stay the sum of the month's days)."""
    old = {
        tuple(r[:5]): (int(r[5]), int(r[6]))
        for r in _x(
            store,
            "SELECT metric, device_id, k1, k2, k3, n, total FROM dashboard_daily WHERE day = ?",
            (day,),
        )
    }
    _x(store, "DELETE FROM dashboard_daily WHERE day = ?", (day,))
    rows = _read_day(store, day)
    if rows:
        store._executemany(
            store._q(
                "INSERT INTO dashboard_daily (metric, day, device_id, k1, k2, k3, n, total) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            [(m, day, d, a, b, c, n, t) for m, d, a, b, c, n, t in rows],
        )
    delta = {key: (-n, -t) for key, (n, t) in old.items()}
    for m, d, a, b, c, n, t in rows:
        dn, dt = delta.get((m, d, a, b, c), (0, 0))
        delta[(m, d, a, b, c)] = (dn + n, dt + t)
    month = day[:7]
    changes = [(m, month, d, a, b, c, n, t) for (m, d, a, b, c), (n, t) in delta.items() if n or t]
    if changes:
        store._executemany(
            store._q(
                "INSERT INTO dashboard_monthly (metric, month, device_id, k1, k2, k3, n, total) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (metric, month, device_id, k1, k2, k3) "
                "DO UPDATE SET n = dashboard_monthly.n + excluded.n, "
                "total = dashboard_monthly.total + excluded.total"
            ),
            changes,
        )
        _x(store, "DELETE FROM dashboard_monthly WHERE month = ? AND n = 0", (month,))


def refill_months(store) -> None:
    """Inside a transaction: every month's totals recomputed from the day rows."""
    _x(store, "DELETE FROM dashboard_monthly")
    _x(
        store,
        "INSERT INTO dashboard_monthly (metric, month, device_id, k1, k2, k3, n, total) "
        "SELECT metric, substr(day, 1, 7), device_id, k1, k2, k3, SUM(n), SUM(total) "
        "FROM dashboard_daily GROUP BY metric, substr(day, 1, 7), device_id, k1, k2, k3",
    )


def _days_of_rows(store, table: str, after_id: int) -> set[str]:
    # Tokyo is a whole number of hours from UTC: an hour names its day exactly.
    hours = _x(store, f"SELECT DISTINCT created_at / 3600 FROM {table} WHERE id > ?", (after_id,))
    return {day_of(int(h) * 3600) for (h,) in hours}


def _lock(store) -> None:
    if _is_pg(store):  # several processors on one PostgreSQL: one summarizes at a time
        _x(store, "SELECT pg_advisory_xact_lock(7007)")


def _cursors(store) -> dict[str, int]:
    return {t: int(a) for t, a in _x(store, "SELECT name, after_id FROM dashboard_cursor")}


def _set_cursor(store, table: str, after_id: int) -> None:
    _x(
        store,
        "INSERT INTO dashboard_cursor (name, after_id) VALUES (?, ?) ON CONFLICT (name) "
        "DO UPDATE SET after_id = excluded.after_id",
        (table, after_id),
    )


def _summarized_by_older_version(store) -> bool:
    """True when the summaries were made by an older layout of the rows (a store that has
    summarized nothing yet has nothing old: it only records the version)."""
    with store._guard("dashboard_summaries"):
        cursors = _cursors(store)
        store._commit()
    if cursors.get(VERSION_KEY, 0) >= SUMMARY_VERSION:
        return False
    return any(name != VERSION_KEY for name in cursors)


def catch_up(store) -> int:
    """Recompute the days of typed rows not yet summarized, in one transaction with the
    cursors; returns how many days were recomputed. Summaries of an older layout are rebuilt
    first (`rebuild`, a transaction per day)."""
    if _summarized_by_older_version(store):
        return rebuild(store)
    with store._guard("dashboard_summaries"):
        store._begin()
        try:
            _lock(store)
            cursors = _cursors(store)
            margin = PG_ID_MARGIN if _is_pg(store) else 0
            days: set[str] = set()
            tops: dict[str, int] = {}
            for table in TABLES:
                top = int(_x(store, f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0][0])
                seen = cursors.get(table, 0)
                if top > seen or (margin and top > 0):
                    days |= _days_of_rows(store, table, max(0, seen - margin))
                tops[table] = max(top, seen)
            for day in sorted(days):
                _replace_day(store, day)
            for table, top in tops.items():
                if top != cursors.get(table):
                    _set_cursor(store, table, top)
            if cursors.get(VERSION_KEY) != SUMMARY_VERSION:
                _set_cursor(store, VERSION_KEY, SUMMARY_VERSION)
            store._commit()
        except BaseException:
            store._rollback()
            raise
    return len(days)


def _all_days(store) -> Iterator[str]:
    days: set[str] = set()
    for table in TABLES:
        days |= _days_of_rows(store, table, 0)
    yield from sorted(days)


def rebuild(store) -> int:
    """Every day's summary recomputed from the typed tables (one transaction per day, so the
    pages keep answering meanwhile); summaries of days with no rows left are removed. Returns
    the number of days written."""
    with store._guard("dashboard_rebuild"):
        store._begin()
        try:
            _lock(store)
            tops = {
                t: int(_x(store, f"SELECT COALESCE(MAX(id), 0) FROM {t}")[0][0]) for t in TABLES
            }
            days = list(_all_days(store))
            stale = {d for (d,) in _x(store, "SELECT DISTINCT day FROM dashboard_daily")}
            for day in stale - set(days):
                _x(store, "DELETE FROM dashboard_daily WHERE day = ?", (day,))
            store._commit()
        except BaseException:
            store._rollback()
            raise
    for day in days:
        with store._guard("dashboard_rebuild"):
            store._begin()
            try:
                _lock(store)
                _replace_day(store, day)
                store._commit()
            except BaseException:
                store._rollback()
                raise
    with store._guard("dashboard_rebuild"):
        store._begin()
        try:
            _lock(store)
            for table, top in tops.items():
                _set_cursor(store, table, max(top, _cursors(store).get(table, 0)))
            _set_cursor(store, VERSION_KEY, SUMMARY_VERSION)
            refill_months(store)  # whatever the month rows held before, they match the days now
            store._commit()
        except BaseException:
            store._rollback()
            raise
    catch_up(store)  # rows that arrived during the rebuild
    analyze(store)  # every summary row was rewritten: the planner's view of them too
    return len(days)


def analyze(store) -> None:
    """Keep the planner's statistics current. SQLite has none until ANALYZE runs once (without
    them it scans typed tables through their unique index instead of the created_at index);
    after that `PRAGMA optimize` re-analyzes what changed enough. PostgreSQL: ANALYZE of the
    summary tables (autovacuum keeps the rest). `rebuild` ends with it."""
    with store._guard("dashboard_analyze"):
        if _is_pg(store):
            _x(store, "ANALYZE dashboard_daily")
            _x(store, "ANALYZE dashboard_monthly")
            store._commit()
        elif not _x(store, "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"):
            store._execute("ANALYZE")
        else:
            store._execute("PRAGMA optimize")


class DailySummaries:
    """The processing stage's hook: `after_chunk(store)` after each committed chunk keeps the
    summaries caught up and, every `analyze_every` chunks, the statistics current."""

    def __init__(self, analyze_every: int = 500) -> None:
        self.analyze_every = analyze_every
        self._chunks = 0

    def after_chunk(self, store) -> None:
        catch_up(store)
        self._chunks += 1
        if self._chunks % self.analyze_every == 1:
            analyze(store)
