"""Staff open and close booking slots for a day (`sync.central.slot_admin`), on SQLite and
PostgreSQL: the kiosk's booking screen (the issuer's `consultation.slots`) lists what staff
opened and no longer what they closed; closing keeps the bookings a slot holds; bad input is
refused with a reason and changes nothing."""

from __future__ import annotations

import pytest

from sync.central.issuer import DEFAULT_TOPICS, Issuer, IssuerConfig
from sync.central.slot_admin import slot_admin_handlers
from sync.central.stores import open_store
from tests.support.sync import central_db  # noqa: F401 - a fixture

pytestmark = pytest.mark.timeout(120)

NOW = 1_796_000_000.0  # 2026-11-29 (JST)


@pytest.fixture
def central(central_db, tmp_path):  # noqa: F811
    handlers = slot_admin_handlers(lambda: open_store(central_db), topics=DEFAULT_TOPICS,
                                   clock=lambda: NOW)  # fmt: skip
    issuer = Issuer(IssuerConfig(), central_db, secret=b"s" * 32, clock=lambda: NOW)
    yield handlers, issuer
    issuer.close()


def _kiosk_sees(issuer, topic="welfare"):
    reply = issuer.consultation_slots("K1", {"topic": topic})
    return [(s["start"], s["remaining"]) for s in reply["slots"]]


def test_opened_slots_reach_the_booking_screen_and_closed_ones_leave_it(central):
    h, issuer = central
    opened = h["consultation.slot_open"]("HOST", {"topic": "welfare", "start": "2026-12-10T10:00",
                                                  "minutes": 30, "capacity": 2})  # fmt: skip
    assert opened["ok"] and opened["slot"]["id"] == "staff-welfare-2026-12-10T10:00"
    h["consultation.slot_open"]("HOST", {"topic": "welfare", "start": "2026-12-10T14:00",
                                         "minutes": 45, "capacity": 1})  # fmt: skip
    assert _kiosk_sees(issuer) == [("2026-12-10T10:00", 2), ("2026-12-10T14:00", 1)]
    booked = issuer.consultation_book("K1", {"slot": opened["slot"]["id"], "request_id": "r1"})
    assert booked["ok"], booked
    closed = h["consultation.slot_close"]("HOST", {"slot": opened["slot"]["id"]})
    assert closed["ok"] and closed["slot"]["booked"] == 1 and closed["slot"]["open"] is False
    assert _kiosk_sees(issuer) == [("2026-12-10T14:00", 1)]
    refused = issuer.consultation_book("K2", {"slot": opened["slot"]["id"], "request_id": "r2"})
    assert refused == {"ok": False, "reason": "slot_full"}
    day = h["consultation.slots_day"]("HOST", {"date": "2026-12-10"})
    assert [(s["start"], s["booked"], s["capacity"], s["open"]) for s in day["slots"]] == [
        ("2026-12-10T10:00", 1, 1, False), ("2026-12-10T14:00", 0, 1, True),
    ]  # fmt: skip
    # Reopened, even asked for less than is booked: the booked resident keeps their place.
    again = h["consultation.slot_open"]("HOST", {"topic": "welfare", "start": "2026-12-10T10:00",
                                                 "minutes": 30, "capacity": 3})  # fmt: skip
    assert again["slot"]["capacity"] == 3 and _kiosk_sees(issuer)[0] == ("2026-12-10T10:00", 2)
    low = h["consultation.slot_open"]("HOST", {"topic": "welfare", "start": "2026-12-10T10:00",
                                               "minutes": 30, "capacity": 1})  # fmt: skip
    assert low["slot"]["capacity"] == 1 and low["slot"]["booked"] == 1
    assert h["consultation.slots_day"]("HOST", {"date": "2026-12-11"})["slots"] == []


@pytest.mark.parametrize(
    ("kind", "payload", "reason"),
    [
        ("consultation.slot_open", {"topic": "passport", "start": "2026-12-10T10:00",
                                    "minutes": 30, "capacity": 1}, "unknown_topic"),
        ("consultation.slot_open", {"topic": "tax", "start": "2026-12-10 10:00",
                                    "minutes": 30, "capacity": 1}, "bad_start"),
        ("consultation.slot_open", {"topic": "tax", "start": "2026-02-30T10:00",
                                    "minutes": 30, "capacity": 1}, "bad_start"),
        ("consultation.slot_open", {"topic": "tax", "start": "2026-11-28T10:00",
                                    "minutes": 30, "capacity": 1}, "slot_past"),
        ("consultation.slot_open", {"topic": "tax", "start": "2028-01-01T10:00",
                                    "minutes": 30, "capacity": 1}, "too_far"),
        ("consultation.slot_open", {"topic": "tax", "start": "2026-12-10T10:00",
                                    "minutes": 4, "capacity": 1}, "bad_minutes"),
        ("consultation.slot_open", {"topic": "tax", "start": "2026-12-10T10:00",
                                    "minutes": 30, "capacity": 0}, "bad_capacity"),
        ("consultation.slot_open", {"topic": "tax", "start": "2026-12-10T10:00",
                                    "minutes": 30, "capacity": True}, "bad_capacity"),
        ("consultation.slot_close", {"slot": "no-such-slot"}, "unknown_slot"),
        ("consultation.slot_close", {"slot": "x'; DROP TABLE"}, "unknown_slot"),
        ("consultation.slots_day", {"date": "tomorrow"}, "bad_request"),
        ("consultation.slots_day", {"date": "2026-13-01"}, "bad_request"),
    ],
)  # fmt: skip
def test_bad_slot_requests_are_refused_and_change_nothing(central, kind, payload, reason):
    h, issuer = central
    assert h[kind]("HOST", payload) == {"ok": False, "reason": reason}
    assert h["consultation.slots_day"]("HOST", {"date": "2026-12-10"})["slots"] == []
    assert h[kind]("HOST", ["not", "an", "object"]) == {"ok": False, "reason": "bad_request"}


def test_central_serve_registers_the_slot_requests(tmp_path):
    """`madoguchi central serve` answers these kinds (the handlers it builds from the keys)."""
    from provisioning import init_central, load_central_keys
    from sync.central._cli import _handlers

    init_central(tmp_path / "keys")
    handlers = _handlers(load_central_keys(tmp_path / "keys"), str(tmp_path / "c.db"))
    for kind in ("consultation.slots_day", "consultation.slot_open", "consultation.slot_close",
                 "consultation.slots"):  # fmt: skip
        assert kind in handlers, kind
    day = handlers["consultation.slots_day"]("HOST", {"date": "2026-12-10"})
    assert day == {"ok": True, "date": "2026-12-10", "slots": []}
