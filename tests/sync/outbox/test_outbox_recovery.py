"""Opening a damaged outbox: quick_check fails → the file is moved aside (never deleted), reported,
and a new outbox continues the sequence (and the chain) from the highest known seq. Migrations are
named and recorded; a file from newer software, or a busy file, is refused without moving it."""

from __future__ import annotations

import logging
import os
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.errors import OutboxCorruptError, OutboxError, OutboxSchemaError, RecordPrunedError
from sync.outbox import MIGRATIONS, Outbox, OutboxConfig
from sync.sealing import GENESIS_HASH, open_record

CENTRAL = X25519PrivateKey.generate()
N = 120


def _outbox(path, **kw) -> Outbox:
    return Outbox(OutboxConfig(path, reserve_bytes=0, **kw), "kiosk-01", CENTRAL.public_key(), "s")


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "outbox.db"
    with _outbox(path) as ob:
        for i in range(N):
            ob.append("survey", {"i": i, "pad": "z" * 200})
        head = ob.head()
    return path, head


def _rootpage(path, name: str) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[
            0
        ]
    finally:
        db.close()


def _smash_page(path, page: int) -> bytes:
    with open(path, "r+b") as f:
        f.seek((page - 1) * 4096 + 8)
        f.write(b"\xde\xad\xbe\xef" * 64)
    return path.read_bytes()


@pytest.mark.parametrize("target", ["index", "leaf"])
def test_damaged_file_moved_aside_and_chain_continues(filled, caplog, target):
    path, (head_seq, head_hash) = filled
    page = _rootpage(path, "records_state") if target == "index" else 20
    damaged_bytes = _smash_page(path, page)
    caplog.set_level(logging.INFO, logger="sync.outbox")
    with _outbox(path) as ob:
        rep = ob.recovery
        assert rep is not None and not rep.chain_restarted
        assert rep.salvaged_seq == head_seq
        moved = path.with_name(os.path.basename(rep.moved_to))
        assert moved.exists() and moved.read_bytes() == damaged_bytes  # kept as it was
        assert ob.stats().base_seq == head_seq and ob.stats().last_seq == head_seq
        r = ob.append("survey", {"after": "recovery"})
        assert r.seq == head_seq + 1
        rec = ob.records_from(r.seq, 1, 10**6)[0]
        assert rec.header.prev_hash == head_hash  # the chain continues from the last known hash
        assert open_record(rec, CENTRAL) == {"after": "recovery"}
        assert ob.verify() == (r.seq, r.record_hash)
        with pytest.raises(RecordPrunedError) as e:  # older records live in the moved file
            ob.records_from(1, 10, 10**6)
        assert e.value.next_seq == head_seq + 1
    assert any("moved aside" in m for m in caplog.messages)
    with _outbox(path) as ob:  # the new file is healthy: no second recovery
        assert ob.recovery is None and ob.head()[0] == head_seq + 1


def test_not_a_database_restarts_chain_but_keeps_file(tmp_path):
    path = tmp_path / "outbox.db"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with _outbox(path) as ob:
        rep = ob.recovery
        assert rep is not None and rep.chain_restarted and rep.salvaged_seq == 0
        assert path.with_name(os.path.basename(rep.moved_to)).read_bytes() == garbage
        r = ob.append("metric", {})
        assert r.seq == 1
        assert ob.records_from(1, 1, 10**6)[0].header.prev_hash == GENESIS_HASH


def test_two_recoveries_keep_both_files(filled):
    path, _ = filled
    _smash_page(path, 20)
    with _outbox(path) as ob:
        first = ob.recovery.moved_to
        ob.append("survey", {})
    path.write_bytes(b"\x00" * 100 + b"junk" * 1000)
    with _outbox(path) as ob:
        second = ob.recovery.moved_to
    assert first != second
    assert os.path.exists(first) and os.path.exists(second)


def test_migrations_are_named_and_recorded(tmp_path):
    path = tmp_path / "outbox.db"
    with _outbox(path):
        pass
    db = sqlite3.connect(path)
    names = [r[0] for r in db.execute("SELECT name FROM schema_migrations ORDER BY name")]
    db.close()
    assert names == [name for name, _ in MIGRATIONS]
    with _outbox(path):  # idempotent
        pass


