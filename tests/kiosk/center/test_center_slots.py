"""Staff open and close the consultation booking slots of a day on the center's console; the
slots are central's: the queue host asks through its terminal's real agent, over CURVE to a real
receiver whose handlers are `sync.central.slot_admin`'s and the issuer's, on a real store. A
second terminal's agent then asks `consultation.slots`, as the kiosk's booking screen does, and
sees exactly what staff opened. With central unreachable the console is told `offline` and
nothing changes. The console is driven in headless chromium (screenshot)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiosk.center import CenterQueue
from kiosk.center.host import CenterHost, HostConfig, create_app
from kiosk.center.server import HostServer
from kiosk.session.config import hash_staff_pin
from sync.central.issuer import DEFAULT_TOPICS, Issuer, IssuerConfig
from sync.central.slot_admin import slot_admin_handlers
from sync.central.stores import open_store
from tests.support.center import SHOTS, STAFF_PIN, TOKEN, chromium
from tests.support.sync import agent_for, central_kit, device_kit, start_receiver, wait_until

pytestmark = pytest.mark.timeout(120)


def _tomorrow() -> str:
    return time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))


@pytest.fixture
def stack(tmp_path):
    central = central_kit()
    db = str(tmp_path / "central.db")
    issuer = Issuer(IssuerConfig(), db, secret=b"s" * 32)
    handlers = {
        **slot_admin_handlers(lambda: open_store(db), topics=DEFAULT_TOPICS),
        "consultation.slots": issuer.consultation_slots,
    }
    receiver = start_receiver(central, db, handlers=handlers)
    host_kit, kiosk_kit = (device_kit(tmp_path, central, d) for d in ("HOST", "K2"))
    host_agent = agent_for(host_kit, central, receiver.endpoint).start()
    kiosk_agent = agent_for(kiosk_kit, central, receiver.endpoint).start()
    queue = CenterQueue(tmp_path / "host.db", "higashi")
    host = CenterHost(HostConfig("higashi", "東町コミュニティセンター", TOKEN), queue,
                      host_kit.outbox.append, lambda: hash_staff_pin(STAFF_PIN, iterations=1000),
                      online=host_agent.request)  # fmt: skip
    try:
        assert wait_until(lambda: host_agent.status.connected and kiosk_agent.status.connected)
        yield host, kiosk_agent, receiver
    finally:
        for agent in (host_agent, kiosk_agent):
            agent.stop()
        receiver.stop()
        issuer.close()
        queue.close()


def _staff(app):
    c = app.test_client()
    assert c.post("/login", data={"pin": STAFF_PIN}).status_code == 303
    page = c.get("/").get_data(as_text=True)
    return c, {"X-CSRF-Token": page.split('name="csrf" content="')[1].split('"')[0]}


def _booking_screen(agent, topic="care") -> list[str]:
    return [s["start"] for s in agent.request("consultation.slots", {"topic": topic}, 5)["slots"]]


def test_staff_open_and_close_slots_the_kiosk_booking_screen_sees(stack):
    host, kiosk, _receiver = stack
    c, csrf = _staff(create_app(host))
    day = _tomorrow()
    r = c.post("/api/slots/open", headers=csrf,
               json={"topic": "care", "start": f"{day}T10:00", "minutes": 30, "capacity": 2})  # fmt: skip
    assert r.status_code == 200, r.json
    slot = r.json["result"]["slot"]
    assert _booking_screen(kiosk) == [f"{day}T10:00"]
    listed = c.get(f"/api/slots?date={day}").json["result"]["slots"]
    assert [(s["id"], s["capacity"], s["open"]) for s in listed] == [(slot["id"], 2, True)]
    assert c.post("/api/slots/close", headers=csrf, json={"slot": slot["id"]}).status_code == 200
    assert _booking_screen(kiosk) == []
    # Bad input comes back as central's reason, nothing changes; no login or CSRF: 403.
    r = c.post("/api/slots/open", headers=csrf,
               json={"topic": "care", "start": "2020-01-01T10:00", "minutes": 30, "capacity": 1})  # fmt: skip
    assert r.status_code == 400 and r.json["error"] == "slot_past"
    assert c.post("/api/slots/open", json={"topic": "care"}).status_code == 403
    anyone = create_app(host).test_client()
    assert anyone.get(f"/api/slots?date={day}").status_code == 403
    assert c.post("/api/slots/reopen", headers=csrf, json={}).status_code == 400


def test_with_central_unreachable_the_console_is_told_offline(stack):
    host, kiosk, receiver = stack
    c, csrf = _staff(create_app(host))
    receiver.stop()
    r = c.post("/api/slots/open", headers=csrf,
               json={"topic": "care", "start": f"{_tomorrow()}T11:00", "minutes": 30,
                     "capacity": 1})  # fmt: skip
    assert r.status_code == 503 and r.json == {"ok": False, "error": "offline"}
    host.online = None  # a host terminal without an agent
    assert c.get(f"/api/slots?date={_tomorrow()}").status_code == 503


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing")
def test_the_console_opens_and_closes_a_slot(stack, tmp_path):
    host, kiosk, _receiver = stack
    server = HostServer(create_app(host)).start()
    try:
        with chromium(tmp_path) as browser:
            page = browser.new_page()
            page.goto(server.url + "/")
            page.fill("#pin", STAFF_PIN)
            page.click("button[type=submit]")
            page.wait_for_selector("#slot-form")
            page.fill("#slot-date", _tomorrow())
            page.dispatch_event("#slot-date", "change")
            page.wait_for_function(
                "document.getElementById('slots').textContent.includes('ありません')"
            )
            page.select_option("#slot-form select[name=topic]", "care")
            page.fill("#slot-form input[name=time]", "13:30")
            page.fill("#slot-form input[name=capacity]", "2")
            page.click("#slot-form button[type=submit]")
            page.wait_for_function("document.querySelectorAll('#slots li button').length === 1")
            assert "キオスクの予約画面に出ます" in page.inner_text("#slot-message")
            assert "13:30 介護 30分 — 予約 0/2" in page.inner_text("#slots")
            assert _booking_screen(kiosk) == [f"{_tomorrow()}T13:30"]
            page.locator(".slots-panel").screenshot(path=str(SHOTS / "center_console_slots.png"))
            page.click("#slots li button")
            page.wait_for_function("document.getElementById('slots').textContent.includes('締切')")
            assert _booking_screen(kiosk) == []
    finally:
        server.stop()
