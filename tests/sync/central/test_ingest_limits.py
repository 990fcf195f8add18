"""Every configured receiver limit is enforced, per device and not per connection, on the real
wire: payload bytes, message rate across several connections of one key, sessions per device
key, and the quota of quarantined bytes. Another device keeps being served in every case."""

import time

import pytest

import tests.support.sync as sync_support
from sync.central.stores import open_store
from sync.protocol import Ack, Batch, ErrorMessage, Heartbeat, Hello, ProtocolLimits, Reply, Request
from tests.support.sync import RawPeer, central_kit, device_kit, signed_batch, start_receiver

central_db = sync_support.central_db  # fixture


def _peer(zctx, receiver, central, kit, hello: bool = True) -> RawPeer:
    peer = RawPeer(
        zctx, receiver.endpoint, central.curve_public, kit.curve_public, kit.curve_secret
    )
    if hello:
        reply = peer.ask(Hello(kit.device_id, 0, 0, time.time()))
        assert isinstance(reply, Ack) and reply.batch_id == 0, reply
    return peer


def _honest_still_served(zctx, receiver, central, tmp_path) -> None:
    other = device_kit(tmp_path, central)
    other.fill(3)
    peer = _peer(zctx, receiver, central, other)
    try:
        assert peer.ask(signed_batch(other, 1, 3, 1)) == Ack(1, 3)
    finally:
        peer.close()


def test_max_payload_bytes_is_enforced(tmp_path, zctx):
    central = central_kit()
    receiver = start_receiver(
        central,
        str(tmp_path / "c.db"),
        limits=ProtocolLimits(max_payload_bytes=4096),
        handlers={"echo": lambda device_id, payload: {"n": len(payload)}},
    )
    kit = device_kit(tmp_path, central)
    try:
        peer = _peer(zctx, receiver, central, kit)
        reply = peer.ask(Request(1, "echo", {"blob": b"x" * (3 * 1024 * 1024)}, 5000))
        assert isinstance(reply, ErrorMessage) and reply.code == "oversize", reply
        assert peer.ask(Request(2, "echo", {"blob": b"x" * 100}, 5000)) == Reply(2, True, {"n": 1})
        peer.close()
        _honest_still_served(zctx, receiver, central, tmp_path)
    finally:
        receiver.stop()
    assert receiver.error is None


def test_max_message_bytes_bounds_decode_too(tmp_path):
    central = central_kit()
    receiver = start_receiver(central, str(tmp_path / "c.db"), max_message_bytes=64 * 1024)
    try:
        assert receiver.config.limits.max_frame_bytes == 64 * 1024
    finally:
        receiver.stop()


def test_rate_limit_is_per_device_not_per_connection(tmp_path, zctx):
    central = central_kit()
    receiver = start_receiver(
        central,
        str(tmp_path / "c.db"),
        rate_messages_per_s=0.5,
        rate_message_burst=6.0,
        max_connections_per_device=8,
    )
    kit = device_kit(tmp_path, central)
    try:
        peers = [_peer(zctx, receiver, central, kit) for _ in range(3)]  # 3 HELLOs: 3 tokens
        replies = [p.ask(Heartbeat(1.0)) for p in peers for _ in range(3)]  # 9 more messages
        limited = [r for r in replies if isinstance(r, ErrorMessage)]
        # one bucket for the device: 6 tokens in all, so at least 6 of the 12 are refused
        assert len(limited) >= 6 and all(r.code == "rate_limited" for r in limited)
        assert isinstance(replies[-1], ErrorMessage)  # the third connection found it empty too
        for p in peers:
            p.close()
        _honest_still_served(zctx, receiver, central, tmp_path)
    finally:
        receiver.stop()
    assert receiver.stats["rate_limited"] >= 6


