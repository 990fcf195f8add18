"""The dashboard's per-day summaries against an independent computation from the raw records.

A year of typed rows (4 terminals x 365 days, shuffled, in chunks as the processing stage
commits them, with malformed bodies and wrong clocks) is written through the real store on
SQLite and PostgreSQL; the summaries are caught up after each chunk as `Processor` does. The
satisfaction and procedures pages (which read only the summaries) must equal what the original
body-parsing arithmetic (`aggregate.satisfaction`, `aggregate.sessions_and_steps`) computes from
the raw bodies of the same Asia/Tokyo days, for 7/30/90/365-day windows. A rebuild from the
records gives the same rows; the command does it as a process; query plans use the covering
index on both backends.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import tests.support.sync as sync_support
from sync.central import store_reads
from sync.central import store_summaries as summaries_store
from sync.central.dashboard import aggregate, queries, summaries, today
from sync.central.dashboard.app import DashboardConfig, create_app
from sync.central.dashboard.params import Window
from sync.central.dashboard.queries import Center
from sync.central.dashboard.readonly_store import open_readonly
from sync.central.store import PendingRecord
from sync.central.store_schema import KIND_TABLES
from sync.central.stores import open_store
from sync.central.summary_rows import SUMMARY_VERSION

pytestmark = pytest.mark.timeout(600)  # PostgreSQL seeds a year through the store

central_db = sync_support.central_db  # fixture: fresh SQLite file or PostgreSQL database

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=TOKYO).timestamp()
DEVICES = {"d-kita-1": "北", "d-kita-2": "北", "d-minami-1": "南", "d-higashi-1": "東"}
CENTERS = {d: Center(d, c) for d, c in DEVICES.items()}
SERVICES = ["procedure", "certificate", "booking", "queue"]
PROCEDURES = ["moving_in", "moving_out", "nhi_enroll", "child_allowance"]
STEPS = ["procedures", "procedure_intro", "place_card", "pin_entry", "form_confirm"]
REASONS = ["ease", "wait", "language", "staff", "clear"]


MANTISSAS = [*range(10, 20), *range(20, 50, 2), 25, 35, 45, *range(50, 100, 5)]


def _duration(rng: random.Random, mantissas: list[int] = MANTISSAS) -> int:
    # Values the summaries' rounding leaves as they are (its own test is below).
    return rng.choice(mantissas) * 10 ** rng.randint(1, 4)


def _bodies(rng: random.Random, t: int) -> list[tuple[str, int, dict | str]]:
    out: list[tuple[str, int, dict | str]] = []
    for _ in range(rng.randint(0, 4)):
        reasons = rng.sample(REASONS, rng.randint(0, 2))
        body = {"service": rng.choice(SERVICES), "score": rng.randint(0, 10), "reasons": reasons}
        out.append(("survey", t + rng.randint(0, 3600), body))
    for _ in range(rng.randint(0, 4)):
        steps = [[s, _duration(rng)] for s in rng.sample(STEPS, rng.randint(1, 4))]
        if rng.random() < 0.2:  # a step visited twice: the sum still exact
            steps[0][1] = _duration(rng, [*range(10, 20), 22, 24])
            steps.append(list(steps[0]))
        body = {
            "service": "procedure",
            "procedure": rng.choice(PROCEDURES),
            "outcome": rng.choice(["done", "done", "idle", "home"]),
            "steps": steps,
        }
        out.append(("metric", t + rng.randint(0, 3600), body))
    for kind, key, items in (
        ("application", "procedure", PROCEDURES),
        ("certificate_request", "certificate", ["resident_record", "tax"]),
        ("booking", "topic", ["tax", "welfare"]),
    ):
        for _ in range(rng.randint(0, 2)):
            out.append((kind, t, {key: rng.choice(items), "values": {"name": "山田 花子"}}))
    for _ in range(rng.randint(0, 2)):
        out.append(("queue_ticket", t, {"number": rng.randint(1, 999)}))
    if rng.random() < 0.1:
        out.append(("shelter_checkin", t, {"values": {"name": "グエン"}}))
    if rng.random() < 0.05:  # a misbehaving terminal
        out.append(("survey", t, {"service": "procedure", "score": 11}))
        out.append(("metric", t, {"service": "procedure", "steps": "garbage"}))
        out.append(("application", t, {"procedure": float("nan"), "values": {}}))
        out.append(("booking", t, {"topic": "free text, not an id", "values": {}}))
    return out


def _seed(db: str, days: int = 365) -> None:
    rng = random.Random(22)
    rows = []
    for device in DEVICES:
        for day in range(days):
            moment = datetime.fromtimestamp(NOW, TOKYO) - timedelta(days=day)
            t = int(moment.replace(hour=9, minute=0).timestamp()) + rng.randint(-3 * 3600, 3600)
            rows += [(device, *r) for r in _bodies(rng, t)]
    rows.append(("d-kita-1", "survey", 5, {"service": "procedure", "score": 7}))  # 1970 clock
    rows.append(("d-kita-1", "survey", 6_000_000_000, {"service": "procedure", "score": 8}))
    # Terminals sync late and somewhat out of order; a few records arrive months late.
    rows.sort(key=lambda r: r[2])
    for start in range(0, len(rows), 300):
        part = rows[start : start + 300]
        rng.shuffle(part)
        rows[start : start + 300] = part
    for _ in range(20):
        rows.append(rows.pop(rng.randrange(len(rows))))
    seqs: Counter = Counter()
    store = open_store(db)
    try:
        for start in range(0, len(rows), 500):
            opened = []
            for device, kind, created_at, body in rows[start : start + 500]:
                seqs[device] += 1
                rec = PendingRecord(device, seqs[device], b"h", b"", b"", 0.0)
                text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
                opened.append((rec, kind, created_at, f"r{device}{seqs[device]}", text))
            store.finish_processing(opened, [])
            summaries.DailySummaries().after_chunk(store)  # what Processor does per chunk
    finally:
        store.close()


def _raw(db: str, table: str, since: float, until: float) -> list[tuple[str, str]]:
    store = open_store(db)
    try:
        rows = store._execute(
            store._q(
                f"SELECT device_id, body FROM {table} WHERE created_at >= ? AND created_at < ?"
            ),
            (int(since), int(until)),
        )
        store._commit()
    finally:
        store.close()
    return [(d, b) for d, b in rows]


def _window_bounds(days: int) -> tuple[float, float]:
    """Independent of `summaries`: midnight in Tokyo `days - 1` days before today, and the
    midnight after today."""
    today = datetime.fromtimestamp(NOW, TOKYO).date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=TOKYO).timestamp()
    nxt = today + timedelta(days=1)
    return start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=TOKYO).timestamp()


def _summary_rows(db: str, check_months: bool = True) -> list[tuple]:
    """The day rows; checks on the way that the month rows are exactly their sums."""
    store = open_store(db)
    try:
        rows = store._execute(
            "SELECT * FROM dashboard_daily ORDER BY metric, day, device_id, k1, k2, k3"
        )
        months = store._execute("SELECT * FROM dashboard_monthly")
        store._commit()
    finally:
        store.close()
    sums: Counter = Counter()
    for m, day, d, a, b, c, n, t in rows:
        sums[(m, day[:7], d, a, b, c, "n")] += n
        sums[(m, day[:7], d, a, b, c, "t")] += t
    held = Counter()
    for m, month, d, a, b, c, n, t in months:
        held[(m, month, d, a, b, c, "n")] += n
        held[(m, month, d, a, b, c, "t")] += t
    assert not check_months or +held == +sums
    return [tuple(r) for r in rows]


@pytest.fixture
def year_db(central_db):
    _seed(central_db)
    return central_db


def test_pages_from_summaries_equal_the_raw_records(year_db):
    for days in (1, 7, 30, 90, 365):
        _check_window(year_db, days)


def _check_window(year_db: str, days: int) -> None:
    since, until = _window_bounds(days)
    center_of = {d: c.center for d, c in CENTERS.items()}
    window = Window(f"{days}d", days * 86400)
    ro = open_readonly(year_db)
    try:
        page = queries.satisfaction_page(ro, CENTERS, window, NOW, min_cell=3, min_residents=1)
        proc = queries.procedures(ro, CENTERS, window, NOW, min_residents=1)
        front = today.today_page(ro, CENTERS, window, NOW, min_residents=1)
    finally:
        ro.close()

    expected = aggregate.satisfaction(_raw(year_db, "surveys", since, until), center_of, 3)
    assert page["overall"]["responses"] > 0 and page["complete"]
    for key in ("overall", "by_center", "by_service", "invalid"):
        assert page[key] == expected[key], key

    metrics = aggregate.sessions_and_steps(_raw(year_db, "metrics", since, until), center_of)
    for key in ("sessions", "sessions_by_center", "steps", "invalid"):
        assert proc[key] == metrics[key], key

    submissions: Counter = Counter()
    for table, kind, field in summaries.SUBMISSION_TABLES:
        for device, body in _raw(year_db, table, since, until):
            try:
                item = aggregate.identifier(json.loads(body).get(field)) or "(unreadable)"
            except (ValueError, AttributeError):
                item = "(unreadable)"
            submissions[(kind, item, center_of[device])] += 1
    assert {(s["kind"], s["item"], s["center"]): s["count"] for s in proc["submissions"]} == dict(
        submissions
    )
    tickets = Counter(center_of[d] for d, _ in _raw(year_db, "queue_tickets", since, until))
    assert {t["center"]: t["count"] for t in proc["queue_tickets"]} == dict(tickets)
    assert not proc["truncated"] and proc["complete"]

    # the front page: the same figures by another path (device rows, month totals)
    city = front["city"]
    assert city["sessions"] == sum(r["total"] for r in metrics["sessions"])
    assert city["done"] == sum(r["outcomes"].get("done", 0) for r in metrics["sessions"])
    assert city["satisfaction"]["responses"] == expected["overall"]["responses"]
    assert city["satisfaction"]["mean"] == round(expected["overall"]["mean"], 2)
    certificates = sum(
        n for (kind, _, _), n in submissions.items() if kind == "certificate_request"
    )
    assert city["certificates"] == certificates and city["tickets"] == sum(tickets.values())
    per_center = {r["center"]: r["sessions"] for r in metrics["sessions_by_center"]}
    assert {c["center"]: c["sessions"] for c in front["centers"]} == per_center
    assert sum(d["sessions"] for d in front["series"]) == city["sessions"]


def test_rebuild_gives_the_same_rows_and_wrong_clocks_land_on_the_edge_days(year_db):
    before = _summary_rows(year_db)
    days = {r[1] for r in before}
    assert {"1970-01-01", "2099-12-31"} <= days and len(days) >= 365
    store = open_store(year_db)
    try:
        store._execute("DELETE FROM dashboard_daily WHERE day >= '2026-06-01'")
        store._execute("UPDATE dashboard_daily SET n = n + 1 WHERE metric = 'survey'")
        store._execute(
            "INSERT INTO dashboard_daily VALUES ('survey', '2001-01-01', 'x', '', '', '', 1, 0)"
        )
        store._commit()
        assert _summary_rows(year_db, check_months=False) != before
        assert summaries.rebuild(store) == len(days)
        summaries.catch_up(store)  # nothing new: the same rows (PostgreSQL re-reads its margin)
    finally:
        store.close()
    assert _summary_rows(year_db) == before


def test_rebuild_summaries_command(tmp_path):
    db = str(tmp_path / "central.db")
    _seed(db, days=20)
    before = _summary_rows(db)
    store = open_store(db)
    store._execute("DELETE FROM dashboard_daily")
    store.close()
    cmd = [str(Path(sys.executable).parent / "madoguchi"), "central", "dashboard"]
    cmd.append("rebuild-summaries")
    done = subprocess.run([*cmd, "--db", db, "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["days"] == len({r[1] for r in before})
    assert _summary_rows(db) == before
    missing = str(tmp_path / "nothing-here.db")
    done = subprocess.run([*cmd, "--db", missing], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "no store at" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "nothing-here.db").exists()


def test_summaries_of_an_older_layout_are_rebuilt_by_the_next_catch_up(central_db):
    """A store summarized before `device_tally` existed (no version recorded, no tally rows):
    the processing stage's next catch-up rebuilds every day, so the front page's figures come
    back whole, equal to the detailed rows, and the version is recorded."""
    db = central_db
    _seed(db, days=20)
    before = _summary_rows(db)
    store = open_store(db)
    try:
        store._execute("DELETE FROM dashboard_daily WHERE metric = 'device_tally'")
        store._execute("DELETE FROM dashboard_monthly WHERE metric = 'device_tally'")
        store._execute(
            store._q("DELETE FROM dashboard_cursor WHERE name = ?"), (summaries_store.VERSION_KEY,)
        )
        store._commit()
        assert summaries.catch_up(store) == len({r[1] for r in before})  # every day again
        version = store._execute(
            store._q("SELECT after_id FROM dashboard_cursor WHERE name = ?"),
            (summaries_store.VERSION_KEY,),
        )
        assert version == [(SUMMARY_VERSION,)]
        # then only what is new, as before (PostgreSQL re-reads the ids of its margin: the whole
        # of this small seed; the rows stay the same, checked below)
        again = summaries.catch_up(store)
        assert again == 0 or (store.placeholder != "?" and again <= len({r[1] for r in before}))
        store._commit()
    finally:
        store.close()
    assert _summary_rows(db) == before
    tally = Counter()
    for metric, _, device, _, k2, k3, n, total in before:
        if metric == "device_tally":
            tally[(device, k3)] += n
            tally[(device, "score_sum" if k3 == "answers" else "-")] += total
        elif metric == "device_session":
            tally[(device, "sessions_detail")] += n
            tally[(device, "done_detail")] += n if k3 == "done" else 0
        elif metric == "device_survey":
            tally[(device, "answers_detail")] += n
            tally[(device, "score_sum_detail")] += n * int(k2)
    for device in DEVICES:
        for what in ("sessions", "done", "answers", "score_sum"):
            assert tally[(device, what)] == tally[(device, f"{what}_detail")] > 0, (device, what)


def test_step_durations_are_rounded_within_five_percent():
    cases = {0: 0, 99: 99, 100: 100, 1234: 1200, 1250: 1300, 8000: 8000, 59_999: 60_000}
    assert {ms: summaries.step_bucket(ms) for ms in cases} == cases
    for m in MANTISSAS:
        assert summaries.step_bucket(m * 1000) == m * 1000
    for ms in range(100, 200_000, 37):
        assert abs(summaries.step_bucket(ms) - ms) <= 0.05 * ms
    assert aggregate.hist_percentile([(1000, 1), (3000, 1)], 50) == 2000
    assert aggregate.hist_percentile([(1000, 9), (9000, 1)], 90) == 1000
    assert aggregate.hist_percentile([(1000, 8), (9000, 2)], 90) == 9000


def test_query_plans_use_the_covering_index(year_db):
    store = open_store(year_db)
    try:
        summaries.analyze(store)
        sql = (
            "SELECT device_id, k1, k2, SUM(n), SUM(total) FROM dashboard_daily "
            "WHERE metric = ? AND day >= ? AND day <= ? GROUP BY device_id, k1, k2"
        )
        args = ("survey", "2026-11-04", "2026-12-03")
        if store.placeholder == "?":
            assert store._execute("SELECT COUNT(*) FROM sqlite_stat1")[0][0] > 0
            plan = " ".join(str(r) for r in store._execute("EXPLAIN QUERY PLAN " + sql, args))
            assert "COVERING INDEX dashboard_daily_cover" in plan, plan
        else:
            plan = " ".join(r[0] for r in store._execute("EXPLAIN " + store._q(sql), args))
            assert "Index" in plan and "Seq Scan" not in plan, plan
        store._commit()
    finally:
        store.close()


# Tables that grow with the records: no page may read one of them whole.
_GROWING = {
    "records",
    "dashboard_daily",
    "dashboard_monthly",
    "consultations",
    *KIND_TABLES.values(),
}
_PAGES = [
    *(f"/today?window={w}" for w in ("7d", "30d", "90d", "365d")),
    "/today.csv?window=365d",
    "/",
    *(f"/satisfaction?window={w}" for w in ("7d", "90d", "365d")),
    *(f"/procedures?window={w}" for w in ("7d", "90d", "365d")),
    *(f"/shelter?window={w}" for w in ("24h", "72h")),
    *(f"/center?name=%E5%8C%97&window={w}" for w in ("30d", "365d")),  # 北
]


def test_no_page_reads_a_growing_table_whole(year_db, monkeypatch):
    """Every statement every page sends, EXPLAINed on the seeded year with fresh statistics:
    the typed tables, records, consultations and summaries are read through index ranges
    (SQLite: SEARCH, never SCAN; PostgreSQL with sequential scans priced out: no Seq Scan),
    so a page's cost follows its window, not the years kept."""
    sent: list[tuple[str, str, tuple]] = []
    real = store_reads.StoreReader._query

    def recording(self, operation, sql, params=()):
        sent.append((operation, sql, tuple(params)))
        return real(self, operation, sql, params)

    monkeypatch.setattr(store_reads.StoreReader, "_query", recording)
    app = create_app(
        DashboardConfig(db=year_db, refresh_s=0), centers=lambda: CENTERS, clock=lambda: NOW
    )
    client = app.test_client()
    for path in _PAGES:
        assert client.get(path).status_code == 200, path
    assert {op for op, _, _ in sent} >= {"summed_device_tally", "consultations", "lag"}
    store = open_store(year_db)
    try:
        summaries.analyze(store)
        pg = store.placeholder != "?"
        if pg:
            store._execute("SET enable_seqscan = off")
        # the check itself sees a whole read (a control), and then none in what the pages sent
        assert _whole_reads(store, pg, "SELECT COUNT(*) FROM metrics", ()) == {"metrics"}
        for operation, sql, params in {(o, q, a) for o, q, a in sent}:
            assert not _whole_reads(store, pg, sql, params), (operation, sql)
        store._rollback()
    finally:
        store.close()


