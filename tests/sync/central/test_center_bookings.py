"""Bookings that hold: offline bookings from several terminals reach central through real agents
and TWO receivers sharing one store (PostgreSQL, and SQLite), are opened by the processing stage
and applied to central's slots by two appliers racing each other; an online booking takes its
place first. No slot is ever confirmed past its capacity, each request is decided once, and a
conflict is resolved by rule (nearest later slot, else callback), found again by its slip
reference."""

from __future__ import annotations

import threading

import pytest

from sync.central.bookings import BookingApplier, kiosk_reference, outcome_for_reference
from sync.central.processing import Processor
from sync.central.stores import open_store
from tests.support.sync import (  # noqa: F401 - central_db is a fixture
    KEY_ID,
    agent_for,
    central_db,
    central_kit,
    device_kit,
    start_receiver,
    wait_until,
)

pytestmark = pytest.mark.timeout(120)

NOW = 1_796_000_000.0  # 2026-11-29, the slots below are in the future
SLOTS = [
    ("welfare-1", "welfare", "2026-12-10T10:00", 30, 2),
    ("welfare-2", "welfare", "2026-12-10T11:00", 30, 1),
    ("welfare-3", "welfare", "2026-12-11T10:00", 30, 2),
    ("tax-1", "tax", "2026-12-10T10:00", 30, 1),
]


def _booked(db):
    store = open_store(db)
    try:
        slots = {
            i: (int(b), int(c))
            for i, b, c in store._read("t", "SELECT id, booked, capacity FROM consultation_slots")
        }
        per_slot = dict(
            store._read("t", "SELECT slot_id, COUNT(*) FROM consultation_bookings GROUP BY slot_id")
        )
        outcomes = store._read(
            "t", "SELECT device_id, seq, outcome, slot_id FROM booking_outcomes ORDER BY 1, 2"
        )
    finally:
        store.close()
    return slots, {k: int(v) for k, v in per_slot.items()}, outcomes


