"""Issue 16 item 8 (dashboard), over real HTTP on loopback against the real waitress server:
- Host allowlist: a DNS-rebinding page (its own name resolving to 127.0.0.1) cannot read
  `/api/...`: any Host not on the list gets 421 and no data, with or without a token;
- failed logins are rate-limited per client: after 10 wrong tokens even the right one gets 429
  with Retry-After, other clients are not affected, and the lockout ends (the limiter's clock is
  advanced, not waited for);
- small cells: counts of residents under 10 (the default) show as "<10" on the procedures,
  shelter and satisfaction pages and their /api/ twins, with step timings and survey statistics
  of such small groups not shown at all; records go through the real outbox, agent, receiver and
  processing stage."""

from __future__ import annotations

import http.client
import socket

import pytest

import tests.support.sync as sync_support
from sync.central import open_store
from sync.central.dashboard.app import DashboardConfig, create_app
from sync.central.dashboard.auth import LoginLimiter, default_allowed_hosts, host_allowed
from sync.central.dashboard.server import DashboardServer, Listen
from tests.support.dashboard import (
    EVACUEE,
    EVACUEE_ADDRESS,
    NAME,
    TOKEN,
    Client,
    append,
    device_kit_at,
    metric_body,
    personal_body,
    survey_body,
    sync_kits,
)
from tests.support.sync import central_kit

pytestmark = pytest.mark.timeout(240)

central_db = sync_support.central_db  # fixture (fresh database per test)


def _server(db: str, token: str | None = TOKEN, monotonic=None, **config) -> DashboardServer:
    kw = {"monotonic": monotonic} if monotonic else {}
    hosts = default_allowed_hosts(["127.0.0.1"]) + tuple(config.pop("extra_hosts", ()))
    app = create_app(DashboardConfig(db=db, token=token, allowed_hosts=hosts, **config), **kw)
    return DashboardServer(
        app, token=token, token_env="MADOGUCHI_DASHBOARD_TOKEN", listen=Listen("127.0.0.1", 0)
    ).start()


def _get(url: str, path: str, host: str, token: str | None = TOKEN, source: str | None = None):
    """One GET with exactly this Host header (as a browser on a rebinding page would send)."""
    _, port = url.rsplit(":", 1)
    conn = http.client.HTTPConnection(
        "127.0.0.1", int(port), timeout=20, source_address=(source, 0) if source else None
    )
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host)
        if token:
            conn.putheader("Authorization", f"Bearer {token}")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("token", [TOKEN, None], ids=["token", "no token"])
def test_a_dns_rebinding_page_cannot_read_the_api(tmp_path, token):
    db = str(tmp_path / "central.db")
    open_store(db).close()
    server = _server(db, token, extra_hosts=("dashboard.city.example",))
    try:
        port = server.addresses[0][1]
        for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.nip.io", ""):
            for path in ("/api/overview", "/api/shelter", "/", "/static/dashboard.css"):
                status, headers, body = _get(server.url, path, host, token)
                assert status == 421, (host, path, status)
                assert b"devices" not in body and b"centers" not in body
                assert headers["X-Frame-Options"] == "DENY"
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "dashboard.city.example"):
            status, _, body = _get(server.url, "/api/overview", host, token)
            assert status == 200 and b"devices" in body, host
    finally:
        server.stop()


HOSTS = [
    ("localhost:8600", True),
    ("LOCALHOST", True),
    ("[::1]:8600", True),
    ("127.0.0.1", True),
    ("dash.city.example:443", True),
    ("dash.city.example:444", False),  # the entry names a port
    ("evil.example", False),
    ("127.0.0.1@evil.example", False),
    ("localhost:86 00", False),
    ("localhost:x", False),
    ("", False),
    (None, False),
]


@pytest.mark.parametrize(("header", "ok"), HOSTS)
def test_host_allowlist_table(header, ok):
    allowed = default_allowed_hosts(["0.0.0.0"]) + ("dash.city.example:443",)
    assert "0.0.0.0" not in allowed  # a wildcard listen address is no host name
    assert host_allowed(header, allowed) is ok