def _whole_reads(store, pg: bool, sql: str, params: tuple) -> set[str]:
    """The growing tables a statement's plan reads whole: SQLite's SCAN (of the table or of an
    index); PostgreSQL's Seq Scan, or an index scan with no Index Cond (a whole index)."""
    if not pg:
        plan = [r[3] for r in store._execute("EXPLAIN QUERY PLAN " + sql, params)]
        lines = [line for line in plan if line.startswith("SCAN ")]
    else:
        plan = [r[0] for r in store._execute("EXPLAIN " + store._q(sql), params)]
        lines = []
        for i, line in enumerate(plan):
            if "Seq Scan on" in line:
                lines.append(line)
            elif any(
                kind in line for kind in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")
            ):
                detail = []
                for later in plan[i + 1 :]:
                    if "->" in later:
                        break
                    detail.append(later)
                # a bitmap heap scan with no Recheck Cond walked a whole index to its rows
                if not any("Index Cond" in d or "Recheck Cond" in d for d in detail):
                    lines.append(line)
    return {t for line in lines for t in _GROWING if f" {t} " in f"{line} "}


def test_month_split_covers_every_day_of_the_window_once():
    def days(a: str, b: str) -> list:
        d, end, out = datetime.fromisoformat(a).date(), datetime.fromisoformat(b).date(), []
        while d <= end:
            out.append(d)
            d += timedelta(days=1)
        return out

    base = datetime(2025, 11, 20).date()
    for i in range(0, 400, 3):
        for length in (1, 7, 30, 31, 90, 365):
            last = base + timedelta(days=i)
            first = last - timedelta(days=length - 1)
            plus, minus, months = summaries.month_split(first.isoformat(), last.isoformat())
            covered: Counter = Counter()
            if months:
                covered.update(days(f"{months[0]}-01", f"{months[1]}-28"))
                d = datetime.fromisoformat(f"{months[1]}-28").date() + timedelta(days=1)
                while d.month == datetime.fromisoformat(f"{months[1]}-28").month:
                    covered[d] += 1
                    d += timedelta(days=1)
            for a, b in plus:
                covered.update(days(a, b))
            for a, b in minus:
                covered.subtract(days(a, b))
            assert +covered == Counter(days(first.isoformat(), last.isoformat())), (first, last)
            assert sum(len(days(a, b)) for a, b in plus + minus) <= 31
