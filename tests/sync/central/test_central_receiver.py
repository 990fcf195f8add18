"""The receiver's ack path on the real wire, on SQLite and PostgreSQL: a resent batch is not
duplicated, a bad signature or a broken chain is refused and kept in quarantine, a cloned history
is rejected per record, rate limits answer with retry-after, an oversize frame drops only its
connection."""

import time
import uuid

import tests.support.sync as sync_support
from sync.central.stores import open_store
from sync.outbox import Outbox, OutboxConfig
from sync.protocol import Ack, Batch, ErrorMessage, Heartbeat, Hello, Rejection
from tests.support.sync import RawPeer, central_kit, device_kit, signed_batch, start_receiver

central_db = sync_support.central_db  # fixture


def _session(zctx, receiver, central, kit) -> RawPeer:
    peer = RawPeer(
        zctx, receiver.endpoint, central.curve_public, kit.curve_public, kit.curve_secret
    )
    reply = peer.ask(Hello(kit.device_id, 0, 0, time.time()))
    assert isinstance(reply, Ack) and reply.batch_id == 0
    return peer


def test_resent_batch_is_stored_once(tmp_path, zctx, central_db):
    central = central_kit()
    receiver = start_receiver(central, central_db)
    kit = device_kit(tmp_path, central)
    kit.fill(10)
    try:
        peer = _session(zctx, receiver, central, kit)
        assert peer.ask(signed_batch(kit, 1, 10, 1)) == Ack(1, 10)
        assert peer.ask(signed_batch(kit, 1, 10, 2)) == Ack(2, 10)  # resend: same answer
        assert peer.ask(signed_batch(kit, 4, 3, 3)) == Ack(3, 10)  # overlap: same answer
        peer.close()
    finally:
        receiver.stop()
    store = open_store(central_db)
    try:
        assert store.count("records") == 10
        assert store.count("quarantine") == 0
    finally:
        store.close()
    assert receiver.stats["duplicates"] == 13


def test_bad_signature_is_refused_and_quarantined(tmp_path, zctx, central_db):
    central = central_kit()
    receiver = start_receiver(central, central_db)
    kit = device_kit(tmp_path, central)
    kit.fill(4)
    try:
        peer = _session(zctx, receiver, central, kit)
        good = signed_batch(kit, 1, 4, 7)
        forged = Batch(7, good.first_seq, good.records, bytes(64))
        reply = peer.ask(forged)
        assert isinstance(reply, ErrorMessage) and reply.code == "bad_signature" and reply.ref == 7
        # one ciphertext altered: the chain (hash of record 2 in record 3) no longer holds
        records = list(good.records)
        records[1] = (records[1][0], records[1][1][:-1] + bytes([records[1][1][-1] ^ 1]))
        reply = peer.ask(Batch(8, 1, tuple(records), good.head_signature))
        assert isinstance(reply, ErrorMessage) and reply.code == "chain_break"
        # the honest batch still goes through afterwards
        assert peer.ask(signed_batch(kit, 1, 4, 9)) == Ack(9, 4)
        peer.close()
    finally:
        receiver.stop()
    store = open_store(central_db)
    try:
        reasons = {r for _, _, r in store.quarantined()}
        assert reasons == {"refused_bad_signature", "refused_chain_break"}
        assert store.count("records") == 4
        assert {e[1] for e in store.events()} == {"bad_signature", "chain_break"}
    finally:
        store.close()


def test_cloned_history_is_rejected_per_record_and_kept(tmp_path, zctx, central_db):
    """Two outboxes claiming the same device id (a cloned terminal): the second history's
    records conflict with stored ones or do not link; each is rejected and quarantined."""
    central = central_kit()
    receiver = start_receiver(central, central_db)
    kit = device_kit(tmp_path, central)
    kit.fill(5)
    clone_outbox = Outbox(
        OutboxConfig(tmp_path / f"clone-{uuid.uuid4().hex}.db", reserve_bytes=0),
        kit.device_id,
        central.sealing_key.public_key(),
        sync_support.KEY_ID,
    ).open()
    clone = sync_support.DeviceKit(
        kit.device_id, kit.curve_public, kit.curve_secret, kit.signing_key, clone_outbox
    )
    clone.fill(6)
    try:
        peer = _session(zctx, receiver, central, kit)
        assert peer.ask(signed_batch(kit, 1, 5, 1)) == Ack(1, 5)
        reply = peer.ask(signed_batch(clone, 3, 4, 2))
        assert reply == Ack(
            2,
            6,
            (
                Rejection(3, "conflict"),
                Rejection(4, "conflict"),
                Rejection(5, "conflict"),
                Rejection(6, "chain_break"),
            ),
        )
        peer.close()
    finally:
        receiver.stop()
    store = open_store(central_db)
    try:
        assert store.count("records") == 5
        assert sorted((s, r) for _, s, r in store.quarantined()) == [
            (3, "conflict"),
            (4, "conflict"),
            (5, "conflict"),
            (6, "chain_break"),
        ]
        assert any(kind == "chain_break" for _, kind, *_ in store.events())
    finally:
        store.close()


def test_rate_limit_answers_retry_after(tmp_path, zctx):
    central = central_kit()
    receiver = start_receiver(
        central, str(tmp_path / "c.db"), rate_messages_per_s=2.0, rate_message_burst=3.0
    )
    kit = device_kit(tmp_path, central)
    try:
        peer = _session(zctx, receiver, central, kit)
        replies = [peer.ask(Heartbeat(float(i))) for i in range(6)]
        limited = [r for r in replies if isinstance(r, ErrorMessage)]
        assert limited and all(r.code == "rate_limited" and r.retry_after_ms > 0 for r in limited)
        peer.close()
    finally:
        receiver.stop()


def test_oversize_frame_drops_only_that_connection(tmp_path, zctx):
    central = central_kit()
    receiver = start_receiver(central, str(tmp_path / "c.db"), max_message_bytes=64 * 1024)
    kit = device_kit(tmp_path, central)
    try:
        hog = _session(zctx, receiver, central, kit)
        hog.sock.send(b"\x00" * (200 * 1024))
        assert hog.recv(1.0) is None
        hog.close()
        peer = _session(zctx, receiver, central, kit)
        assert isinstance(peer.ask(Heartbeat(1.0)), Heartbeat)
        peer.close()
    finally:
        receiver.stop()
    assert receiver.error is None


def test_back_pressure_busy_loses_and_duplicates_nothing(tmp_path):
    """With no room for queued commits, batches beyond the first in flight are answered `busy`;
    the agent pauses and resends; every record ends up stored once."""
    from tests.support.sync import agent_for, wait_until

    central = central_kit()
    db = str(tmp_path / "c.db")
    receiver = start_receiver(central, db, max_queued_records=0)
    kit = device_kit(tmp_path, central)
    kit.outbox.append_many([("survey", {"i": i}) for i in range(60)])
    agent = agent_for(kit, central, receiver.endpoint, batch_max_records=10, window=4).start()
    try:
        assert wait_until(lambda: agent.acked_seq == 60, 60)
    finally:
        agent.stop()
        receiver.stop()
    assert sync_support.stored_count(db) == 60
    assert sync_support.committed(db, kit.device_id) == 60
    assert sync_support.stored_count(db, table="events") == 0  # no (transient) gap reported
