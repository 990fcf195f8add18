"""Agent ↔ central over real CURVE sockets on tcp://127.0.0.1, on SQLite and PostgreSQL: records
arrive once, the outbox is acked, the processing stage opens them into typed tables, the status
file tells the staff screen, online requests and downlink bundles travel the same connection."""

import time

import pytest

import tests.support.sync as sync_support
from sync.agent import RequestClient, read_status
from sync.central import Processor, open_store
from sync.errors import AgentOfflineError, RequestRefusedError, RequestTimeoutError
from tests.support.sync import (
    KEY_ID,
    agent_for,
    committed,
    device_kit,
    start_receiver,
    stored_count,
    wait_until,
)

central, central_db = sync_support.central, sync_support.central_db  # fixtures


def test_drain_stores_each_record_once_and_opens_typed_rows(tmp_path, central, central_db):
    receiver = start_receiver(central, central_db)
    kit = device_kit(tmp_path, central)
    kinds = {"application": 7, "survey": 20, "booking": 3, "shelter_checkin": 5}
    for kind, n in kinds.items():
        for i in range(n):
            kit.outbox.append(kind, {"i": i})
    total = sum(kinds.values())
    status_path = tmp_path / "agent-status.json"
    agent = agent_for(
        kit,
        central,
        receiver.endpoint,
        batch_max_records=8,
        window=2,
        status_path=status_path,
        status_interval_s=0.05,
    ).start()
    try:
        assert wait_until(lambda: kit.outbox.stats().last_acked_seq == total)
        assert committed(central_db, kit.device_id) == total
        assert stored_count(central_db, kit.device_id) == total
        assert wait_until(
            lambda: (s := read_status(status_path)) and s.backlog == 0 and s.connected
        )
        status = read_status(status_path)
        assert status.acked_seq == total and status.last_success_at is not None
        # new records while connected go too
        kit.outbox.append("metric", {"name": "uptime", "value": 5})
        assert wait_until(lambda: kit.outbox.stats().last_acked_seq == total + 1)
    finally:
        agent.stop()
        receiver.stop()
    assert read_status(status_path).state == "stopped"
    processor = Processor(lambda: open_store(central_db), {KEY_ID: central.sealing_key})
    try:
        assert processor.drain() == total + 1
        assert processor.lag() == (0, 0.0)
        store = processor.store
        for kind, table in [
            ("application", "applications"),
            ("survey", "surveys"),
            ("booking", "bookings"),
            ("shelter_checkin", "shelter_checkins"),
        ]:
            assert store.count(table) == kinds[kind]
        assert store.count("metrics") == 1
        rows = store.opened("application")
        assert [r[2] for r in rows] == list(range(1, 8))
        assert '"i": 0' in rows[0][5]
        assert store.count("quarantine") == 0
    finally:
        processor.store.close()


def test_online_requests_reach_handlers_or_fail_typed(tmp_path, central):
    def slots(device_id, payload):
        return {"device": device_id, "slots": ["10:00", "11:30"], "topic": payload["topic"]}

    def broken(device_id, payload):
        raise RuntimeError("backend down")

    def slow(device_id, payload):
        time.sleep(1.5)
        return {}

    handlers = {"consultation.slots": slots, "certificate.issue": broken, "slow": slow}
    receiver = start_receiver(central, str(tmp_path / "c.db"), handlers=handlers)
    kit = device_kit(tmp_path, central)
    ipc = f"ipc://{tmp_path}/agent.sock"
    agent = agent_for(kit, central, receiver.endpoint, request_endpoint=ipc).start()
    try:
        assert wait_until(lambda: agent.status.connected)
        reply = agent.request("consultation.slots", {"topic": "tax"}, timeout=5)
        assert reply == {"device": kit.device_id, "slots": ["10:00", "11:30"], "topic": "tax"}
        # the kiosk process path: the agent's local ipc socket
        kiosk = RequestClient(ipc)
        assert kiosk.request("consultation.slots", {"topic": "care"}, 5)["topic"] == "care"
        with pytest.raises(RequestRefusedError) as info:
            kiosk.request("certificate.issue", {}, 5)
        assert info.value.code == "handler_failed"
        with pytest.raises(RequestRefusedError) as info:
            kiosk.request("no.such.kind", {}, 5)
        assert info.value.code == "unknown_kind"
        with pytest.raises(RequestTimeoutError):
            kiosk.request("slow", {}, 0.3)
    finally:
        receiver.stop()
    try:
        # central gone: the agent notices and answers "offline" at once (caller falls back)
        assert wait_until(lambda: not agent.status.connected, 10)
        with pytest.raises(AgentOfflineError):
            agent.request("consultation.slots", {"topic": "tax"}, timeout=5)
    finally:
        agent.stop()
    # no agent at all: a plain timeout
    with pytest.raises(RequestTimeoutError):
        RequestClient(ipc).request("consultation.slots", {}, 0.3)


def test_bundle_is_pushed_after_hello_and_result_reported(tmp_path, central):
    installed = {"version": 1}
    got = []

    def source(device_id, catalog_version):
        return b"signed-bundle-v2" if catalog_version < 2 else None

    def apply(data):
        got.append(data)
        installed["version"] = 2
        return 2

    receiver = start_receiver(central, str(tmp_path / "c.db"), bundle_source=source)
    kit = device_kit(tmp_path, central)
    agent = agent_for(
        kit,
        central,
        receiver.endpoint,
        on_bundle=apply,
        catalog_version=lambda: installed["version"],
    ).start()
    try:
        assert wait_until(lambda: receiver.stats["bundles_applied"] == 1)
        assert got == [b"signed-bundle-v2"]
        assert agent.status.catalog_version == 2
    finally:
        agent.stop()
        receiver.stop()
