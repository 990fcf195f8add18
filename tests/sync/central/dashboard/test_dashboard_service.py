"""How the service went (issue 22): queue waits and handling times, staff calls, assisted
sessions, consultations and terminal health, from records written through the real store on
SQLite and PostgreSQL and summarized as the processing stage does, checked against an
independent computation from the same raw events; the front page and a center's page
(drill-down) render them, and bad `/center` queries are refused.
"""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

import tests.support.sync as sync_support
from sync.central.dashboard import service
from sync.central.dashboard.app import DashboardConfig, create_app
from sync.central.dashboard.queries import Center
from sync.central.dashboard.readonly_store import open_readonly
from sync.central.store import PendingRecord
from sync.central.store_summaries import DailySummaries
from sync.central.stores import open_store
from sync.central.summary_rows import DURATION_BUCKETS_S, step_bucket

pytestmark = pytest.mark.timeout(300)

central_db = sync_support.central_db  # fixture: fresh SQLite file or PostgreSQL database

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=TOKYO).timestamp()
DEVICES = {"d-kita-1": "北", "d-kita-2": "北", "d-minami-1": "南"}
CENTERS = {d: Center(d, c) for d, c in DEVICES.items()}
SERVICES = ["certificate", "procedure", "tax"]
# Durations that both the 5 % histograms and the coarse buckets keep exactly as they are.
EXACT = [s for s in (60, 120, 180, 240, 300, 360, 420, 480, 600, 900, 1200, 1500, 1800, 2400)]
DAYS = 20


def test_durations_chosen_are_kept_exactly():
    assert all(step_bucket(s) == s and s in DURATION_BUCKETS_S for s in EXACT)


def _events(rng: random.Random) -> tuple[list, dict]:
    """(rows to store as (device, kind, created_at, body), expected figures per day)."""
    rows: list = []
    truth: dict = defaultdict(lambda: defaultdict(list))
    for back in range(DAYS):
        day = datetime.fromtimestamp(NOW, TOKYO).date() - timedelta(days=back)
        start = int(datetime(day.year, day.month, day.day, 9, tzinfo=TOKYO).timestamp())
        for device, center in DEVICES.items():
            for i in range(rng.randint(2, 6)):
                issued = start + rng.randrange(20_000)
                wait, handling = rng.choice(EXACT), rng.choice(EXACT)
                svc = rng.choice(SERVICES)
                base = {
                    "center": center,
                    "day": day.isoformat(),
                    "ticket": f"{device}-{i}",
                    "service": svc,
                    "issued_at": issued,
                }
                called, began = issued + wait, issued + wait + 30
                events = [("issued", issued), ("called", called), ("called", called + 60)]
                events += [("started", began), ("ended", began + handling)]
                for event, at in events:
                    rows.append((device, "queue_event", at, {**base, "event": event, "at": at}))
                rows.append(
                    (device, "queue_event", called, {**base, "event": "called", "at": called})
                )
                truth[back][("wait", center, svc)].append(wait)
                truth[back][("handling", center, svc)].append(handling)
            for i in range(rng.randint(0, 2)):
                at = start + rng.randrange(20_000)
                call = {"center": center, "call": f"{device}-c{i}", "at": at}
                response = rng.choice(EXACT)
                rows.append((device, "staff_call", at, {**call, "event": "called"}))
                answer = {**call, "event": "answered", "response_s": response}
                rows.append((device, "staff_call", at + response, answer))
                truth[back][("call", center, "")].append(response)
            for _ in range(rng.randint(1, 4)):
                assisted = rng.random() < 0.3
                body = {"service": "procedure", "outcome": "done", "steps": [["a", 1000]]}
                body["assisted"] = assisted
                rows.append((device, "metric", start + 600, body))
                truth[back][("mode", center, "assisted" if assisted else "self")].append(1)
        rows.append(("d-kita-1", "queue_event", start, "not json"))  # ignored, never raised
        rows.append(("d-kita-1", "queue_event", start, {"ticket": "x y", "event": "called"}))
    return rows, truth