def test_failed_logins_are_rate_limited_per_client(tmp_path):
    db = str(tmp_path / "central.db")
    open_store(db).close()
    now = [1000.0]
    server = _server(db, monotonic=lambda: now[0])
    host = "127.0.0.1"
    try:
        for _ in range(10):
            status, _, _ = _get(server.url, "/api/overview", host, "wrong-token-0123456789")
            assert status == 401
        status, headers, body = _get(server.url, "/api/overview", host, TOKEN)
        assert status == 429 and int(headers["Retry-After"]) == 300
        assert b"devices" not in body
        # another client (another loopback source address) is not locked out
        status, _, _ = _get(server.url, "/api/overview", host, TOKEN, source="127.0.0.2")
        assert status == 200
        now[0] += 299
        assert _get(server.url, "/api/overview", host, TOKEN)[0] == 429
        now[0] += 2  # the lockout is over
        assert _get(server.url, "/api/overview", host, TOKEN)[0] == 200
        # a browser's bare first request (no Authorization) is not counted as a try
        for _ in range(20):
            assert _get(server.url, "/", host, None)[0] == 401
        assert _get(server.url, "/api/overview", host, TOKEN)[0] == 200
    finally:
        server.stop()


def test_login_limiter_forgets_old_failures_and_bounds_its_memory():
    limiter = LoginLimiter(max_failures=3, window_s=60, lockout_s=120, max_clients=100)
    limiter.failed("a", 0)
    limiter.failed("a", 10)
    limiter.failed("a", 100)  # the first two are outside the window: 1 failure counted
    assert limiter.retry_after("a", 100) is None
    limiter.failed("a", 101)
    limiter.failed("a", 102)
    assert limiter.retry_after("a", 102) == 120
    for i in range(500):
        limiter.failed(f"c{i}", 200)
    assert len(limiter._clients) <= 100


def _scenario(tmp_path, db: str) -> None:
    """kita-01: 12 of everything; minami-02: 2 or 3 (a small cell)."""
    central = central_kit()
    kita, kita_clock = device_kit_at(tmp_path, central, "kita-01")
    minami, minami_clock = device_kit_at(tmp_path, central, "minami-02")
    for i in range(12):
        append(kita, kita_clock, "application", personal_body("moving_in", NAME, "北1-1"))
        body = personal_body("shelter_checkin", EVACUEE, EVACUEE_ADDRESS)
        append(kita, kita_clock, "shelter_checkin", body)
        append(kita, kita_clock, "survey", survey_body("procedure", 8 + i % 3, ["ease"]))
        steps = [["procedures", 1000 + i], ["pin_entry", 5000 + i]]
        append(kita, kita_clock, "metric", metric_body("moving_in", "done", steps))
    for _ in range(2):
        append(minami, minami_clock, "application", personal_body("nhi_enroll", NAME, "南2-2"))
        append(minami, minami_clock, "survey", survey_body("booking", 3, ["wait"]))
        steps = [["procedures", 2000], ["form_confirm", 77_777]]
        append(minami, minami_clock, "metric", metric_body("birth", "done", steps))
    for _ in range(3):
        body = personal_body("shelter_checkin", EVACUEE, EVACUEE_ADDRESS)
        append(minami, minami_clock, "shelter_checkin", body)
        append(minami, minami_clock, "queue_ticket", {"number": 1, "waiting_before": 0})
    sync_kits(central, db, [kita, minami])