def test_no_slot_is_confirmed_twice_with_two_receivers(tmp_path, central_db):  # noqa: F811
    central = central_kit()
    store = open_store(central_db)
    store.sync_slots(SLOTS)
    # one resident booked welfare-1 online (through the issuer's handler) before the others
    assert (
        store.book_slot("K1", "online-1", "welfare-1", "K1-ONLINE", "2026-11-29T09:00", NOW)[0]
        == "booked"
    )
    store.close()

    kits = [device_kit(tmp_path, central, f"K{i}") for i in (1, 2, 3)]
    for n, kit in enumerate(kits):
        for j in range(3):  # three offline bookings each, all for welfare-1 (2 places)
            kit.outbox.append(
                "booking",
                {"topic": "welfare", "language": "ja", "requested_at": NOW + n * 10 + j,
                 "slot": "welfare-1", "start": "2026-12-10T10:00", "minutes": 30,
                 "request_id": f"req-{n}-{j}"},
            )  # fmt: skip
    kits[0].outbox.append(
        "booking", {"topic": "tax", "language": "en", "callback_phone": "09012345678"}
    )
    # K1 repeats the online request id that central already booked (its reply was lost)
    kits[0].outbox.append(
        "booking",
        {"topic": "welfare", "slot": "welfare-1", "start": "2026-12-10T10:00",
         "request_id": "online-1"},
    )  # fmt: skip

    a, b = start_receiver(central, central_db), start_receiver(central, central_db)
    agents = [
        agent_for(kits[0], central, a.endpoint).start(),
        agent_for(kits[1], central, b.endpoint).start(),
        agent_for(kits[2], central, b.endpoint).start(),
    ]
    try:
        for kit in kits:
            assert wait_until(lambda kit=kit: kit.outbox.stats().pending == 0, timeout=30)
    finally:
        for agent in agents:
            agent.stop()
        a.stop()
        b.stop()
    Processor(lambda: open_store(central_db), {KEY_ID: central.sealing_key}).drain()

    appliers = [
        BookingApplier(lambda: open_store(central_db), chunk=3, clock=lambda: NOW) for _ in range(2)
    ]
    errors: list = []

    def run(applier):
        try:
            applier.drain()
        except Exception as e:  # surfaced below
            errors.append(e)
        finally:
            applier.close()

    threads = [threading.Thread(target=run, args=(ap,)) for ap in appliers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors

    slots, per_slot, outcomes = _booked(central_db)
    for slot_id, (booked, capacity) in slots.items():
        assert booked <= capacity, slot_id
        assert per_slot.get(slot_id, 0) == booked, slot_id  # one row per place taken
    assert slots["welfare-1"] == (2, 2) and slots["welfare-2"] == (1, 1)
    assert slots["welfare-3"] == (2, 2)
    assert len(outcomes) == 11  # every record decided exactly once
    kinds = [o[2] for o in outcomes]
    # 9 offline welfare requests for 1 remaining place: 1 confirmed, 3 moved (welfare-2, -3),
    # 5 to be called back; the callback request stays a callback; the lost online reply is
    # answered with its own booking (confirmed), not a second place
    assert kinds.count("confirmed") == 2 and kinds.count("moved") == 3
    assert kinds.count("callback") == 6
    k1_last = kiosk_reference("K1", 5)
    store = open_store(central_db)
    try:
        assert outcome_for_reference(store, k1_last)["outcome"] == "confirmed"
        assert outcome_for_reference(store, kiosk_reference("K1", 4))["outcome"] == "callback"
        assert outcome_for_reference(store, "K9-000001-0") is None
    finally:
        store.close()


def test_the_terminal_learns_what_became_of_its_provisional_booking(tmp_path):
    """Through a real agent and receiver: `consultation.booking_status` answers pending, then
    what the applier (running in its thread) decided; another terminal's reference is refused."""
    from sync.central.bookings import booking_status_handler

    central = central_kit()
    db = str(tmp_path / "central.db")
    store = open_store(db)
    store.sync_slots(SLOTS)
    store.close()
    kit = device_kit(tmp_path, central, "K7")
    seq = kit.outbox.append(
        "booking",
        {"topic": "tax", "slot": "tax-1", "start": "2026-12-10T10:00", "request_id": "r-1"},
    ).seq
    reference = kiosk_reference("K7", seq)
    receiver = start_receiver(
        central,
        db,
        handlers={"consultation.booking_status": booking_status_handler(lambda: open_store(db))},
    )
    agent = agent_for(kit, central, receiver.endpoint).start()
    applier = None
    try:
        assert wait_until(lambda: agent.status.connected)

        def ask(ref):
            return agent.request("consultation.booking_status", {"reference": ref}, 5)

        assert ask(reference) == {"ok": True, "outcome": "pending"}
        assert ask("K8-000001-3")["reason"] == "not_yours"
        assert ask("../etc")["reason"] == "bad_reference"
        assert wait_until(lambda: kit.outbox.stats().pending == 0)
        Processor(lambda: open_store(db), {KEY_ID: central.sealing_key}).drain()
        applier = BookingApplier(lambda: open_store(db), clock=lambda: NOW).start(idle_s=0.1)
        assert wait_until(lambda: ask(reference)["outcome"] != "pending")
        assert ask(reference) == {
            "ok": True, "outcome": "confirmed", "topic": "tax", "requested_slot": "tax-1",
            "slot": "tax-1", "start": "2026-12-10T10:00",
        }  # fmt: skip
    finally:
        if applier is not None:
            applier.stop()
        agent.stop()
        receiver.stop()


def test_a_slip_of_a_booking_confirmed_online_is_known_to_booking_status(central_db):  # noqa: F811
    """予約あり with a slip printed by an online booking (`B` + 8 hex digits): central answers
    `confirmed` with its slot for the terminal that booked it and its center's terminals; another
    center's terminal is refused, an unknown number is `not_found`, a bad one `bad_reference`."""
    from sync.central.bookings import booking_status_handler

    store = open_store(central_db)
    try:
        store.sync_slots(SLOTS)
        assert store.book_slot("K1", "req-1", "tax-1", "B0A1B2C3D", "2026-11-29T09:00", NOW)[0] == (
            "booked"
        )
    finally:
        store.close()
    centers = {"K1": "東部", "K2": "東部", "K9": "西部"}
    handle = booking_status_handler(lambda: open_store(central_db), center_of=centers.get)
    confirmed = {
        "ok": True, "outcome": "confirmed", "topic": "tax", "requested_slot": "tax-1",
        "slot": "tax-1", "start": "2026-12-10T10:00",
    }  # fmt: skip
    assert handle("K1", {"reference": "B0A1B2C3D"}) == confirmed
    assert handle("K2", {"reference": "b0a1b2c3d"}) == confirmed  # typed in small letters
    assert handle("K9", {"reference": "B0A1B2C3D"}) == {"ok": False, "reason": "not_yours"}
    assert handle("K1", {"reference": "B00000000"}) == {"ok": False, "reason": "not_found"}
    assert handle("K1", {"reference": "B0A1B2C3"}) == {"ok": False, "reason": "bad_reference"}