def _write(db: str, rows: list) -> None:
    seqs: Counter = Counter()
    store = open_store(db)
    try:
        for first in range(0, len(rows), 200):
            opened = []
            for device, kind, created_at, body in rows[first : first + 200]:
                seqs[device] += 1
                rec = PendingRecord(device, seqs[device], b"h", b"", b"", 0.0)
                text = body if isinstance(body, str) else json.dumps(body)
                opened.append((rec, kind, created_at, f"r{device}{seqs[device]}", text))
            store.finish_processing(opened, [])
            DailySummaries().after_chunk(store)
        for device in seqs:
            store.mark_seen(device, NOW - 120)  # every terminal heard from two minutes ago
    finally:
        store.close()


def _median(values: list) -> float | None:
    return statistics.median(values) if values else None


def _expected(truth: dict, days: int) -> dict:
    merged: dict = defaultdict(list)
    for back in range(days):
        for key, values in truth[back].items():
            merged[key] += values

    def pick(kind: str, center: str | None = None, svc: str | None = None) -> list:
        return [
            v
            for (k, c, s), values in merged.items()
            if k == kind and center in (None, c) and svc in (None, s)
            for v in values
        ]

    return {"pick": pick}


@pytest.mark.parametrize("days", [7, 20])
def test_waits_handling_calls_and_assisted_match_the_records(central_db, days):
    rng = random.Random(21)
    rows, truth = _events(rng)
    rng.shuffle(rows)  # terminals and the queue host sync in any order
    _write(central_db, rows)
    pick = _expected(truth, days)["pick"]
    last = datetime.fromtimestamp(NOW, TOKYO).date()
    first = (last - timedelta(days=days - 1)).isoformat()
    center_of = {d: c for d, c in DEVICES.items()}
    ro = open_readonly(central_db)
    try:
        got = service.service_figures(
            ro, center_of, first, last.isoformat(), k=1, target_wait_s=900
        )
    finally:
        ro.close()
    waits = pick("wait")
    assert got["city"]["waits"]["count"] == len(waits)  # the repeated call counts once
    assert got["city"]["waits"]["median_s"] == round(_median(waits))
    within = 100.0 * sum(1 for w in waits if w <= 900) / len(waits)
    assert got["city"]["waits"]["within_pct"] == round(within, 1)
    assert got["city"]["handling"]["median_s"] == round(_median(pick("handling")))
    for center in ("北", "南"):
        figures = got["centers"][center]
        assert figures["waits"]["median_s"] == round(_median(pick("wait", center)))
        assert figures["handling"]["count"] == len(pick("handling", center))
        calls = pick("call", center)
        assert figures["staff_calls"]["calls"] == len(calls)
        if calls:
            assert figures["staff_calls"]["median_s"] == round(_median(calls))
        assisted, alone = len(pick("mode", center, "assisted")), len(pick("mode", center, "self"))
        assert figures["assisted"]["assisted"] == assisted
        assert figures["assisted"]["assisted_pct"] == round(100 * assisted / (assisted + alone), 1)
    for row in got["by_service"]:
        assert row["waits"]["median_s"] == round(_median(pick("wait", None, row["service"])))
        assert row["handling"]["median_s"] == round(_median(pick("handling", None, row["service"])))
    assert {r["service"] for r in got["by_service"]} == set(SERVICES)


def test_small_groups_show_no_times(central_db):
    rows, _ = _events(random.Random(5))
    _write(central_db, [r for r in rows if r[0] == "d-minami-1"][:12])
    today = datetime.fromtimestamp(NOW, TOKYO).date().isoformat()
    ro = open_readonly(central_db)
    try:
        got = service.service_figures(ro, DEVICES, "2026-01-01", today, k=10, target_wait_s=900)
    finally:
        ro.close()
    waits = got["centers"]["南"]["waits"]
    assert waits["count"] == "<10"
    assert waits["median_s"] is None and waits["within_pct"] is None


