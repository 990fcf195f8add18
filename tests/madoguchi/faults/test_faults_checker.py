"""The fault harness's workload and its independent checker (issue 23): residents' submissions
of every record kind on several terminals (real outboxes, real agents over CURVE on loopback, a
real receiver and store on SQLite and PostgreSQL) all end up stored exactly once, and the checker
CAN fail: a record deleted from the store is reported lost, a duplicated row duplicated, a
changed ciphertext altered, a record only in a moved-aside outbox stranded."""

from __future__ import annotations

import random
import sqlite3

import pytest

import tests.support.sync as sync_support
from madoguchi.faults.checker import check, read_receipts
from madoguchi.faults.workload import KINDS, CentralSide, ReceiptLog, Terminal, wait_for

central_db = sync_support.central_db  # fixture

TERMINALS = 3
PER_TERMINAL = 24  # three of each kind


def _run(tmp_path, db):
    central = CentralSide(tmp_path, db).start()
    receipts = ReceiptLog(tmp_path / "receipts.jsonl")
    rng = random.Random(23)
    terminals = [Terminal.enroll(central, tmp_path, f"kiosk-{i:02d}") for i in range(TERMINALS)]
    try:
        for t in terminals:
            t.open(retention_s=0)
            t.start_agent(batch_max_records=7)
        for i in range(PER_TERMINAL):
            for t in terminals:
                t.submit(receipts, rng, KINDS[i % len(KINDS)])
        for t in terminals:
            assert wait_for(lambda t=t: t.outbox.stats().last_acked_seq == PER_TERMINAL, 60)
    finally:
        for t in terminals:
            t.close()
        central.stop()
    return central, terminals, receipts


def _verdict(tmp_path, central, terminals, final=True):
    return check(
        read_receipts(tmp_path / "receipts.jsonl"),
        central.db,
        [t.outbox_path for t in terminals],
        central.sealing_keys(),
        final=final,
    )


def _sql(db: str, statement: str, args=()):
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(statement.replace("?", "%s"), args)
        return
    conn = sqlite3.connect(db)
    try:
        conn.execute(statement, args)
        conn.commit()
    finally:
        conn.close()


def test_every_kind_from_every_terminal_stored_exactly_once(tmp_path, central_db):
    central, terminals, receipts = _run(tmp_path, central_db)
    verdict = _verdict(tmp_path, central, terminals)
    assert verdict.ok, verdict.as_dict()
    assert verdict.receipts == receipts.count == TERMINALS * PER_TERMINAL
    assert verdict.stored == TERMINALS * PER_TERMINAL
    assert verdict.lost == verdict.duplicated == verdict.altered == verdict.pending == 0
    assert {r["kind"] for r in read_receipts(tmp_path / "receipts.jsonl")} == set(KINDS)


@pytest.fixture
def drained(tmp_path):
    """A drained run on SQLite whose outboxes no longer hold any body (pruned after the ack)."""
    central, terminals, receipts = _run(tmp_path, str(tmp_path / "central.db"))
    for t in terminals:
        with t.open(retention_s=0) as ob:
            assert ob.prune(now=1e12) == PER_TERMINAL
    assert _verdict(tmp_path, central, terminals).ok
    return central, terminals


def test_checker_reports_a_record_deleted_from_the_store(tmp_path, drained):
    central, terminals = drained
    _sql(central.db, "DELETE FROM records WHERE device_id = ? AND seq = ?", ("kiosk-01", 5))
    verdict = _verdict(tmp_path, central, terminals)
    assert not verdict.ok
    assert verdict.lost == 1 and verdict.examples["lost"] == [("kiosk-01", 5)]
    assert verdict.stored == TERMINALS * PER_TERMINAL - 1


def test_checker_reports_a_duplicated_row(tmp_path, drained):
    central, terminals = drained
    # the same sealed record stored a second time under another seq
    _sql(
        central.db,
        "INSERT INTO records (device_id, seq, record_hash, prev_hash, record_id, kind, created_at,"
        " header, ciphertext, received_at, state) SELECT device_id, seq + 1000, record_hash,"
        " prev_hash, record_id, kind, created_at, header, ciphertext, received_at, state"
        " FROM records WHERE device_id = ? AND seq = ?",
        ("kiosk-02", 9),
    )
    verdict = _verdict(tmp_path, central, terminals)
    assert not verdict.ok
    assert verdict.duplicated == 1 and verdict.examples["duplicated"] == [("kiosk-02", 9)]


def test_checker_reports_an_altered_record(tmp_path, drained):
    central, terminals = drained
    conn = sqlite3.connect(central.db)
    try:
        (ct,) = conn.execute(
            "SELECT ciphertext FROM records WHERE device_id = 'kiosk-00' AND seq = 3"
        ).fetchone()
        flipped = bytes(ct[:-1]) + bytes([ct[-1] ^ 1])
        conn.execute(
            "UPDATE records SET ciphertext = ? WHERE device_id = 'kiosk-00' AND seq = 3", (flipped,)
        )
        conn.commit()
    finally:
        conn.close()
    verdict = _verdict(tmp_path, central, terminals)
    assert not verdict.ok
    assert verdict.altered == 1 and verdict.examples["altered"] == [("kiosk-00", 3)]


def test_checker_final_refuses_what_is_still_pending(tmp_path):
    """Receipts whose records never left the outbox: fine mid-run, a failure after the drain;
    the same records only in a moved-aside outbox file are stranded."""
    central = CentralSide(tmp_path, str(tmp_path / "central.db"))
    receipts = ReceiptLog(tmp_path / "receipts.jsonl")
    t = Terminal.enroll(central, tmp_path, "kiosk-00")
    t.open()
    rng = random.Random(1)
    for kind in KINDS:
        t.submit(receipts, rng, kind)
    t.close()
    assert _verdict(tmp_path, central, [t], final=False).ok
    final = _verdict(tmp_path, central, [t], final=True)
    assert not final.ok and final.pending == len(KINDS)
    t.outbox_path.rename(f"{t.outbox_path}.damaged-20260101T000000Z")
    stranded = _verdict(tmp_path, central, [t], final=False)
    assert not stranded.ok and stranded.stranded == len(KINDS)
