"""Per-day summaries the dashboard reads instead of record bodies (table `dashboard_daily`).

The processing stage calls `catch_up(store)` after each chunk it commits; `rebuild(store)`
(`madoguchi central dashboard rebuild-summaries`) recomputes every day from the typed tables.

Invariants:
- A day's summary is a pure function of the typed rows whose `created_at` falls in that day
  (Asia/Tokyo calendar day, the device's clock): `summarize_day` reads them and `_replace_day`
  swaps the day's rows in one transaction, so recomputing a day any number of times gives the
  same rows (idempotent; a crash leaves the old rows or the new ones, never a mix).
- Nothing is missed: `dashboard_cursor` holds, per typed table, the highest row id already
  summarized, advanced in the same transaction as the day it covers. Rows above it name the days
  to recompute. On PostgreSQL, ids can become visible out of order under concurrent writers, so
  the last `PG_ID_MARGIN` ids below the cursor are looked at again.
- Only identifiers (service, procedure, outcome, step, reason, catalog ids), scores, durations
  and counts are kept, never a body or any free text (`aggregate.identifier`). Personal tables
  (applications, certificate requests, bookings, shelter check-ins, queue tickets) are counted
  in SQL, extracting at most one catalog id; their bodies never reach Python.
- `dashboard_monthly` is the sum of the month's `dashboard_daily` rows at every commit (a
  day's replacement moves it by the difference in the same transaction; `rebuild` refills it).
- Rows by service, procedure, step or reason are kept city-wide (device_id ""), rows per device
  only by outcome, score or reason (`device_*`), so a day holds a few thousand rows, not one
  per device and combination; `city_session` (by outcome) and `city_survey` (by score) make a
  year's daily series a few thousand rows.
- Step durations are kept as a histogram rounded to within 5 % (`step_bucket`),
  city-wide per day, so the percentiles read from it are those of the rounded durations.
- Nothing here logs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sync.central.dashboard.aggregate import _score, _steps, identifier, parse_body

__all__ = [
    "CITY",
    "DailySummaries",
    "SUBMISSION_TABLES",
    "TOKYO",
    "analyze",
    "catch_up",
    "day_bounds",
    "day_of",
    "month_split",
    "rebuild",
    "refill_months",
    "step_bucket",
    "summarize_day",
]

TOKYO = ZoneInfo("Asia/Tokyo")
CITY = ""  # device_id of rows kept city-wide only (step histograms)
PG_ID_MARGIN = 2000
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(2099, 12, 31)  # a clock beyond: clamped
_FAR = 2**62

# (table, kind, catalog id field) counted per item; tables counted per device only.
SUBMISSION_TABLES = (
    ("applications", "application", "procedure"),
    ("certificate_requests", "certificate_request", "certificate"),
    ("bookings", "booking", "topic"),
)
COUNTED_TABLES = (("queue_tickets", "queue_ticket"), ("shelter_checkins", "shelter_checkin"))
TABLES = (
    "surveys",
    "metrics",
    *(t for t, _, _ in SUBMISSION_TABLES),
    *(t for t, _ in COUNTED_TABLES),
)


def day_of(created_at: int | float) -> str:
    """The Asia/Tokyo calendar day of a device time; clocks before 1970 or after 2099 are put
    on the first or last day (a device with a wrong clock still counts, on a visible day)."""
    try:
        d = datetime.fromtimestamp(created_at, TOKYO).date()
    except (OverflowError, OSError, ValueError):
        d = _FIRST_DAY if created_at < 0 else _LAST_DAY
    return min(max(d, _FIRST_DAY), _LAST_DAY).isoformat()


def day_bounds(day: str) -> tuple[int, int]:
    """[start, end) in unix seconds of a day as `day_of` names it (the clamped first and last
    days reach to the ends of time)."""
    d = date.fromisoformat(day)
    start = int(datetime(d.year, d.month, d.day, tzinfo=TOKYO).timestamp())
    nxt = d + timedelta(days=1)
    end = int(datetime(nxt.year, nxt.month, nxt.day, tzinfo=TOKYO).timestamp())
    return (-_FAR if d <= _FIRST_DAY else start), (_FAR if d >= _LAST_DAY else end)


def month_split(
    first: str, last: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], tuple[str, str] | None]:
    """[first, last] (days) as month totals (first and last month, YYYY-MM) plus day ranges to
    add and day ranges to subtract: a month cut by the window is taken whole, less the days
    outside it, when those are fewer than the days inside (a long window reads a dozen months
    and at most about a fortnight of days at each end)."""
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    if (a.year, a.month) == (b.year, b.month) and not (a.day == 1 and _month_end(b) == b):
        return [(first, last)], [], None  # inside one month: days only
    plus: list[tuple[str, str]] = []
    minus: list[tuple[str, str]] = []
    m_first, m_last = a.replace(day=1), b.replace(day=1)
    if a.day != 1:
        inside = (_month_end(a) - a).days + 1
        if inside <= a.day - 1:  # fewer days inside than before it: add those, skip the month
            plus.append((first, _month_end(a).isoformat()))
            m_first = _month_end(a) + timedelta(days=1)
        else:
            minus.append((a.replace(day=1).isoformat(), (a - timedelta(days=1)).isoformat()))
    if b != _month_end(b):
        after = (_month_end(b) - b).days
        if b.day <= after:  # fewer days inside than after it: add those, skip the month
            plus.append((b.replace(day=1).isoformat(), last))
            m_last = (b.replace(day=1) - timedelta(days=1)).replace(day=1)
        else:
            minus.append(((b + timedelta(days=1)).isoformat(), _month_end(b).isoformat()))
    if m_first > m_last:
        return [(first, last)], [], None
    return plus, minus, (m_first.isoformat()[:7], m_last.isoformat()[:7])


def _month_end(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def today(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).astimezone(TOKYO).date()


# Mantissas (x 10^k) a step duration is rounded to: steps of at most 10 %, so a shown median is
# within 5 % of the exact one; about 38 buckets per decade keep a year of histograms small.
_MANTISSAS = (
    *range(10, 20),
    *range(20, 50, 2),
    25,
    35,
    45,
    *range(50, 101, 5),
)
_SORTED_MANTISSAS = sorted(set(_MANTISSAS))


def step_bucket(ms: int) -> int:
    """`ms` rounded to the nearest of `_MANTISSAS` x 10^k (under 100 ms: as it is; halfway
    rounds up)."""
    if ms < 100:
        return ms
    unit = 10 ** (len(str(ms)) - 2)
    scaled = ms / unit  # in [10, 100)
    best = min(_SORTED_MANTISSAS, key=lambda m: (abs(m - scaled), -m))
    return best * unit


Row = tuple[str, str, str, str, str, int, int]  # metric, device_id, k1, k2, k3, n, total


def summarize_day(
    surveys: Iterable[tuple[str, object]],
    metrics: Iterable[tuple[str, object]],
    submissions: Iterable[tuple[str, str, object, int]],
    counted: Iterable[tuple[str, str, int]],
) -> list[Row]:
    """Pure: one day's summary rows from its survey and metric (device_id, body) rows,
    (kind, device_id, catalog id, count) of the personal tables and (kind, device_id, count)."""
    rows: Counter = Counter()
    totals: Counter = Counter()
    for device_id, text in surveys:
        body = parse_body(text)
        score = _score(body.get("score")) if body else None
        if body is None or score is None:
            rows[("survey_invalid", device_id, "", "", "")] += 1
            continue
        service = identifier(body.get("service")) or "other"
        rows[("survey", CITY, service, str(score), "")] += 1
        rows[("device_survey", device_id, "", str(score), "")] += 1
        rows[("city_survey", CITY, "", str(score), "")] += 1
        raw = body.get("reasons")
        for reason in (
            sorted({r for r in map(identifier, raw) if r}) if isinstance(raw, list) else []
        ):
            rows[("reason", CITY, service, reason, "")] += 1
            rows[("device_reason", device_id, "", reason, "")] += 1
    for device_id, text in metrics:
        body = parse_body(text)
        timing = _steps(body.get("steps")) if body else None
        service = identifier(body.get("service")) if body else None
        if body is None or timing is None or service is None:
            rows[("metric_invalid", device_id, "", "", "")] += 1
            continue
        procedure = identifier(body.get("procedure")) or "-"
        outcome = identifier(body.get("outcome")) or "other"
        rows[("session", CITY, service, procedure, outcome)] += 1
        rows[("device_session", device_id, "", "", outcome)] += 1
        rows[("city_session", CITY, "", "", outcome)] += 1
        for step, (ms, position) in timing.items():
            key = ("step", CITY, service, step, f"{step_bucket(ms):012d}")
            rows[key] += 1
            totals[key] += ms
            rows[("step_pos", CITY, service, step, "")] += 1
            totals[("step_pos", CITY, service, step, "")] += position
    for kind, device_id, item, n in submissions:
        rows[("submission", device_id, kind, identifier(item) or "(unreadable)", "")] += int(n)
    for kind, device_id, n in counted:
        rows[(kind, device_id, "", "", "")] += int(n)
    return [(*key, n, totals[key]) for key, n in sorted(rows.items()) if n]


# --- store side (the processing stage's connection: `Store` hooks) -------------------------------
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
    return summarize_day(surveys, metrics, submissions, counted)


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


def catch_up(store) -> int:
    """Recompute the days of typed rows not yet summarized, in one transaction with the
    cursors; returns how many days were recomputed."""
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
            refill_months(store)  # whatever the month rows held before, they match the days now
            store._commit()
        except BaseException:
            store._rollback()
            raise
    catch_up(store)  # rows that arrived during the rebuild
    return len(days)


def analyze(store) -> None:
    """Keep the planner's statistics current. SQLite has none until ANALYZE runs once (without
    them it scans typed tables through their unique index instead of the created_at index);
    after that `PRAGMA optimize` re-analyzes what changed enough. PostgreSQL: ANALYZE of the
    summary table (autovacuum keeps the rest)."""
    with store._guard("dashboard_analyze"):
        if _is_pg(store):
            _x(store, "ANALYZE dashboard_daily")
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
