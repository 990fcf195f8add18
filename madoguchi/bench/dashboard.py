"""`madoguchi bench dashboard`: page times of the central dashboard over a city's year.

A store (SQLite file and/or a throwaway PostgreSQL cluster of its own) is seeded in bulk with
`--centers` x `--terminals` x `--days` of typed rows (metrics, surveys, applications,
certificate requests, bookings, queue tickets, queue events, staff calls, hourly device health;
about 150 per terminal and day, 3.8 M for 35 x 2 x 365), consultation records (up to two per
center and day) and the per-day summaries the processing stage would have kept (computed by
`summary_rows.summarize_day`, the processing stage's own function, from the same rows). To
seed fast, 16 synthetic days are made and dealt out over the year at random. Then
the real dashboard (Flask app under waitress on 127.0.0.1) is asked for every page
`--requests` times over HTTP, one after another.

`--seed-cache DIR` keeps each seeded store under DIR, keyed by `SEED_VERSION` and the seed's
parameters (a SQLite file, a PostgreSQL `pg_dump`): the next run copies or restores it (a minute
or two) instead of seeding again (ten), then the store's own migrations bring it up to date (an
index added since is built; a change to what seeding writes bumps `SEED_VERSION`). The
dashboard's clock is the seeding time kept with it, so a store seeded yesterday shows the same
"today".

Metrics: `page_ms_p95` {backend: {page: ms}}, `page_ms_p95_max` {backend: ms} (the slowest
page), `seed_records` {backend: typed rows}, `seed_s` {backend: s, 0 when from the cache},
`seed_cached` {backend: bool}, `summary_rows`, `load_avg` {backend: {"start", "end", "max"}} (the
1-minute load average while that backend's pages were measured: figures taken under a load near
or above the core count say more about the machine than about the pages).
Typed bodies are synthetic and carry no personal data; the `records` table (sealed bodies) is
left empty: no page reads it beyond counting what waits to be opened.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import click

from madoguchi.bench import emit, percentile, progress
from madoguchi.bench._seed_cache import SeedCache, cache_key

PROCEDURES = ["moving_in", "moving_out", "nhi_enroll", "child_allowance", "seal_registration"]
CERTIFICATES = ["resident_record", "seal_registration", "tax"]
TOPICS = ["welfare", "child_care", "tax", "care", "general"]
# Each service's own steps (as the kiosk's flows have them); the procedure id only for procedures.
SERVICE_STEPS = {
    "procedure": ["procedures", "procedure_intro", "place_card", "pin_entry", "form_confirm"],
    "certificate": ["certificates", "place_card", "pin_entry", "print"],
    "booking": ["topics", "slots", "confirm"],
    "queue": ["queue_menu", "ticket"],
    "life_event": ["life_events", "questions", "checklist"],
}
SERVICES = list(SERVICE_STEPS)
REASONS = ["ease", "wait", "language", "staff", "clear", "printer"]
QUEUE_SERVICES = ["certificate", "procedure", "consultation", "tax"]
OUTCOMES = ["done", "done", "done", "idle", "home", "card_removed", "switched"]
PAGES = [
    *((f"today_{w}", f"/today?window={w}") for w in ("7d", "30d", "90d", "365d")),
    ("today_csv_365d", "/today.csv?window=365d"),
    ("overview", "/"),
    *((f"satisfaction_{w}", f"/satisfaction?window={w}") for w in ("7d", "30d", "90d", "365d")),
    *((f"procedures_{w}", f"/procedures?window={w}") for w in ("7d", "30d", "90d", "365d")),
    *((f"shelter_{w}", f"/shelter?window={w}") for w in ("24h", "72h")),
    # A center's page (the drill-down from the front page's table): the first center's name.
    *(
        (
            f"center_{w}",
            f"/center?name=%E4%B8%AD%E5%A4%AE%E3%82%BB%E3%83%B3%E3%82%BF%E3%83%BC&window={w}",
        )
        for w in ("30d", "365d")
    ),
]
TYPED = ("id", "device_id", "seq", "record_id", "created_at", "opened_at", "body")


_PLACES = "中央 北部 南部 東部 西部 駅前 港町 桜台 山手 川辺 緑町 本町 青葉 若葉 朝日 富士見 旭 栄".split()


def _center_name(c: int) -> str:
    place = _PLACES[c % len(_PLACES)]
    return f"{place}センター" if c < len(_PLACES) else f"{place}第{c // len(_PLACES) + 1}センター"


def device_ids(centers: int, terminals: int) -> dict[str, str]:
    return {f"c{c:02d}-t{t}": _center_name(c) for c in range(centers) for t in range(terminals)}


def _day_rows(rng: random.Random, device: str, start: int) -> dict[str, list[tuple[int, str]]]:
    """One terminal's day: {kind: [(created_at, body_json)]}, opening hours 8:30-17:15."""
    at = lambda: start + 30_600 + rng.randrange(31_500)  # noqa: E731
    out: dict[str, list[tuple[int, str]]] = {}
    out["metric"] = []
    for _ in range(rng.randint(30, 42)):
        service = rng.choice(SERVICES)
        body = {
            "service": service,
            "outcome": rng.choice(OUTCOMES),
            "assisted": rng.random() < 0.2,
            "steps": [[s, int(rng.lognormvariate(9.5, 0.7))] for s in SERVICE_STEPS[service]],
        }
        if service == "procedure":
            body["procedure"] = rng.choice(PROCEDURES)
        out["metric"].append((at(), json.dumps(body)))
    out["survey"] = [
        (
            at(),
            json.dumps(
                {
                    "service": rng.choice(SERVICES),
                    "score": min(10, max(0, int(rng.gauss(8, 2)))),
                    "reasons": rng.sample(REASONS, rng.randint(0, 2)),
                }
            ),
        )
        for _ in range(rng.randint(7, 13))
    ]
    out["application"] = [
        (at(), json.dumps({"procedure": rng.choice(PROCEDURES), "values": {}}))
        for _ in range(rng.randint(7, 13))
    ]
    out["certificate_request"] = [
        (at(), json.dumps({"certificate": rng.choice(CERTIFICATES), "values": {}}))
        for _ in range(rng.randint(3, 7))
    ]
    out["booking"] = [
        (at(), json.dumps({"topic": rng.choice(TOPICS), "values": {}}))
        for _ in range(rng.randint(1, 3))
    ]
    out["queue_ticket"] = [(at(), '{"number": 1}') for _ in range(rng.randint(9, 15))]
    paper = "low" if rng.random() < 0.05 else "ok"  # now and then a terminal runs low
    out["device_health"] = [
        (
            start + h * 3600,
            json.dumps({"printer": "ok", "paper": paper, "card_reader": "ok"}),
        )
        for h in range(24)
    ]
    out["queue_event"] = []
    for i in range(rng.randint(9, 15)):  # the center's tickets, as its queue host records them
        issued = start + 30_600 + rng.randrange(30_000)
        called = issued + int(rng.lognormvariate(6.3, 0.7))  # median about 9 minutes
        began = called + rng.randrange(30, 120)
        ended = began + int(rng.lognormvariate(6.0, 0.5))
        base = {"center": device, "day": "d", "ticket": f"{device}-{i}", "issued_at": issued}
        base["service"] = rng.choice(QUEUE_SERVICES)
        for event, at_ in (("issued", issued), ("called", called), ("started", began)):
            out["queue_event"].append((at_, json.dumps({**base, "event": event, "at": at_})))
        if rng.random() < 0.05:
            out["queue_event"].append(
                (began, json.dumps({**base, "event": "no_show", "at": began}))
            )
        else:
            out["queue_event"].append((ended, json.dumps({**base, "event": "ended", "at": ended})))
    out["staff_call"] = []
    for i in range(rng.randint(0, 3)):
        at_ = start + 30_600 + rng.randrange(30_000)
        call = {"center": device, "call": f"{device}-call-{i}", "at": at_}
        out["staff_call"].append((at_, json.dumps({**call, "event": "called"})))
        response = rng.randrange(20, 300)
        answered = {**call, "event": "answered", "response_s": response}
        out["staff_call"].append((at_ + response, json.dumps(answered)))
    return out