def test_newer_schema_is_refused_not_moved(tmp_path):
    path = tmp_path / "outbox.db"
    with _outbox(path):
        pass
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_migrations VALUES ('0099_future', 0)")
    db.commit()
    db.close()
    with pytest.raises(OutboxSchemaError) as e:
        _outbox(path).open()
    assert e.value.unknown == ["0099_future"]
    assert path.exists() and not list(tmp_path.glob("*.damaged-*"))


def test_busy_file_is_not_damage(filled):
    path, _ = filled
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE chain SET last_acked_seq = last_acked_seq")
    try:
        with pytest.raises(OutboxError):
            _outbox(path, busy_timeout_ms=100).open()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(path.parent.glob("*.damaged-*"))
    with _outbox(path) as ob:
        assert ob.recovery is None and ob.verify()[0] == N


def test_only_the_appending_process_replaces_a_damaged_file(filled):
    path, (head_seq, _) = filled
    agent = Outbox(OutboxConfig(path), "kiosk-01", None, "s").open()  # before the damage
    _smash_page(path, 20)
    with pytest.raises(OutboxCorruptError):  # the agent (no sealing key) must not replace it
        Outbox(OutboxConfig(path), "kiosk-01", None, "s").open()
    assert not list(path.parent.glob("*.damaged-*"))
    assert not agent.file_replaced()
    with _outbox(path) as kiosk:
        assert kiosk.recovery is not None
        assert agent.file_replaced()  # the agent learns it must reopen
        agent.close()
        with Outbox(OutboxConfig(path), "kiosk-01", None, "s") as agent2:
            assert agent2.stats().base_seq == head_seq and not agent2.file_replaced()


def _lose(path) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            p.unlink()


def test_vanished_file_never_reuses_a_seq(tmp_path):
    """The seqmark side file bounds the seqs handed out: a lost file continues past them."""
    path = tmp_path / "outbox.db"
    with _outbox(path, seqmark_every=10) as ob:
        ob.append_many([("metric", {"i": i}) for i in range(25)])  # crosses 10 and 20: mark 25
        for _ in range(3):
            last = ob.append("metric", {})  # 26..28, no new mark
    assert last.seq == 28
    _lose(path)
    with pytest.raises(OutboxCorruptError):  # the agent does not recreate a used outbox
        Outbox(OutboxConfig(path), "kiosk-01", None, "s").open()
    assert not path.exists()
    with _outbox(path, seqmark_every=10) as ob:
        rep = ob.recovery
        assert rep.reason == "outbox file missing" and rep.chain_restarted
        assert rep.salvaged_seq == 35 >= last.seq
        assert ob.append("metric", {}).seq == 36
        assert ob.records_from(36, 1, 10**6)[0].header.prev_hash == GENESIS_HASH


def test_total_loss_continues_past_the_seqmark(tmp_path):
    path = tmp_path / "outbox.db"
    with _outbox(path, seqmark_every=10) as ob:
        ob.append_many([("metric", {"i": i}) for i in range(14)])
    _lose(path)
    path.write_bytes(os.urandom(8192))  # unreadable: nothing to salvage
    with _outbox(path, seqmark_every=10) as ob:
        assert ob.recovery.chain_restarted and ob.recovery.salvaged_seq == 24
        assert ob.append("metric", {}).seq == 25


def test_emptied_file_never_reuses_a_seq(tmp_path):
    path = tmp_path / "outbox.db"
    with _outbox(path, seqmark_every=10) as ob:
        ob.append_many([("metric", {"i": i}) for i in range(12)])
    _lose(path)
    path.write_bytes(b"")  # an empty file where the outbox was
    with _outbox(path, seqmark_every=10) as ob:
        assert ob.recovery.reason == "outbox file empty"
        assert ob.append("metric", {}).seq == 23


def test_first_outbox_starts_at_one_and_notes_its_base(tmp_path):
    path = tmp_path / "outbox.db"
    with _outbox(path) as ob:
        assert ob.recovery is None and ob.append("metric", {}).seq == 1
    mark = (tmp_path / "outbox.db.seqmark").read_text().split()
    assert mark == ["0", "00" * 32]  # final (not pending) once the file exists
