"""The queue host's HTTP surface on the real Flask app and a real SQLite queue: terminal token,
staff PIN login and lockout, CSRF, bad input refused with a code and nothing changed."""

from __future__ import annotations

import pytest

from kiosk.center import CenterQueue
from kiosk.center.host import CenterHost, HostConfig, chime_wav, create_app
from kiosk.session.config import hash_staff_pin
from tests.support.center import STAFF_PIN, TOKEN

pytestmark = pytest.mark.timeout(60)

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def host(tmp_path):
    queue = CenterQueue(tmp_path / "host.db", "higashi")
    sent: list = []
    pin_hash = hash_staff_pin(STAFF_PIN, iterations=1000)
    h = CenterHost(
        HostConfig("higashi", "東町", TOKEN, max_pin_failures=3),
        queue,
        lambda kind, body: sent.append((kind, body)),
        lambda: pin_hash,
    )
    h.sent = sent
    yield h
    queue.close()


def _staff(app):
    c = app.test_client()
    r = c.post("/login", data={"pin": STAFF_PIN})
    assert r.status_code == 303
    page = c.get("/").get_data(as_text=True)
    csrf = page.split('name="csrf" content="')[1].split('"')[0]
    return c, {"X-CSRF-Token": csrf}


def test_terminal_api_needs_the_center_token(host):
    c = create_app(host).test_client()
    r = c.post("/api/tickets", json={"service": "procedure"})
    assert r.status_code == 403 and r.json["error"] == "terminal_token"
    r = c.post("/api/tickets", json={"service": "procedure"}, headers={"Authorization": "Bearer x"})
    assert r.status_code == 403
    r = c.post("/api/tickets", json={"service": "procedure"}, headers=AUTH)
    assert r.status_code == 200 and r.json["ticket"]["label"] == "A-001"
    assert r.json["wait_min"] == 0 and host.sent[0][1]["event"] == "issued"


@pytest.mark.parametrize(
    "path, payload, code",
    [
        ("/api/tickets", {"service": "passport"}, "unknown_service"),
        ("/api/tickets", ["procedure"], "bad_json"),
        ("/api/tickets", {"service": "procedure", "language": "<script>"}, "bad_language"),
        ("/api/tickets/adopt", {"tickets": "A2-001"}, "bad_tickets"),
        ("/api/tickets/adopt", {"tickets": [{"label": "A2-001"}]}, "unknown_service"),
        ("/api/staff-calls", {"terminal": "k 1", "screen": "home"}, "bad_terminal"),
        ("/api/staff-calls", {"terminal": "k1", "screen": "<b>"}, "bad_screen"),
    ],
)
def test_bad_terminal_input_is_a_400_with_a_code(host, path, payload, code):
    c = create_app(host).test_client()
    r = c.post(path, json=payload, headers=AUTH)
    assert r.status_code == 400 and r.json == {"ok": False, "error": code}
    assert host.queue.all_tickets() == [] and host.sent == []


def test_staff_login_lockout_and_csrf(host):
    app = create_app(host)
    c = app.test_client()
    assert "職員用PIN" in c.get("/").get_data(as_text=True)
    assert c.get("/api/console").status_code == 403
    for _ in range(3):
        assert c.post("/login", data={"pin": "000000"}).status_code == 403
    # locked now: even the right PIN is refused until lockout_s has passed
    assert c.post("/login", data={"pin": STAFF_PIN}).status_code == 403
    host._locked_until = 0.0
    staff, csrf = _staff(app)
    assert staff.post("/api/console/call_next", json={"counter": "1"}).status_code == 403
    r = staff.post("/api/console/call_next", json={"counter": "1"}, headers=csrf)
    assert r.status_code == 200 and r.json["result"] is None  # nobody waiting


@pytest.mark.parametrize(
    "action, payload, code",
    [
        ("call_next", {}, "missing_counter"),
        ("call_next", {"counter": "9"}, "unknown_counter"),
        ("end", {"counter": "1", "ticket": "A-001"}, "wrong_state"),
        ("start", {"counter": "1", "ticket": "Z-1"}, "bad_ticket"),
        ("transfer", {"counter": "1", "ticket": "A-001", "to_counter": "7"}, "unknown_counter"),
        ("answer_call", {"counter": "1", "call": "nope"}, "bad_call"),
        ("explode", {"counter": "1"}, "unknown_action"),
    ],
)
def test_bad_console_actions_change_nothing(host, action, payload, code):
    host.queue.issue("procedure")
    staff, csrf = _staff(create_app(host))
    before = host.queue.all_tickets()
    r = staff.post(f"/api/console/{action}", json=payload, headers=csrf)
    assert r.status_code == 400 and r.json["error"] == code
    assert host.queue.all_tickets() == before


def test_display_is_public_numbers_only_and_the_chime_is_served(host):
    c = create_app(host).test_client()
    c.post("/api/tickets", json={"service": "certificate", "language": "en"}, headers=AUTH)
    board = c.get("/api/board").json
    assert [t["label"] for t in board["next"]] == ["B-001"] and board["waiting"] == 1
    # no counter time measured yet: the default 6 min for the one ahead, 0 for a reservation
    assert board["estimates"] == {"procedure": 6, "certificate": 6, "consultation": 6,
                                  "reserved": 0}  # fmt: skip
    assert c.get("/display").status_code == 200
    wav = c.get("/chime.wav")
    assert wav.mimetype == "audio/wav" and wav.data == chime_wav() and wav.data[:4] == b"RIFF"