class _Seeder:
    """Bulk inserts of typed and summary rows on one backend (not the store's API: speed)."""

    def __init__(self, db: str) -> None:
        from sync.central.stores import open_store

        open_store(db).close()  # the schema, by the store's own migrations
        self.pg = db.startswith("postgresql")
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(db, autocommit=False)
        else:
            self.conn = sqlite3.connect(db, isolation_level=None)
            self.conn.execute("PRAGMA synchronous = OFF")  # a bench store: speed over durability
            self.conn.execute("BEGIN")

    def typed(self, table: str, rows: list[tuple]) -> None:
        if self.pg:
            cols = ", ".join(TYPED[1:])
            with self.conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(TYPED[1:])}) VALUES (?, ?, ?, ?, ?, ?)", rows
            )

    def summary(self, rows: list[tuple]) -> None:
        cols = "metric, day, device_id, k1, k2, k3, n, total"
        if self.pg:
            with self.conn.cursor().copy(f"COPY dashboard_daily ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.conn.executemany(
                f"INSERT INTO dashboard_daily ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

    def consultations(self, rows: list[tuple]) -> None:
        sql = (
            "INSERT INTO consultations (id, device_id, center, topic, language, state, "
            "created_at, queued_at, polled_at, accepted_at, ended_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        if self.pg:
            self.conn.cursor().executemany(sql.replace("?", "%s"), rows)
        else:
            self.conn.executemany(sql, rows)

    placeholder = "?"

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.pg else sql

    def _execute(self, sql: str, params=()) -> list:
        cur = self.conn.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []

    def devices(self, ids: list[str], now: float) -> None:
        sql = (
            "INSERT INTO devices (device_id, committed_seq, committed_hash, max_seq, last_seen) "
            "VALUES (?, 0, ?, 0, ?)"
        )
        rows = [(d, b"\0" * 32, now - i * 7) for i, d in enumerate(ids)]
        if self.pg:
            self.conn.cursor().executemany(sql.replace("?", "%s"), rows)
        else:
            self.conn.executemany(sql, rows)

    def finish(self) -> None:
        from sync.central.store_summaries import VERSION_KEY, refill_months
        from sync.central.summary_rows import SUMMARY_VERSION

        refill_months(self)  # the month totals the processing stage keeps alongside the days
        self._execute(  # the layout these rows have, as the processing stage records it
            self._q("INSERT INTO dashboard_cursor (name, after_id) VALUES (?, ?)"),
            (VERSION_KEY, SUMMARY_VERSION),
        )
        if self.pg:
            self.conn.commit()
            self.conn.autocommit = True
            self.conn.execute("VACUUM ANALYZE")  # as autovacuum would have by then
        else:
            self.conn.execute("COMMIT")
            self.conn.execute("ANALYZE")  # what summaries.analyze does on a store without stats
        self.conn.close()


# Bump when what `seed_year` writes changes (rows, summaries): cached stores of another version
# are not reused (`_seed_cache.cache_key`); the store's migrations run on a reused one.
SEED_VERSION = 5
TEMPLATE_DAYS = 16  # distinct synthetic days, dealt out over the year (seeding stays fast)


def _template(rng: random.Random, devices: dict[str, str]) -> tuple[dict, list[tuple]]:
    """One synthetic day: {table: [(device, offset_s, body)]} and its summary rows, computed by
    the processing stage's own `summarize_day` from the same rows."""
    from sync.central import summary_rows as summaries
    from sync.central.store_schema import KIND_TABLES

    keys = {"application": "procedure", "certificate_request": "certificate", "booking": "topic"}
    by_table: dict[str, list[tuple]] = {}
    surveys, metrics, submissions, counted = [], [], Counter(), Counter()
    events: dict[str, list] = {"queue_event": [], "staff_call": []}
    for device in devices:
        for kind, rows in _day_rows(rng, device, 0).items():
            table = by_table.setdefault(KIND_TABLES[kind], [])
            for offset, body in rows:
                table.append((device, offset, body))
                if kind == "survey":
                    surveys.append((device, body))
                elif kind == "metric":
                    metrics.append((device, body))
                elif kind in events:
                    events[kind].append((device, body))
                elif kind in keys:
                    submissions[(kind, device, json.loads(body).get(keys[kind]))] += 1
                elif kind != "device_health":
                    counted[(kind, device)] += 1
    rows = summaries.summarize_day(
        surveys,
        metrics,
        [(*k, n) for k, n in submissions.items()],
        [(*k, n) for k, n in counted.items()],
        events["queue_event"],
        events["staff_call"],
    )
    return by_table, rows


def _consultations(rng: random.Random, devices: dict[str, str], day: str, start: int) -> list:
    """A day's remote consultations: up to two per center, most taken by a specialist."""
    rows = []
    for device, center in devices.items():
        if not device.endswith("-t0"):
            continue
        for i in range(rng.randint(0, 2)):
            queued = float(start + 32_400 + rng.randrange(28_000))
            accepted = queued + rng.randrange(20, 600) if rng.random() < 0.9 else None
            ended = accepted + rng.randrange(300, 1800) if accepted is not None else None
            state = "ended" if accepted is not None else "waiting"
            cid = f"{day}-{device}-{i}"
            rows.append(
                (
                    cid,
                    device,
                    center,
                    rng.choice(TOPICS),
                    "ja",
                    state,
                    queued,
                    queued,
                    queued,
                    accepted,
                    ended,
                )
            )
    return rows


def seed_year(
    db: str, devices: dict[str, str], days: int, now: float, seed: int
) -> tuple[int, int]:
    from sync.central import summary_rows as summaries

    rng = random.Random(seed)
    templates = [_template(rng, devices) for _ in range(min(days, TEMPLATE_DAYS))]
    seeder = _Seeder(db)
    seqs: Counter = Counter()
    typed = summary_rows = 0
    today = datetime.fromtimestamp(now, summaries.TOKYO).date()
    for back in range(days - 1, -1, -1):
        day = (today - timedelta(days=back)).isoformat()
        start, _ = summaries.day_bounds(day)
        by_table, rows = templates[rng.randrange(len(templates))]
        for table, items in by_table.items():
            batch = []
            for device, offset, body in items:
                seqs[device] += 1
                seq = seqs[device]
                at = start + offset
                batch.append((device, seq, f"{device}-{seq}", at, float(at + 60), body))
            seeder.typed(table, batch)
            typed += len(batch)
        seeder.summary([(m, day, dev, a, b, c, n, t) for m, dev, a, b, c, n, t in rows])
        seeder.consultations(_consultations(rng, devices, day, start))
        summary_rows += len(rows)
        if back % 30 == 0:
            progress(f"  seeded {typed:,} records through {day}")
    seeder.devices(list(devices), now)
    seeder.finish()
    return typed, summary_rows


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _measure(
    db: str, devices: dict[str, str], requests: int, now: float
) -> tuple[dict[str, float], dict[str, float]]:
    """({page: p95 ms}, {"start", "end", "max": 1-minute load average}) with the dashboard's
    clock at `now` (the seeding time: the seeded year ends on that day)."""
    from sync.central.dashboard.app import DashboardConfig, create_app
    from sync.central.dashboard.queries import Center
    from sync.central.dashboard.server import DashboardServer, Listen

    centers = {d: Center(d, c) for d, c in devices.items()}
    app = create_app(
        DashboardConfig(db=db, refresh_s=0), centers=lambda: centers, clock=lambda: now
    )
    server = DashboardServer(
        app, token=None, token_env="MADOGUCHI_DASHBOARD_TOKEN", listen=Listen("127.0.0.1", 0)
    ).start()
    out = {}
    loads = [_load()]
    try:
        for name, path in PAGES:
            samples = []
            for i in range(requests + 1):
                t0 = time.perf_counter()
                with urllib.request.urlopen(server.url.rstrip("/") + path, timeout=60) as r:
                    r.read()
                    if r.status != 200:
                        raise click.ClickException(f"{path} answered {r.status}")
                if i:  # the first request warms caches
                    samples.append((time.perf_counter() - t0) * 1000)
            out[name] = round(percentile(samples, 95), 1)
            loads.append(_load())
            progress(f"  {name}: p95 {out[name]} ms (load {loads[-1]})")
    finally:
        server.stop()
    return out, {"start": loads[0], "end": loads[-1], "max": max(loads)}


@click.command("dashboard")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the contract).")
@click.option("--centers", default=35, show_default=True, type=click.IntRange(1, 500))
@click.option("--terminals", default=2, show_default=True, type=click.IntRange(1, 20))
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 3650))
@click.option("--requests", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--backend",
    type=click.Choice(["sqlite", "postgres", "both"]),
    default="both",
    show_default=True,
    help="Which store to seed and measure (PostgreSQL: a throwaway cluster of its own).",
)
@click.option("--seed", default=22, show_default=True, help="Random seed of the synthetic year.")
@click.option(
    "--seed-cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep seeded stores in this directory and reuse them (keyed by the seed's version "
    "and parameters; migrated on reuse).",
)
def command(
    as_json: bool,
    centers: int,
    terminals: int,
    days: int,
    requests: int,
    backend: str,
    seed: int,
    seed_cache: Path | None,
) -> None:
    """Dashboard page times (p95) over a seeded year of a city, on SQLite and PostgreSQL."""
    devices = device_ids(centers, terminals)
    metrics: dict = {"page_ms_p95": {}, "page_ms_p95_max": {}, "seed_records": {}, "seed_s": {}}
    metrics.update(summary_rows={}, seed_cached={}, load_avg={})
    cache = None
    if seed_cache is not None:
        cache = SeedCache(seed_cache, cache_key(SEED_VERSION, centers, terminals, days, seed))
    backends = ["sqlite", "postgres"] if backend == "both" else [backend]
    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-bench-dashboard-"))
    try:
        for name in backends:
            rig = None
            if name == "postgres":
                from madoguchi.rig import PostgresRig

                rig = PostgresRig(fsync=False).start()
                db = rig.dsn
            else:
                db = str(workdir / "central.db")
            try:
                facts = cache.load(name, db) if cache is not None else None
                metrics["seed_cached"][name] = facts is not None
                if facts is None:
                    progress(f"{name}: seeding {len(devices)} terminals x {days} days")
                    t0 = time.monotonic()
                    now = time.time()
                    typed, summary_rows = seed_year(db, devices, days, now, seed)
                    facts = {
                        "now": now,
                        "typed": typed,
                        "summary_rows": summary_rows,
                        "seed_s": round(time.monotonic() - t0, 1),
                    }
                    if cache is not None:
                        cache.save(name, db, facts)
                    metrics["seed_s"][name] = facts["seed_s"]
                else:
                    progress(f"{name}: the seeded store from {cache.dir}")
                    metrics["seed_s"][name] = 0.0
                metrics["seed_records"][name] = facts["typed"]
                metrics["summary_rows"][name] = facts["summary_rows"]
                pages, load = _measure(db, devices, requests, facts["now"])
                metrics["page_ms_p95"][name] = pages
                metrics["page_ms_p95_max"][name] = max(pages.values())
                metrics["load_avg"][name] = load
            finally:
                if rig is not None:
                    rig.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    emit("dashboard", metrics, {}, as_json=as_json)
