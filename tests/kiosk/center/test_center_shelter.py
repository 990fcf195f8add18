"""The shelter register at the queue host: households in and out (by code or by a name kept only
as an HMAC), needs and age groups, bad input refused; on the console in headless chromium
(screenshot); after a day cut off from city hall the host's records reach central through a real
agent and receiver, and central's occupancy equals check-ins minus check-outs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.center import QueueInputError
from sync.central.center_report import shelter_occupancy
from sync.central.processing import Processor
from sync.central.retention import RetentionConfig, apply_retention
from sync.central.stores import open_store
from tests.support.center import SHOTS, STAFF_PIN, chromium, running_host
from tests.support.sync import (
    KEY_ID,
    agent_for,
    central_kit,
    device_kit,
    start_receiver,
    wait_until,
)

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]

FAMILY = {"members": 4, "ages": {"infant": 1, "child": 1, "adult": 1, "senior": 1}}


@pytest.mark.parametrize(
    "call, code",
    [
        (lambda s: s.check_in(0, {}, []), "bad_members"),
        (lambda s: s.check_in(True, {"adult": 1}, []), "bad_members"),
        (lambda s: s.check_in(2, {"adult": 1}, []), "ages_do_not_add_up"),
        (lambda s: s.check_in(1, {"teen": 1}, []), "bad_ages"),
        (lambda s: s.check_in(1, {"adult": -1, "child": 2}, []), "bad_ages"),
        (lambda s: s.check_in(1, {"adult": 1}, ["spa"]), "bad_needs"),
        (lambda s: s.check_in(1, {"adult": 1}, [], "x" * 81), "bad_name"),
        (lambda s: s.check_out(), "code_or_name"),
        (lambda s: s.check_out("S-12"), "bad_code"),
        (lambda s: s.check_out("S-000000"), "unknown_household"),
        (lambda s: s.check_out(name="誰か"), "unknown_household"),
    ],
)
def test_bad_shelter_input_changes_nothing(tmp_path, call, code):
    kit = device_kit(tmp_path, central_kit(), "H")
    with running_host(tmp_path, kit.outbox) as (host, _server):
        host.shelter.check_in(1, {"adult": 1}, [])
        before = host.shelter.present()
        with pytest.raises(QueueInputError) as e:
            call(host.shelter)
        assert e.value.code == code
        assert host.shelter.present() == before


def test_a_partitioned_day_then_central_counts_in_minus_out(tmp_path):
    central = central_kit()
    db = str(tmp_path / "central.db")
    kit = device_kit(tmp_path, central, "HIGASHI-HOST")
    with running_host(tmp_path, kit.outbox) as (host, server), chromium(tmp_path) as browser:
        reg = host.shelter
        yamada = reg.check_in(FAMILY["members"], FAMILY["ages"], ["allergy", "pets"], "山田 太郎")
        solo = reg.check_in(1, {"senior": 1}, ["medical", "care"])
        pair = reg.check_in(2, {"adult": 2}, ["language"], "Nguyen Van A")
        assert reg.present()["occupancy"] == 7
        # the name typed with a full-width space finds the household; only its HMAC is kept
        assert reg.check_out(name="山田　太郎")["code"] == yamada["code"]
        with pytest.raises(QueueInputError, match="already_out"):
            reg.check_out(yamada["code"])
        raw = (
            sqlite3.connect(tmp_path / "higashi-host.db")
            .execute("SELECT name_mac FROM shelter_households")
            .fetchall()
        )
        assert all("山田" not in str(r) and "Nguyen" not in str(r) for r in raw)

        console = browser.new_page()
        console.goto(server.url + "/")
        console.fill("#pin", STAFF_PIN)
        console.click("button[type=submit]")
        console.wait_for_selector("#shelter-in")
        console.fill("#shelter-in input[name=adult]", "2")
        console.fill("#shelter-in input[name=child]", "3")
        console.check("#shelter-in input[value=allergy]")
        console.click("#shelter-in button[type=submit]")
        console.wait_for_function(
            "document.getElementById('shelter-message').textContent.includes('入所を記録しました')"
        )
        console.wait_for_function(
            "document.getElementById('occupancy').textContent.includes('在所 8人')"
        )
        console.fill("#shelter-out input[name=who]", solo["code"])
        console.click("#shelter-out button[type=submit]")
        console.wait_for_function(
            "document.getElementById('occupancy').textContent.includes('在所 7人')"
        )
        console.locator("#shelter-in").scroll_into_view_if_needed()
        console.screenshot(path=str(SHOTS / "center_console_shelter.png"), full_page=True)
        present = reg.present()
        assert present["occupancy"] == 7 and present["checked_out"] == 5
        assert pair["code"] in [h["code"] for h in present["households"]]

    # the day is over; the link to city hall comes back
    receiver = start_receiver(central, db)
    agent = agent_for(kit, central, receiver.endpoint).start()
    try:
        assert wait_until(lambda: kit.outbox.stats().pending == 0, timeout=30)
    finally:
        agent.stop()
        receiver.stop()
    Processor(lambda: open_store(db), {KEY_ID: central.sealing_key}).drain()
    store = open_store(db)
    try:
        assert shelter_occupancy(store) == {"higashi": {"in": 12, "out": 5, "present": 7}}
        # after the retention period the check-ins lose their age groups and needs, not the count
        purged = apply_retention(
            store, RetentionConfig(retention_days=1, forwarded_kinds=()), clock=lambda: 4e9
        )
        assert purged >= 4
        assert shelter_occupancy(store) == {"higashi": {"in": 12, "out": 5, "present": 7}}
        bodies = [b for *_, b in store.opened("shelter_checkin", 0, 100)]
        assert bodies and all('"needs"' not in b and '"ages"' not in b for b in bodies)
    finally:
        store.close()
