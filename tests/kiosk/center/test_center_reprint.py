"""Staff look up a booking slip on the center's console and reprint it with what central decided:
terminals book offline (a provisional slip), their records reach central through real agents and
a real receiver, processing opens them and the booking applier decides (confirmed, moved to the
nearest later slot, callback); the queue host asks `consultation.booking_status` through its own
agent (allowed for a terminal of the same center, from the registry's centers) and prints the
slip with the real renderer. A booking not yet decided is not reprinted; another center's slip
is refused."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from devices.printer.documents import DocumentRenderer
from kiosk.center import CenterQueue
from kiosk.center.host import CenterHost, HostConfig, create_app
from kiosk.services import PrinterAdapter
from kiosk.session.config import hash_staff_pin
from kiosk.session.ports import PrintJob
from sync.central.bookings import (
    BookingApplier,
    booking_conflicts_handler,
    booking_status_handler,
    kiosk_reference,
)
from sync.central.issuer import DEFAULT_TOPICS
from sync.central.processing import Processor
from sync.central.slot_admin import slot_admin_handlers
from sync.central.stores import open_store
from tests.support.center import STAFF_PIN, TOKEN
from tests.support.sync import (
    KEY_ID,
    agent_for,
    central_kit,
    device_kit,
    start_receiver,
    wait_until,
)

pytestmark = pytest.mark.timeout(120)

NOW = 1_796_000_000.0  # 2026-11-29
SLOTS = [("tax-1", "tax", "2026-12-10T10:00", 45, 1), ("tax-2", "tax", "2026-12-11T14:00", 45, 1),
         ("welfare-1", "welfare", "2026-12-10T10:00", 30, 1)]  # fmt: skip
CENTERS = {"HOST": "higashi", "K2": "higashi", "K9": "nishi"}


class _Paper:
    pending: list = []


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


def test_staff_look_up_and_reprint_what_central_decided(tmp_path, renderer):
    central = central_kit()
    db = str(tmp_path / "central.db")
    store = open_store(db)
    store.sync_slots(SLOTS)
    store.close()
    kits = {d: device_kit(tmp_path, central, d) for d in CENTERS}
    refs = {}
    for name, (device, topic, slot) in {"first": ("K2", "tax", "tax-1"),
                                        "second": ("K2", "tax", "tax-1"),
                                        "nishi": ("K9", "welfare", "welfare-1"),
                                        "nishi2": ("K9", "welfare", "welfare-1")}.items():  # fmt: skip
        seq = kits[device].outbox.append(
            "booking", {"topic": topic, "slot": slot, "start": "2026-12-10T10:00",
                        "request_id": f"r-{name}"},
        ).seq  # fmt: skip
        refs[name] = kiosk_reference(device, seq)
    handlers = {
        "consultation.booking_status": booking_status_handler(
            lambda: open_store(db), center_of=CENTERS.get
        ),
        "consultation.booking_conflicts": booking_conflicts_handler(
            lambda: open_store(db), CENTERS.get
        ),
        **slot_admin_handlers(lambda: open_store(db), topics=DEFAULT_TOPICS, clock=lambda: NOW),
    }
    receiver = start_receiver(central, db, handlers=handlers)
    agents = [agent_for(kit, central, receiver.endpoint).start() for kit in kits.values()]
    host_agent = agents[0]
    queue = CenterQueue(tmp_path / "host.db", "higashi")
    adapter = PrinterAdapter(_Paper(), renderer, city_name="豊橋市", center_name="東町")
    printed: list[bytes] = []
    host = CenterHost(
        HostConfig("higashi", "東町", TOKEN), queue, kits["HOST"].outbox.append,
        lambda: hash_staff_pin(STAFF_PIN, iterations=1000), online=host_agent.request,
        print_slip=lambda data: printed.append(
            adapter.render(PrintJob("consultation_slip", "ja", data))[1]
        ),
    )  # fmt: skip
    try:
        assert wait_until(lambda: all(a.status.connected for a in agents))
        c = create_app(host).test_client()
        assert c.post("/login", data={"pin": STAFF_PIN}).status_code == 303
        page = c.get("/").get_data(as_text=True)
        csrf = {"X-CSRF-Token": page.split('name="csrf" content="')[1].split('"')[0]}

        def ask(action, reference):
            return c.post(f"/api/bookings/{action}", headers=csrf, json={"reference": reference})

        # Not decided yet: looked up as pending, and not reprinted as if confirmed.
        assert ask("lookup", refs["first"]).json["result"]["outcome"] == "pending"
        r = ask("reprint", refs["first"])
        assert r.status_code == 409 and r.json["error"] == "pending" and printed == []

        assert wait_until(lambda: all(k.outbox.stats().pending == 0 for k in kits.values()))
        Processor(lambda: open_store(db), {KEY_ID: central.sealing_key}).drain()
        BookingApplier(lambda: open_store(db)).drain()  # now: the slots are all ahead
        # The console lists this center's conflicts only (nishi's callback is not ours).
        conflicts = c.get("/api/bookings/conflicts").json["result"]["conflicts"]
        assert [(x["reference"], x["outcome"], x["start"]) for x in conflicts] == [
            (refs["second"], "moved", "2026-12-11T14:00")
        ]

        first = ask("reprint", refs["first"])
        assert first.status_code == 200 and first.json["result"]["outcome"] == "confirmed"
        second = ask("reprint", refs["second"])  # tax-1 was full: moved to the next slot
        assert second.json["result"]["outcome"] == "moved"
        assert second.json["result"]["start"] == "2026-12-11T14:00"
        texts = ["".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                 for pdf in printed]  # fmt: skip
        assert len(texts) == 2
        assert refs["first"] in texts[0] and "12月10日" in texts[0] and "45" in texts[0]
        assert refs["second"] in texts[1] and "12月11日" in texts[1]

        r = ask("lookup", refs["nishi"])  # another center's slip: not this console's
        assert r.status_code == 400 and r.json["error"] == "not_yours"
        for bad in ("", "x", "K2-000001", "../../etc/passwd-000001-1"):
            r = ask("lookup", bad)
            assert r.status_code == 400 and r.json["error"] == "bad_reference", bad
        assert c.post("/api/bookings/cancel", headers=csrf, json={}).status_code == 400
        assert (
            create_app(host)
            .test_client()
            .post("/api/bookings/lookup", json={"reference": refs["first"]})
            .status_code
            == 403
        )
        assert len(printed) == 2
    finally:
        for agent in agents:
            agent.stop()
        receiver.stop()
        queue.close()


def test_booking_status_allows_the_same_center_only(tmp_path):
    """The handler's rule on its own (a real SQLite store): the booking's terminal, a terminal
    of its center; never another center's, an unknown device's, nor anyone's without the
    registry's centers."""
    db = str(tmp_path / "c.db")
    handle = booking_status_handler(lambda: open_store(db), center_of=CENTERS.get)
    ref = kiosk_reference("K2", 1)
    assert handle("K2", {"reference": ref}) == {"ok": True, "outcome": "pending"}
    assert handle("HOST", {"reference": ref}) == {"ok": True, "outcome": "pending"}
    assert handle("K9", {"reference": ref})["reason"] == "not_yours"
    assert handle("STRANGER", {"reference": ref})["reason"] == "not_yours"
    plain = booking_status_handler(lambda: open_store(db))
    assert plain("HOST", {"reference": ref})["reason"] == "not_yours"
    assert plain("K2", {"reference": ref})["outcome"] == "pending"
    conflicts = booking_conflicts_handler(lambda: open_store(db), CENTERS.get)
    assert conflicts("HOST", {"since": 0}) == {"ok": True, "conflicts": []}
    for bad in ({"since": "yesterday"}, {"since": -1}, {"since": True}, ["since"]):
        assert conflicts("HOST", bad) == {"ok": False, "reason": "bad_request"}
    assert conflicts("STRANGER", {"since": 0}) == {"ok": False, "reason": "no_center"}