def _consultations(db: str) -> list[float]:
    """Twelve consultations at 北 today (ten taken), written as the console's table holds them."""
    store = open_store(db)
    waits = []
    try:
        start = NOW - 3 * 3600
        for i in range(12):
            queued = start + i * 300
            accepted = queued + 60 * (i + 1) + 5 if i < 10 else None
            ended = accepted + 600 if accepted is not None else None
            if accepted is not None:
                waits.append((accepted - queued) // 60)
            store._execute(
                store._q(
                    "INSERT INTO consultations (id, device_id, center, topic, language, state, "
                    "created_at, queued_at, polled_at, accepted_at, ended_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    f"c{i}",
                    "d-kita-1",
                    "北",
                    "tax",
                    "ja",
                    "ended",
                    queued,
                    queued,
                    queued,
                    accepted,
                    ended,
                ),
            )
        store._commit()
    finally:
        store.close()
    return waits


def _app(db: str):
    config = DashboardConfig(db=db, refresh_s=0, min_residents=1)
    return create_app(config, centers=lambda: CENTERS, clock=lambda: NOW).test_client()


def test_front_page_and_a_centers_page_show_the_service(tmp_path):
    db = str(tmp_path / "central.db")
    rows, truth = _events(random.Random(3))
    health = {"printer": "ok", "paper": "empty", "card_reader": "ok"}
    health |= {"outbox_pending": 4, "software_version": "0.9.1", "catalog_version": "3"}
    rows.append(("d-minami-1", "device_health", int(NOW) - 60, health))
    _write(db, rows)
    waits = _consultations(db)
    client = _app(db)
    data = client.get("/api/today?window=7d").get_json()
    assert data["consultations"]["city"]["count"] == 12
    assert data["consultations"]["city"]["taken"] == 10
    assert data["consultations"]["city"]["median_wait_min"] == statistics.median(waits)
    for back, day in enumerate(reversed(data["series"])):  # the city's median wait per day
        waits = [v for (kind, *_), values in truth[back].items() if kind == "wait" for v in values]
        assert day["wait_min"] == round(round(statistics.median(waits)) / 60, 1)
    first = data["terminals"][0]  # what needs attention comes first
    assert first["device_id"] == "d-minami-1" and "paper" in first["issues"]
    assert first["health"]["paper"] == "empty"
    assert all(r["service"]["waits"]["median_s"] for r in data["centers"])
    page = client.get("/today?window=7d").get_data(as_text=True)
    for words in ("待ち時間", "処理時間", "係員呼び出し", "職員が補助", "オンライン相談", "用紙"):
        assert words in page
    for words in ("ソフトの版", "手続き一覧の版", "端末で送信待ち", "<td>0.9.1</td>"):
        assert words in page  # each terminal's versions (an update that did not take shows)
    assert f'href="/center?name={quote("北")}' in page
    center = client.get(f"/center?name={quote('北')}&window=30d")
    assert center.status_code == 200
    text = center.get_data(as_text=True)
    assert "北 の様子" in text and "日ごとの様子" in text
    api = client.get(f"/api/center?name={quote('北')}&lang=en").get_json()
    assert api["center"]["center"] == "北" and len(api["center_series"]) == 30
    assert all(t["center"] == "北" for t in api["terminals"])
    csv_text = client.get("/today.csv?window=7d").get_data(as_text=True)
    assert "待ち時間（中央値）" in csv_text.splitlines()[0]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),  # no center named
        ("?name=", 400),
        ("?name=" + "x" * 201, 400),
        (f"?name={quote('北')}&name={quote('南')}", 400),  # twice
        (f"?name={quote('北')}&window=2d", 400),
        (f"?name={quote('北')}&lang=fr", 400),
        (f"?name={quote('北')}&sort=center", 400),  # not a parameter of this page
        ("?name=nowhere", 404),
    ],
)
def test_bad_center_queries_are_refused(tmp_path, query, status):
    db = str(tmp_path / "central.db")
    _write(db, _events(random.Random(4))[0][:50])
    response = _app(db).get("/api/center" + query)
    assert response.status_code == status
    assert response.get_json()["status"] == status
