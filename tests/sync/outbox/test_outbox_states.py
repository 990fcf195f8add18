"""Outbox lifecycle: append → pending → sent → acked → pruned, batches, resume, stats, threads,
and a second process (the sync agent) on the same file."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.errors import OutboxError, RecordPrunedError, SealError
from sync.outbox import Outbox, OutboxConfig
from sync.sealing import KINDS, open_record, verify_chain

CENTRAL = X25519PrivateKey.generate()


class FakeClock:
    """A settable clock (the outbox takes the clock as a parameter; no sleeping in tests)."""

    def __init__(self, now: float = 1_767_225_600.0, synced: bool = True) -> None:
        self.now, self.synced = now, synced

    def __call__(self) -> tuple[float, bool]:
        return self.now, self.synced


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def outbox(tmp_path, clock):
    with Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0, retention_s=3600),
        "kiosk-01",
        CENTRAL.public_key(),
        "seal-1",
        clock=clock,
    ) as ob:
        yield ob


def test_append_assigns_seqs_links_chain_and_seals(outbox, clock):
    results = [outbox.append(kind, {"n": i}) for i, kind in enumerate(sorted(KINDS))]
    assert [r.seq for r in results] == list(range(1, len(KINDS) + 1))
    assert len({r.record_id for r in results}) == len(results)
    uuid.UUID(results[0].record_id)
    batch = outbox.pending_batch(100, 10**6)
    assert [r.seq for r in batch] == [r.seq for r in results]
    assert [r.record_hash for r in batch] == [r.record_hash for r in results]
    assert verify_chain(batch, last_hash=results[-1].record_hash) == results[-1].record_hash
    assert [open_record(r, CENTRAL)["n"] for r in batch] == list(range(len(KINDS)))
    h = batch[0].header
    assert (h.device_id, h.key_id, h.created_at, h.clock_synced) == (
        "kiosk-01",
        "seal-1",
        int(clock.now),
        True,
    )
    assert outbox.head() == (len(KINDS), results[-1].record_hash)
    assert outbox.verify() == outbox.head()


def test_unsynced_clock_is_flagged(outbox, clock):
    clock.synced = False
    clock.now = 1234.9
    outbox.append("metric", {})
    h = outbox.pending_batch(1, 10**6)[0].header
    assert (h.created_at, h.clock_synced) == (1234, False)


def test_batches_respect_count_and_bytes(outbox):
    for i in range(10):
        outbox.append("survey", {"pad": "x" * 200, "i": i})
    one = outbox.pending_batch(100, 10**6)[0]
    size = len(one.header_bytes) + len(one.ciphertext)
    assert [r.seq for r in outbox.pending_batch(3, 10**6)] == [1, 2, 3]
    assert [r.seq for r in outbox.pending_batch(100, size * 4 + 10)] == [1, 2, 3, 4]
    assert [r.seq for r in outbox.pending_batch(100, 1)] == [1]  # at least one, never stuck
    assert [r.seq for r in outbox.pending_batch(2, 10**6, after_seq=8)] == [9, 10]


def test_state_transitions_and_stats(outbox, clock):
    for i in range(6):
        clock.now += 10
        outbox.append("booking", {"i": i})
    s = outbox.stats()
    assert (s.pending, s.sent, s.acked, s.last_seq, s.last_acked_seq) == (6, 0, 0, 6, 0)
    assert s.oldest_pending_created_at == int(1_767_225_600 + 10)
    assert outbox.mark_sent([1, 2, 3]) == 3
    assert outbox.mark_sent(up_to=4) == 1
    assert [r.seq for r in outbox.pending_batch(10, 10**6)] == [5, 6]
    assert outbox.mark_acked(2) == 2
    s = outbox.stats()
    assert (s.pending, s.sent, s.acked, s.last_acked_seq) == (2, 2, 2, 2)
    assert s.oldest_pending_created_at == int(1_767_225_600 + 50)
    assert outbox.requeue_sent() == 2
    assert [r.seq for r in outbox.pending_batch(10, 10**6)] == [3, 4, 5, 6]
    assert outbox.mark_acked(100) == 4  # beyond the head: clamped to the last seq
    s = outbox.stats()
    assert (s.pending, s.sent, s.acked, s.last_acked_seq, s.oldest_pending_created_at) == (
        0,
        0,
        6,
        6,
        None,
    )
    assert outbox.mark_acked(3) == 0  # acks never go backwards
    assert outbox.stats().last_acked_seq == 6


def test_resume_from_central_commit(outbox):
    for i in range(5):
        outbox.append("survey", {"i": i})
    outbox.mark_sent(up_to=5)
    assert [r.seq for r in outbox.records_from(3, 10, 10**6)] == [3, 4, 5]
    assert [r.seq for r in outbox.records_from(3, 1, 10**6)] == [3]
    assert outbox.records_from(6, 10, 10**6) == []


def test_prune_drops_ciphertext_after_retention_keeps_chain(outbox, clock):
    for i in range(5):
        outbox.append("survey", {"i": i})
    head = outbox.head()
    outbox.mark_acked(3)
    assert outbox.prune() == 0  # within retention
    clock.now += 3600
    assert outbox.prune() == 3
    assert outbox.prune() == 0
    assert outbox.stats().pruned == 3
    assert outbox.verify() == head
    with pytest.raises(RecordPrunedError) as e:
        outbox.records_from(2, 10, 10**6)
    assert (e.value.seq, e.value.next_seq) == (2, 4)  # a sender can skip the range at once
    assert [r.seq for r in outbox.records_from(4, 10, 10**6)] == [4, 5]
    assert outbox.append("survey", {}).seq == 6
    assert outbox.verify()[0] == 6


def test_reopen_continues_the_chain(tmp_path, clock):
    cfg = OutboxConfig(tmp_path / "o.db", reserve_bytes=0)
    with Outbox(cfg, "kiosk-01", CENTRAL.public_key(), "seal-1", clock=clock) as ob:
        ob.append("survey", {})
        first = ob.append("survey", {})
    with Outbox(cfg, "kiosk-01", CENTRAL.public_key(), "seal-2", clock=clock) as ob:
        r = ob.append("survey", {})
        assert r.seq == 3
        rec = ob.records_from(3, 1, 10**6)[0]
        assert rec.header.prev_hash == first.record_hash and rec.header.key_id == "seal-2"
        assert ob.verify()[0] == 3
    with pytest.raises(OutboxError):
        Outbox(cfg, "kiosk-99", CENTRAL.public_key(), "seal-1").open()


def test_misuse_is_refused(tmp_path, outbox):
    agent = Outbox(OutboxConfig(outbox.config.path), "kiosk-01", None, "seal-1").open()
    try:
        with pytest.raises(SealError):
            agent.append("survey", {})
    finally:
        agent.close()
    with pytest.raises(SealError):
        outbox.append("not-a-kind", {})
    with pytest.raises(SealError):
        outbox.append("survey", {"x": "y" * (2 * 1024 * 1024)})
    with pytest.raises(ValueError):
        outbox.mark_sent()
    with pytest.raises(ValueError):
        outbox.pending_batch(0, 100)
    assert outbox.stats().last_seq == 0  # nothing half-written
    closed = Outbox(OutboxConfig(tmp_path / "x.db"), "kiosk-01", CENTRAL.public_key(), "k")
    with pytest.raises(OutboxError):
        closed.stats()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reserve_bytes": -1},
        {"retention_s": -1},
        {"max_body_bytes": 10},
        {"busy_timeout_ms": -5},
        {"seqmark_every": 0},
        {"max_db_bytes": 1000},
    ],
)
def test_config_refuses_nonsense(tmp_path, kwargs):
    with pytest.raises(ValueError):
        OutboxConfig(tmp_path / "o.db", **kwargs)


def test_threads_share_one_outbox_without_gaps(outbox):
    seqs: list[int] = []
    lock = threading.Lock()

    def work():
        for _ in range(25):
            r = outbox.append("metric", {"t": threading.get_ident()})
            with lock:
                seqs.append(r.seq)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(seqs) == list(range(1, 101))
    assert outbox.verify()[0] == 100


_AGENT = """
import sys
from pathlib import Path
from sync.outbox import Outbox, OutboxConfig
ob = Outbox(OutboxConfig(Path(sys.argv[1])), "kiosk-01", None, "seal-1").open()
total = 0
while total < int(sys.argv[2]):
    batch = ob.pending_batch(7, 10**6)
    if batch:
        ob.mark_sent([r.seq for r in batch])
        ob.mark_acked(batch[-1].seq)
        total += len(batch)