def test_small_cells_are_suppressed_on_every_page_that_counts_residents(tmp_path, central_db):
    _scenario(tmp_path, central_db)
    server = _server(central_db)  # the default: 10
    try:
        client = Client(server.url, TOKEN)
        shelter = client.json("/api/shelter?window=24h")
        assert {c["center"]: c["checkins"] for c in shelter["centers"]} == {
            "kita-01": 12,
            "minami-02": "<10",
        }
        assert shelter["total"] == 15
        procedures = client.json("/api/procedures?window=30d")
        assert procedures["min_residents"] == 10
        totals = {t["item"]: t["count"] for t in procedures["submission_totals"]}
        assert totals == {"moving_in": 12, "nhi_enroll": "<10"}
        assert {(s["item"], s["count"]) for s in procedures["submissions"]} == {
            ("moving_in", 12),
            ("nhi_enroll", "<10"),
        }
        assert procedures["queue_tickets"] == [{"center": "minami-02", "count": "<10"}]
        assert procedures["queue_ticket_total"] == "<10"
        sessions = {s["procedure"]: s for s in procedures["sessions"]}
        assert sessions["moving_in"]["total"] == 12
        assert sessions["moving_in"]["outcomes"] == {"done": 12}
        assert sessions["birth"]["total"] == "<10"
        assert sessions["birth"]["outcomes"] == {"done": "<10"}
        by_center = {c["center"]: c["sessions"] for c in procedures["sessions_by_center"]}
        assert by_center == {"kita-01": 12, "minami-02": "<10"}
        steps = {s["step"]: s for s in procedures["steps"]}
        assert steps["pin_entry"]["sessions"] == 12 and steps["pin_entry"]["median_ms"] > 0
        small = steps["form_confirm"]  # two sessions: no timing either
        assert (small["sessions"], small["median_ms"], small["p90_ms"]) == ("<10", None, None)
        satisfaction = client.json("/api/satisfaction?window=30d")
        centers = {g["center"]: g for g in satisfaction["by_center"]}
        assert centers["kita-01"]["responses"] == 12 and "mean" in centers["kita-01"]
        assert centers["minami-02"] == {
            "center": "minami-02",
            "responses": "<10",
            "suppressed": True,
        }
        services = {g["service"]: g for g in satisfaction["by_service"]}
        assert services["booking"] == {"service": "booking", "responses": "<10", "suppressed": True}

        html = client.get("/shelter?window=24h").text
        row = html[html.index("minami-02") : html.index("</tr>", html.index("minami-02"))]
        assert "&lt;10" in row and ">3<" not in row
        html = client.get("/procedures?window=30d").text
        assert "nhi_enroll" in html and "&lt;10" in html and "77.8" not in html
        assert "too few sessions to show" in html
        html = client.get("/satisfaction?window=30d").text
        assert "fewer than 10 responses: not shown" in html
    finally:
        server.stop()
    # the threshold is configurable (1: every count as it is)
    server = _server(central_db, min_residents=1)
    try:
        shelter = Client(server.url, TOKEN).json("/api/shelter?window=24h")
        assert {c["center"]: c["checkins"] for c in shelter["centers"]}["minami-02"] == 3
    finally:
        server.stop()


@pytest.mark.parametrize("kw", [{"min_residents": 0}, {"allowed_hosts": ()}])
def test_bad_dashboard_config(kw):
    with pytest.raises(ValueError):
        DashboardConfig(db="x", **kw)


def test_cli_allowed_host_option(tmp_path):
    """`central dashboard --allowed-host NAME` through the real command and server."""
    import os
    import subprocess
    import sys

    db = tmp_path / "central.db"
    open_store(str(db)).close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "MADOGUCHI_DASHBOARD_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "madoguchi.cli", "central", "dashboard", "--db", str(db),
         "--listen", f"127.0.0.1:{port}", "--allowed-host", "dash.city.example"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )  # fmt: skip
    try:
        line = b""
        while b"dashboard on" not in line:
            line = proc.stderr.readline()
            assert line, "the dashboard did not start"
        url = f"http://127.0.0.1:{port}"
        assert _get(url, "/api/overview", "dash.city.example")[0] == 200
        assert _get(url, "/api/overview", f"127.0.0.1:{port}")[0] == 200
        assert _get(url, "/api/overview", "rebind.example")[0] == 421
    finally:
        proc.terminate()
        proc.wait(30)