def test_sessions_per_device_key_are_bounded(tmp_path, zctx):
    central = central_kit()
    receiver = start_receiver(central, str(tmp_path / "c.db"), max_connections_per_device=2)
    kit = device_kit(tmp_path, central)
    try:
        peers = [_peer(zctx, receiver, central, kit) for _ in range(5)]
        # the three oldest were told and forgotten; the two newest still speak
        evicted = [p.recv(2.0) for p in peers[:3]]
        assert all(
            isinstance(e, ErrorMessage) and e.code == "too_many_connections" for e in evicted
        )
        assert all(isinstance(p.ask(Heartbeat(1.0)), Heartbeat) for p in peers[3:])
        assert receiver.stats["sessions_evicted"] == 3
        # an evicted connection that speaks again must HELLO again (and evicts another)
        reply = peers[0].ask(Heartbeat(1.0))
        assert isinstance(reply, ErrorMessage) and reply.code == "hello_required"
        for p in peers:
            p.close()
        _honest_still_served(zctx, receiver, central, tmp_path)
    finally:
        receiver.stop()


@pytest.mark.parametrize("connections", [1, 4])
def test_quarantine_quota_is_per_device(tmp_path, zctx, connections):
    central = central_kit()
    db = str(tmp_path / "c.db")
    kit = device_kit(tmp_path, central)
    kit.fill(5 * 12, pad=300)
    forged = [signed_batch(kit, 1 + 5 * i, 5, 10 + i) for i in range(12)]
    forged = [Batch(b.batch_id, b.first_seq, b.records, bytes(64)) for b in forged]
    size = sum(len(h) + len(c) for h, c in forged[0].records)
    quota = 3 * size
    receiver = start_receiver(
        central, db, quarantine_quota_bytes=quota, max_connections_per_device=8
    )
    try:
        peers = [_peer(zctx, receiver, central, kit) for _ in range(connections)]
        codes = [peers[i % connections].ask(b).code for i, b in enumerate(forged)]
        assert codes[:3] == ["bad_signature"] * 3
        assert set(codes[3:]) == {"quarantine_full"}
        for p in peers:
            p.close()
        _honest_still_served(zctx, receiver, central, tmp_path)
    finally:
        receiver.stop()
    store = open_store(db)
    try:
        held = store.quarantined_bytes(kit.device_id)
        assert quota <= held < quota + 2 * size  # bounded: at most one batch past the quota
    finally:
        store.close()
    assert receiver.stats["quarantine_full"] == 9


def test_quota_survives_a_restart(tmp_path, zctx, central_db):
    """The quota counts what the store holds, not what this process saw (SQLite, PostgreSQL)."""
    central = central_kit()
    db = central_db
    kit = device_kit(tmp_path, central)
    kit.fill(2, pad=300)
    good = signed_batch(kit, 1, 2, 1)
    size = sum(len(h) + len(c) for h, c in good.records)
    for attempt in range(2):
        receiver = start_receiver(central, db, quarantine_quota_bytes=size)
        try:
            peer = _peer(zctx, receiver, central, kit)
            reply = peer.ask(Batch(5, 1, good.records, bytes(64)))
            assert reply.code == ("bad_signature" if attempt == 0 else "quarantine_full")
            peer.close()
        finally:
            receiver.stop()


def test_quota_lifts_once_the_quarantine_is_cleared(tmp_path, zctx, central_db):
    """An operator clears the device's quarantine: the receiver re-reads its use (every
    `quota_recheck_s` while over quota) and takes the device's batches again, no restart."""
    central = central_kit()
    kit = device_kit(tmp_path, central)
    kit.fill(4, pad=300)
    forged = [signed_batch(kit, 1 + 2 * i, 2, 20 + i) for i in range(2)]
    forged = [Batch(b.batch_id, b.first_seq, b.records, bytes(64)) for b in forged]
    size = sum(len(h) + len(c) for h, c in forged[0].records)
    receiver = start_receiver(central, central_db, quarantine_quota_bytes=size, quota_recheck_s=0.2)
    try:
        peer = _peer(zctx, receiver, central, kit)
        assert peer.ask(forged[0]).code == "bad_signature"
        assert peer.ask(forged[1]).code == "quarantine_full"
        store = open_store(central_db)
        try:  # what an operator does once the evidence is looked at (and written)
            assert sync_support.wait_until(lambda: store.quarantined_bytes(kit.device_id) >= size)
            store._begin()
            store._execute(store._q("DELETE FROM quarantine WHERE device_id = ?"), (kit.device_id,))
            store._commit()
        finally:
            store.close()
        assert sync_support.wait_until(
            lambda: peer.ask(forged[1]).code == "bad_signature", timeout=10, interval=0.1
        )
        peer.close()
    finally:
        receiver.stop()
