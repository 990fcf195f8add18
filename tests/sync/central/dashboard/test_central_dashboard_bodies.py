"""The dashboard over record bodies as they really come: exactly as `KioskSession` writes them
(a procedure with the card, the survey, a shelter check-in typed in by an evacuee) and as a
misbehaving enrolled terminal might send them (wrong types, NaN, NUL, free text where ids
belong), on SQLite and PostgreSQL through the real sync path and the real server."""

from __future__ import annotations

import pytest

import tests.support.sync as sync_support
from sync.central import open_store
from tests.support.dashboard import (
    EVACUEE,
    EVACUEE_ADDRESS,
    KANA,
    NAME,
    PAGES,
    PHONE,
    SECRETS,
    TOKEN,
    Client,
    append,
    device_kit_at,
    serve,
    sync_kits,
)
from tests.support.sync import central_kit

pytestmark = pytest.mark.timeout(240)

central_db = sync_support.central_db  # fixture (fresh database per test)


def test_hostile_bodies_from_an_enrolled_device_break_nothing_and_leak_no_text(
    tmp_path, central_db
):
    """A misbehaving terminal sends wrong types, NaN, NUL characters and free text where ids
    belong: the pages still answer, such records are counted as unreadable, no text shows."""
    central = central_kit()
    kit, clock = device_kit_at(tmp_path, central, "rogue-05")
    free = "Free text from a resident 山田 who waited"
    for body in [
        {"service": "procedure", "score": "10"},
        {"service": "procedure", "score": float("nan")},
        {"service": "procedure", "score": True},
        {"service": "procedure", "score": 11},
        {"service": free, "score": 5, "reasons": free},
        {"service": "procedure", "score": 6, "reasons": ["ease", free, {"x": 1}]},
        {"service": "procedure", "score": 7, "reasons": [], "note": "\x00" + free},
    ]:
        append(kit, clock, "survey", body)
    for body in [
        {"procedure": float("inf"), "values": {"name": NAME}},
        {"procedure": "moving_in", "values": {"name": "\x00" + NAME}},
        {"procedure": free, "values": {"name": NAME}},
        {"procedure": "moving_in", "values": {"name": NAME}},
    ]:
        append(kit, clock, "application", body)
    for steps in ["garbage", [["pin_entry", -5]], [["pin_entry", 10**12]], [[free, 5]]]:
        append(kit, clock, "metric", {"service": "procedure", "steps": steps})
    append(kit, clock, "metric", {"service": "procedure", "steps": [["pin_entry", 4000]]})
    append(kit, clock, "shelter_checkin", {"values": {"name": float("nan")}})
    sync_kits(central, central_db, [kit])

    server = serve(central_db, None, min_cell=1)
    try:
        client = Client(server.url, TOKEN)
        satisfaction = client.json("/api/satisfaction")
        assert satisfaction["invalid"] == 4
        overall = satisfaction["overall"]
        assert (overall["responses"], overall["mean"], overall["reasons"]) == (3, 6.0, {"ease": 1})
        assert {s["service"] for s in satisfaction["by_service"]} == {"other", "procedure"}
        procedures = client.json("/api/procedures")
        totals = {t["item"]: t["count"] for t in procedures["submission_totals"]}
        assert sum(totals.values()) == 4
        assert totals["(unreadable)"] >= 2 and set(totals) <= {"(unreadable)", "moving_in"}
        assert procedures["invalid"] == 4
        assert procedures["steps"] == [
            {
                "service": "procedure",
                "step": "pin_entry",
                "sessions": 1,
                "median_ms": 4000,
                "p90_ms": 4000,
            }
        ]
        assert client.json("/api/shelter")["total"] == 1
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 200, path
            for text in (free, "山田", "waited", NAME):
                assert text not in response.text, (path, text)
    finally:
        server.stop()


def test_records_written_by_the_kiosk_session_show_up_without_personal_data(tmp_path, central_db):
    """The bodies exactly as `KioskSession` writes them (a procedure with the card, the survey,
    a shelter check-in typed in by an evacuee) through the real sync path."""
    from kiosk.catalog import default_catalog
    from kiosk.session import KioskSession, SessionConfig, hash_staff_pin
    from kiosk.session.memory import ManualClock, MemoryKit

    memory, session_clock = MemoryKit(), ManualClock()
    staff_hash = hash_staff_pin("135790", salt=b"s" * 16, iterations=1000)
    session = KioskSession(
        default_catalog(),
        memory.ports(),
        SessionConfig(device_id="kita-01", staff_pin_hash=staff_hash),
        clock=session_clock,
        wall_clock=session_clock,
    )
    assert session.open_procedures() and session.choose_procedure("nhi_enroll")
    session_clock.advance(4)
    assert session.start_procedure()
    session_clock.advance(6)
    session.card_inserted()
    session_clock.advance(9)
    assert session.submit_pin("1234")
    session_clock.advance(30)
    for name, value in [("name_kana", KANA), ("insured_count", "2"), ("phone", PHONE)]:
        assert session.correct_field(name, value)
    assert session.confirm()
    assert session.finish()
    assert session.submit_survey(9, ["ease", "language"])
    session.card_removed()  # the resident takes the card; an evacuee without one comes next
    assert session.open_staff() and session.submit_staff_pin("135790")
    session.staff_set_shelter_mode(True)
    session.staff_exit()
    assert session.start_shelter_checkin() and session.fill_without_card()
    for name, value in [
        ("name", EVACUEE),
        ("name_kana", EVACUEE),
        ("address", EVACUEE_ADDRESS),
        ("people", "3"),
        ("needs", "infant"),
    ]:
        assert session.correct_field(name, value)
    assert session.confirm()
    kinds = [kind for kind, _ in memory.outbox.records]
    assert {"application", "metric", "survey", "shelter_checkin"} <= set(kinds)

    central = central_kit()
    kit, _ = device_kit_at(tmp_path, central, "kita-01")
    for kind, body in memory.outbox.records:
        kit.outbox.append(kind, body)
    sync_kits(central, central_db, [kit])
    store = open_store(central_db)
    try:  # the personal data is really in the store, so its absence below means something
        assert NAME in store.opened("application")[0][5]
        assert EVACUEE_ADDRESS in store.opened("shelter_checkin")[0][5]
    finally:
        store.close()

    server = serve(central_db, None, min_cell=1)
    try:
        client = Client(server.url, TOKEN)
        survey = client.json("/api/satisfaction")["overall"]
        assert (survey["responses"], survey["mean"], survey["nps"]) == (1, 9.0, 100.0)
        assert survey["reasons"] == {"ease": 1, "language": 1}
        procedures = client.json("/api/procedures")
        assert {(t["kind"], t["item"]) for t in procedures["submission_totals"]} == {
            ("application", "nhi_enroll")
        }
        assert procedures["invalid"] == 0
        pin = [s for s in procedures["steps"] if s["step"] == "pin_entry"]
        assert pin and pin[0]["service"] == "procedure" and pin[0]["median_ms"] == 9000
        [shelter] = client.json("/api/shelter")["centers"]
        assert (shelter["center"], shelter["checkins"], shelter["offline"]) == ("kita-01", 1, False)
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 200, path
            for secret in SECRETS:
                assert secret not in response.text, (path, secret)
    finally:
        server.stop()