print(total, ob.stats().last_acked_seq, flush=True)
ob.close()
"""


def test_agent_process_acks_while_kiosk_appends(outbox):
    """Two processes on one WAL file: the kiosk appends, the agent (no sealing key) sends/acks."""
    agent = subprocess.Popen(
        [sys.executable, "-c", _AGENT, str(outbox.config.path), "60"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for i in range(60):
            outbox.append("survey", {"i": i})
        out, _ = agent.communicate(timeout=60)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
    assert agent.returncode == 0
    assert out.split() == ["60", "60"]
    s = outbox.stats()
    assert (s.pending, s.sent, s.acked, s.last_acked_seq) == (0, 0, 60, 60)
    assert outbox.verify()[0] == 60


def test_append_many_is_one_all_or_nothing_transaction(outbox):
    outbox.append("survey", {"first": True})
    results = outbox.append_many([("metric", {"i": i}) for i in range(5)])
    assert [r.seq for r in results] == [2, 3, 4, 5, 6]
    assert outbox.verify() == (6, results[-1].record_hash)
    with pytest.raises(SealError):
        outbox.append_many([("metric", {"ok": 1}), ("no-such-kind", {})])
    assert outbox.stats().last_seq == 6  # the good one was not written either
    assert outbox.append_many([]) == []
    batch = outbox.pending_batch(10, 10**6, after_seq=1)
    assert [open_record(r, CENTRAL)["i"] for r in batch] == [0, 1, 2, 3, 4]
