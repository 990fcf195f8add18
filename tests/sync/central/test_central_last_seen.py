"""`last_seen` follows a device that speaks, not only one that sends records: HELLO (and, at
most once a minute, heartbeats) move it forward on SQLite and PostgreSQL, so a quiet but
connected center is not shown as offline on the dashboard; it never moves backwards."""

import time

import tests.support.sync as sync_support
from sync.central.stores import open_store
from sync.protocol import Ack, Heartbeat, Hello
from tests.support.sync import RawPeer, central_kit, device_kit, start_receiver

central_db = sync_support.central_db  # fixture


def _last_seen(db: str, device_id: str) -> float | None:
    store = open_store(db)
    try:
        seen = {d: s for d, _c, _m, s in store.devices()}
    finally:
        store.close()
    return seen.get(device_id)


def test_hello_without_records_marks_the_device_seen(tmp_path, zctx, central_db):
    central = central_kit()
    receiver = start_receiver(central, central_db)
    kit = device_kit(tmp_path, central)
    try:
        before = time.time()
        peer = RawPeer(
            zctx, receiver.endpoint, central.curve_public, kit.curve_public, kit.curve_secret
        )
        assert isinstance(peer.ask(Hello(kit.device_id, 0, 0, time.time())), Ack)
        assert isinstance(peer.ask(Heartbeat(time.time())), Heartbeat)
        peer.close()
    finally:
        receiver.stop()
    seen = _last_seen(central_db, kit.device_id)
    assert seen is not None and seen >= before - 1


def test_mark_seen_only_moves_forward(central_db):
    store = open_store(central_db)
    try:
        store.mark_seen("kiosk-001", 2000.0)
        store.mark_seen("kiosk-001", 1000.0)  # an older clock reading: ignored
        assert {d: s for d, _c, _m, s in store.devices()}["kiosk-001"] == 2000.0
        (row,) = [r for r in store.devices() if r[0] == "kiosk-001"]
        assert row[1] == 0 and row[2] == 0  # nothing committed: only seen
    finally:
        store.close()
