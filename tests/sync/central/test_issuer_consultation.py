"""consultation.slots lists future slots with room; consultation.book never overbooks (also
under concurrent requests), is idempotent per (device, request_id), and refuses typed."""

import threading
from datetime import UTC, datetime

import pytest

from sync.central.issuer import Issuer, IssuerConfig, Slot, slots_from_catalog

# 2027-04-01 10:00 in Japan (UTC+9)
NOW = datetime(2027, 4, 1, 1, 0, tzinfo=UTC).timestamp()
SLOTS = (
    Slot("tax_past", "tax", "2027-04-01T09:30", 30, 2),
    Slot("tax_1", "tax", "2027-04-01T10:30", 30, 2),
    Slot("tax_2", "tax", "2027-04-02T10:30", 30, 1),
    Slot("care_1", "care", "2027-04-03T10:30", 30, 3),
)


@pytest.fixture
def issuer(tmp_path):
    iss = Issuer(
        IssuerConfig(slots=SLOTS), tmp_path / "issuer.db", secret=b"k" * 32, clock=lambda: NOW
    )
    yield iss
    iss.close()


def test_slots_lists_future_slots_with_room(issuer):
    reply = issuer.consultation_slots("d", {"topic": "tax"})
    assert reply["ok"] and [s["id"] for s in reply["slots"]] == ["tax_1", "tax_2"]
    assert reply["slots"][0] == {
        "id": "tax_1",
        "topic": "tax",
        "start": "2027-04-01T10:30",
        "minutes": 30,
        "remaining": 2,
    }
    assert issuer.consultation_slots("d", {"topic": "general"}) == {
        "ok": True,
        "topic": "general",
        "slots": [],
    }


def test_booking_is_idempotent_and_bounded(issuer):
    book = issuer.handlers()["consultation.book"]
    first = book("d1", {"slot": "tax_2", "request_id": "r1"})
    assert first["ok"] and first["start"] == "2027-04-02T10:30"
    assert book("d1", {"slot": "tax_2", "request_id": "r1"}) == first  # a retry
    assert book("d2", {"slot": "tax_2", "request_id": "r1"}) == {"ok": False, "reason": "slot_full"}
    listed = issuer.consultation_slots("d", {"topic": "tax"})["slots"]
    assert [s["id"] for s in listed] == ["tax_1"]


def test_concurrent_bookings_never_overbook(issuer):
    results = []

    def worker(i):
        results.append(issuer.consultation_book(f"d{i}", {"slot": "care_1", "request_id": "x"}))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r["ok"] for r in results) == 3
    assert {r["reason"] for r in results if not r["ok"]} == {"slot_full"}


@pytest.mark.parametrize(
    ("handler", "payload", "reason"),
    [
        ("consultation.slots", {"topic": "astrology"}, "unknown_topic"),
        ("consultation.slots", {}, "bad_request"),
        ("consultation.slots", {"topic": 3}, "bad_request"),
        ("consultation.slots", [], "bad_request"),
        ("consultation.book", {"slot": "nope", "request_id": "r"}, "unknown_slot"),
        ("consultation.book", {"slot": "tax_past", "request_id": "r"}, "slot_past"),
        ("consultation.book", {"slot": "tax_1"}, "bad_request"),
        ("consultation.book", {"slot": "tax_1", "request_id": "r" * 129}, "bad_request"),
        ("consultation.book", {"slot": b"tax_1", "request_id": "r"}, "bad_request"),
    ],
)
def test_refusals(issuer, handler, payload, reason):
    assert issuer.handlers()[handler]("d", payload) == {"ok": False, "reason": reason}


def test_config_reload_keeps_bookings(tmp_path):
    path = tmp_path / "issuer.db"
    iss = Issuer(IssuerConfig(slots=SLOTS), path, secret=b"k" * 32, clock=lambda: NOW)
    assert iss.consultation_book("d", {"slot": "tax_1", "request_id": "a"})["ok"]
    iss.close()
    iss = Issuer(IssuerConfig(slots=SLOTS), path, secret=b"k" * 32, clock=lambda: NOW)
    assert iss.consultation_slots("d", {"topic": "tax"})["slots"][0]["remaining"] == 1
    iss.close()


def test_slots_from_the_default_catalog():
    import json
    from pathlib import Path

    import kiosk.catalog

    path = Path(kiosk.catalog.__file__).with_name("default_catalog.json")
    slots = slots_from_catalog(json.loads(path.read_text(encoding="utf-8")), capacity=2)
    assert slots and all(s.capacity == 2 and s.topic for s in slots)
