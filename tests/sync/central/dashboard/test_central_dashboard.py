"""The central dashboard end to end, on SQLite and PostgreSQL: records sealed by real device
outboxes travel through the real agent and receiver (ZeroMQ CURVE on 127.0.0.1) into the store,
the processing stage opens them, and the real waitress server answers pages and JSON with the
right numbers (3 surveys 10, 9, 3 → mean 7.33, NPS 33), counts only for shelters, never a name
or address, 401 without the token, 400 for hostile query strings while it keeps serving, and
no write to the store ever."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from provisioning import Registry
from sync.central import open_store
from sync.central.dashboard.app import SECURITY_HEADERS
from sync.central.dashboard.readonly_store import open_readonly
from sync.central.errors import StoreError
from sync.outbox import Outbox
from tests.support.dashboard import (
    ADDRESS,
    BIRTH,
    BOOKER,
    CENTERS,
    DAY,
    EVACUEE,
    EVACUEE_ADDRESS,
    NAME,
    PAGES,
    PHONE,
    SECRETS,
    TOKEN,
    Client,
    append,
    device_kit_at,
    metric_body,
    personal_body,
    process_all,
    send_with_gap,
    serve,
    survey_body,
    sync_kits,
)
from tests.support.sync import (
    KEY_ID,
    central_kit,
    fresh_central_db,
)

pytestmark = pytest.mark.timeout(240)


@dataclass
class Scenario:
    db: str
    registry: Path


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def scenario(request, tmp_path_factory) -> Scenario:
    """One store filled through the real path, shared by the read-only tests of a backend."""
    tmp = tmp_path_factory.mktemp(f"dashboard-{request.param}")
    db = fresh_central_db(request.param, tmp, request)
    central = central_kit()
    kita, kita_clock = device_kit_at(tmp, central, "kita-01")
    minami, minami_clock = device_kit_at(tmp, central, "minami-02")
    higashi, _ = device_kit_at(tmp, central, "higashi-03")  # enrolled, never sends
    registry = Registry(tmp / "registry.json")
    for kit in (kita, minami, higashi):
        registry.enroll(
            kit.device_id, kit.curve_public, kit.signing_key.public_key(), CENTERS[kit.device_id]
        )

    for score, reasons in [(10, ["ease", "wait"]), (9, ["ease"]), (3, ["language"])]:
        append(kita, kita_clock, "survey", survey_body("procedure", score, reasons))
    append(kita, kita_clock, "survey", survey_body("procedure", 0, ["wait"]), ago=40 * DAY)
    append(kita, kita_clock, "application", personal_body("moving_in", NAME, ADDRESS))
    append(kita, kita_clock, "application", personal_body("nhi_enroll", NAME, ADDRESS))
    steps_1 = [["procedures", 4000], ["procedure_intro", 2000], ["place_card", 6000]]
    steps_1 += [["pin_entry", 9000], ["form_confirm", 30000], ["done", 5000]]
    steps_2 = [["procedures", 2000], ["procedure_intro", 3000], ["place_card", 4000]]
    steps_2 += [["pin_entry", 6000], ["form_confirm", 20000], ["pin_entry", 1000]]
    append(kita, kita_clock, "metric", metric_body("moving_in", "done", steps_1))
    append(kita, kita_clock, "metric", metric_body("moving_in", "done", steps_2))
    append(
        kita,
        kita_clock,
        "metric",
        metric_body("moving_in", "idle", [["procedures", 1000], ["procedure_intro", 60000]]),
    )
    for ago in (60, 120, 30 * 3600):
        body = personal_body("shelter_checkin", EVACUEE, EVACUEE_ADDRESS)
        append(kita, kita_clock, "shelter_checkin", body, ago=ago)
    append(kita, kita_clock, "queue_ticket", {"number": 7, "waiting_before": 2})

    append(minami, minami_clock, "survey", survey_body("booking", 8, []))
    append(minami, minami_clock, "survey", survey_body("booking", 7, ["wait"]))
    append(minami, minami_clock, "shelter_checkin", personal_body("shelter_checkin", NAME, ADDRESS))
    append(
        minami,
        minami_clock,
        "certificate_request",
        {"certificate": "resident_record", "copies": 1, "purpose": "work", "holder": NAME},
    )
    append(
        minami,
        minami_clock,
        "booking",
        {"topic": "tax", "language": "ja", "name": BOOKER, "phone": PHONE},
    )
    sync_kits(central, db, [kita, minami])

    # A device outside the registry that skipped seqs 1-2 and whose seq 4 cannot be opened.
    gap, _ = device_kit_at(tmp, central, "gap-04")
    gap.outbox.append("device_health", {"disk_free_mb": 900})
    gap.outbox.append("device_health", {"disk_free_mb": 800})
    gap.outbox.append("device_health", {"disk_free_mb": 700})
    with Outbox(
        gap.outbox.config, gap.device_id, X25519PrivateKey.generate().public_key(), KEY_ID
    ) as o:
        o.append("device_health", {"disk_free_mb": 600})
    send_with_gap(central, db, gap)
    process_all(central, db)
    return Scenario(db, tmp / "registry.json")


@pytest.fixture(scope="module")
def client(scenario):
    server = serve(scenario.db, scenario.registry)
    yield Client(server.url, TOKEN)
    server.stop()


def _by(rows: list[dict], key: str) -> dict:
    return {r[key]: r for r in rows}


def test_overview_lists_every_device_with_gaps_quarantine_and_offline(client):
    data = client.json("/api/overview")
    devices = _by(data["devices"], "device_id")
    assert set(devices) == {"kita-01", "minami-02", "higashi-03", "gap-04"}
    kita = devices["kita-01"]
    assert kita["center"] == "北センター" and kita["committed_seq"] == 13
    assert kita["beyond_gap"] == 0 and kita["events"] == {} and kita["quarantine"] == {}
    assert not kita["offline"] and kita["last_seen_age_s"] < 600
    assert devices["minami-02"]["committed_seq"] == 5
    gap = devices["gap-04"]
    assert gap["center"] is None
    assert (gap["committed_seq"], gap["max_seq"], gap["beyond_gap"]) == (0, 4, 4)
    assert gap["events"] == {"gap": 1} and gap["quarantine"] == {"undecryptable": 1}
    silent = devices["higashi-03"]
    assert silent["last_seen"] is None and silent["offline"] and silent["committed_seq"] == 0
    assert data["offline_devices"] == 1
    assert data["lag"] == {"waiting": 0, "oldest_s": 0.0}
    assert data["recent_events"][0]["kind"] == "gap"
    assert data["recent_events"][0]["device_id"] == "gap-04"

    page = client.get("/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "北センター" in html and "gap-04" in html and "undecryptable 1" in html
    row = html[html.index("higashi-03") - 300 : html.index("higashi-03")]
    assert 'class="offline' in row
    assert '<meta http-equiv="refresh" content="60">' in html


def test_every_device_is_offline_when_the_clock_moves_on(scenario):
    server = serve(
        scenario.db, scenario.registry, offline_after_hours=1, clock=lambda: time.time() + 7200
    )
    try:
        data = Client(server.url, TOKEN).json("/api/overview")
    finally:
        server.stop()
    assert data["offline_devices"] == 4 and data["offline_after_hours"] == 1
    assert all(d["offline"] for d in data["devices"])


def test_satisfaction_mean_nps_and_reason_chips(client):
    data = client.json("/api/satisfaction?window=30d")
    assert data["window"] == "30d" and data["min_cell"] == 3 and not data["truncated"]
    overall = data["overall"]
    assert overall["responses"] == 5 and overall["mean"] == 7.4 and overall["nps"] == 20.0
    assert (overall["promoters"], overall["passives"], overall["detractors"]) == (2, 2, 1)
    assert overall["reasons"] == {"ease": 2, "wait": 2, "language": 1}
    centers = _by(data["by_center"], "center")
    kita = centers["北センター"]
    assert (kita["responses"], kita["mean"], kita["nps"]) == (3, 7.33, 33.3)
    assert kita["reasons"] == {"ease": 2, "language": 1, "wait": 1}
    minami = centers["南センター"]  # two answers: count only
    assert minami == {"center": "南センター", "responses": 2, "suppressed": True}
    services = _by(data["by_service"], "service")
    assert (services["procedure"]["mean"], services["procedure"]["nps"]) == (7.33, 33.3)
    assert services["booking"]["suppressed"]

    wide = client.json("/api/satisfaction?window=90d")["overall"]
    assert (wide["responses"], wide["mean"], wide["nps"], wide["detractors"]) == (6, 6.17, 0.0, 2)
    assert client.json("/api/satisfaction?window=7d")["overall"]["responses"] == 5
    assert client.json("/api/satisfaction")["window"] == "30d"

    html = client.get("/satisfaction?window=30d").text
    assert "7.33" in html and "+33" in html and "7.40" in html and "+20" in html
    assert "fewer than 3 responses: not shown" in html
    assert "<strong>30d</strong>" in html and 'href="?window=90d"' in html


def test_procedures_counts_and_step_timings(client):
    data = client.json("/api/procedures?window=30d")
    totals = {(t["kind"], t["item"]): t["count"] for t in data["submission_totals"]}
    assert totals == {
        ("application", "moving_in"): 1,
        ("application", "nhi_enroll"): 1,
        ("booking", "tax"): 1,
        ("certificate_request", "resident_record"): 1,
    }
    per_center = {(s["kind"], s["item"], s["center"]) for s in data["submissions"]}
    assert ("application", "moving_in", "北センター") in per_center
    assert ("booking", "tax", "南センター") in per_center
    assert data["queue_tickets"] == [{"center": "北センター", "count": 1}]
    assert data["sessions"] == [
        {
            "service": "procedure",
            "procedure": "moving_in",
            "total": 3,
            "outcomes": {"done": 2, "idle": 1},
        }
    ]
    steps = {s["step"]: s for s in data["steps"]}
    assert [s["step"] for s in data["steps"]][:3] == ["procedures", "procedure_intro", "place_card"]
    assert (steps["pin_entry"]["median_ms"], steps["pin_entry"]["p90_ms"]) == (8000, 9000)
    assert (steps["form_confirm"]["median_ms"], steps["form_confirm"]["p90_ms"]) == (25000, 30000)
    intro = steps["procedure_intro"]
    assert (intro["sessions"], intro["median_ms"], intro["p90_ms"]) == (3, 3000, 60000)

    html = client.get("/procedures?window=90d").text
    assert "moving_in" in html and "resident_record" in html and "25.0" in html


def test_shelter_occupancy_counts_only(client):
    day = client.json("/api/shelter?window=24h")
    assert {c["center"]: c["checkins"] for c in day["centers"]} == {
        "北センター": 2,
        "南センター": 1,
        "東センター": 0,
        "gap-04": 0,
    }
    assert day["total"] == 3
    three_days = client.json("/api/shelter?window=72h")
    assert _by(three_days["centers"], "center")["北センター"]["checkins"] == 3
    assert set(three_days) == {"centers", "generated_at", "since", "total", "window"}
    assert set(three_days["centers"][0]) == {
        "center",
        "checkins",
        "last_seen",
        "last_seen_age_s",
        "offline",
    }
    assert _by(three_days["centers"], "center")["東センター"]["offline"]
    html = client.get("/shelter?window=72h").text
    assert "北センター" in html and "<strong>4</strong> check-in(s)" in html


def test_no_personal_data_in_any_page_or_json(scenario, client):
    store = open_store(scenario.db)
    try:  # the personal data is really in the store, so its absence below means something
        opened = [
            row[5]
            for kind in ("application", "shelter_checkin", "booking")
            for row in store.opened(kind)
        ]
    finally:
        store.close()
    for secret in (NAME, ADDRESS, EVACUEE, EVACUEE_ADDRESS, BOOKER, BIRTH):
        assert any(secret in body for body in opened), secret
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        for secret in SECRETS:
            assert secret not in response.text, (path, secret)


def test_token_is_required(client):
    for path in ("/", "/api/overview", "/static/dashboard.css"):
        refused = client.get(path, auth=None)
        assert refused.status_code == 401, path
        assert "Basic" in refused.headers["WWW-Authenticate"]
    assert client.get("/api/overview", auth="Bearer wrong-token-wrong-token").status_code == 401
    assert client.get("/api/overview", auth="Bearer " + TOKEN[:-1]).status_code == 401
    assert client.get("/api/overview", auth="Basic !!!notbase64").status_code == 401
    assert client.get("/api/overview", auth="Token " + TOKEN).status_code == 401
    # in the URL it is refused: only a header is read
    assert client.get("/api/overview?token=" + TOKEN, auth=None).status_code == 401
    basic = base64.b64encode(f"staff:{TOKEN}".encode()).decode()
    assert client.get("/api/overview", auth=f"Basic {basic}").status_code == 200
    assert client.get("/api/overview").status_code == 200
    assert client.get("/static/dashboard.css").status_code == 200


def test_security_headers_on_every_response(client):
    cases = [
        ("/", None, 200),
        ("/api/shelter", None, 200),
        ("/static/dashboard.css", None, 200),
        ("/nowhere", None, 404),
        ("/api/shelter?window=1y", None, 400),
        ("/", "Bearer nope-nope-nope-nope", 401),
    ]
    for path, auth, status in cases:
        response = client.get(path, auth=auth if auth else True)
        assert response.status_code == status, path
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    post = requests.post(
        client.url + "/api/overview", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert post.status_code == 405 and post.headers["X-Frame-Options"] == "DENY"


HOSTILE = [
    ("/api/satisfaction?window=1d", "window must be one of 7d, 30d, 90d"),
    ("/api/satisfaction?window=", "window must be one of"),
    ("/api/satisfaction?window=30", "window must be one of"),
    ("/api/satisfaction?window=30d&window=7d", "given more than once"),
    ("/api/satisfaction?window=30d%00", "window must be one of"),
    ("/api/satisfaction?window=%ff%fe", "window must be one of"),
    ("/api/satisfaction?days=30", "unknown query parameter 'days'"),
    ("/api/shelter?window=7d", "window must be one of 24h, 72h"),
    ("/api/overview?window=30d", "unknown query parameter 'window'"),
    ("/api/overview?%3Cscript%3E=1", "unknown query parameter (accepted: none)"),
    ("/api/procedures?" + "a" * 600, "query string too long"),
    ("/api/procedures?window=" + "%25" * 300, "query string too long"),
    ("/satisfaction?window=%3Cscript%3Ealert(1)%3C/script%3E", "window must be one of"),
]


@pytest.mark.parametrize("path, message", HOSTILE)
def test_hostile_query_strings_are_400_and_the_server_keeps_serving(client, path, message):
    response = client.get(path)
    assert response.status_code == 400
    text = response.json()["error"] if path.startswith("/api/") else response.text
    assert message in text
    assert "<script>" not in response.text
    assert client.get("/api/shelter").status_code == 200


def test_oversized_request_line_is_refused_and_the_server_keeps_serving(client):
    response = client.get("/api/overview?" + "x" * 100_000)
    assert 400 <= response.status_code < 500
    assert client.get("/api/overview").status_code == 200


def test_store_is_never_written(scenario):
    for db in (scenario.db,):
        store = open_readonly(db)
        try:
            with pytest.raises(StoreError):
                store.rows("write", "CREATE TABLE intruder (x INTEGER)")
            with pytest.raises(StoreError):
                store.rows("write", "DELETE FROM surveys")
            assert store.count("surveys") == 6
        finally:
            store.close()


def test_missing_sqlite_store_is_503_and_never_created(tmp_path):
    db = tmp_path / "not-there.db"
    server = serve(str(db), None)
    try:
        client = Client(server.url, TOKEN)
        response = client.get("/api/overview")
        assert response.status_code == 503 and "cannot be read" in response.json()["error"]
        assert client.get("/shelter").status_code == 503
    finally:
        server.stop()
    assert not db.exists()
    assert list(tmp_path.iterdir()) == []
