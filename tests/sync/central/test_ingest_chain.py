"""The chain side of a commit, on SQLite and PostgreSQL: a gap fill must join the record held
after the gap or it is a chain break (quarantined, reported, committed_seq stops at the join);
the rows a commit reads do not grow with the records held past a gap; a store written before
`held_runs` existed is backfilled by its migration."""

import hashlib
import os

import pytest

import sync.central.store_postgres as store_postgres
import sync.central.store_sqlite as store_sqlite
import tests.support.sync as sync_support
from sync.central.store import StoredRecord
from sync.central.store_schema import MIGRATIONS
from sync.central.stores import open_store
from sync.sealing import GENESIS_HASH

central_db = sync_support.central_db  # fixture
DEV = "dev-chain"


def _chain(first: int, count: int, prev: bytes, salt: bytes = b"") -> list[StoredRecord]:
    """Rows as the ack path hands them to the store: linked by prev hash, seqs consecutive."""
    rows = []
    for seq in range(first, first + count):
        header, ciphertext = b"h%d" % seq + salt, os.urandom(48)
        digest = hashlib.sha256(prev + header + ciphertext).digest()
        rows.append(StoredRecord(seq, digest, prev, f"r{seq}", "survey", 0, header, ciphertext))
        prev = digest
    return rows


def _honest(n: int) -> list[StoredRecord]:
    return _chain(1, n, GENESIS_HASH)


def _forged_fill(honest, first: int, last: int) -> list[StoredRecord]:
    """Links to the record before the gap, but not to the one after it."""
    return _chain(first, last - first + 1, honest[first - 2].record_hash, b"forged")


def _unlinked_fill(first: int, last: int) -> list[StoredRecord]:
    """Links to nothing held: neither to the record before the gap nor to the one after it."""
    return _chain(first, last - first + 1, os.urandom(32), b"unlinked")


@pytest.fixture
def store(central_db):
    s = open_store(central_db)
    yield s
    s.close()


# (name, the fill batch, committed after it, chain_break events, (reason, quarantined seqs))
FILLS = [
    ("honest fill", lambda h: h[3:6], 10, 0, (None, [])),
    ("forged fill, no join", lambda h: _forged_fill(h, 4, 6), 3, 1, ("no_join", [4, 5, 6])),
    ("partial honest fill", lambda h: h[3:5], 5, 0, (None, [])),
    ("forged partial fill", lambda h: _forged_fill(h, 4, 5), 5, 0, (None, [])),
    ("fill breaking both sides", lambda h: _unlinked_fill(4, 6), 3, 2, ("no_join", [4, 5, 6])),
]


@pytest.mark.parametrize(
    "make,committed,breaks,kept", [f[1:] for f in FILLS], ids=[f[0] for f in FILLS]
)
def test_a_gap_fill_must_join_the_record_after_it(store, make, committed, breaks, kept):
    honest = _honest(10)
    store.commit_batch(DEV, honest[:3])
    store.commit_batch(DEV, honest[6:])  # gap 4..6
    result = store.commit_batch(DEV, make(honest))
    assert result.committed_seq == committed
    assert store.device_state(DEV).committed_seq == committed
    events = [e for e in store.events(DEV) if e[1] == "chain_break"]
    assert len(events) == breaks
    reason, seqs = kept
    assert sorted(s for _, s, why in store.quarantined() if why == reason) == seqs
    assert [r.seq for r in result.rejections] == seqs
    assert all(r.reason == reason for r in result.rejections)
    if seqs:  # nothing of a refused fill is in `records`
        assert store.count("records", DEV) == 7


def test_a_refused_fill_leaves_the_seqs_open_for_the_real_records(store):
    """A forged fill cannot push the device's real records out: committed_seq stays before the
    gap, the device is asked for those seqs again, its real fill joins and is stored; the same
    forged fill sent again adds no event and changes nothing."""
    honest = _honest(10)
    store.commit_batch(DEV, honest[:3])
    store.commit_batch(DEV, honest[6:])
    forged = _forged_fill(honest, 4, 6)
    assert store.commit_batch(DEV, forged).committed_seq == 3
    assert store.commit_batch(DEV, forged).committed_seq == 3  # resent: no new event
    breaks = [e for e in store.events(DEV) if e[1] == "chain_break"]
    assert len(breaks) == 1 and "does not join" in breaks[0][4]
    result = store.commit_batch(DEV, honest[3:6])  # the device sends its real 4..6
    assert result.committed_seq == 10 and result.stored == 3 and not result.rejections
    assert store.count("records", DEV) == 10
    assert store.device_state(DEV).committed_hash == honest[9].record_hash
    assert len([e for e in store.events(DEV) if e[1] == "chain_break"]) == 1
    assert sorted(s for _, s, why in store.quarantined() if why == "no_join") == [4, 5, 6]


class _Reads:
    """Counts the rows a store's queries return (the real backend runs them)."""

    def __init__(self, store) -> None:
        self.rows = 0
        self._execute = store._execute
        store._execute = self

    def __call__(self, sql, params=()):
        out = self._execute(sql, params)
        self.rows += len(out)
        return out


@pytest.mark.parametrize("past_gap", [10, 3000])
def test_commit_reads_do_not_grow_with_records_past_a_gap(store, past_gap):
    honest = _honest(5 + past_gap + 20)
    store.commit_batch(DEV, honest[:4])  # seq 5 never arrives: a permanent gap
    for i in range(5, 5 + past_gap, 500):
        store.commit_batch(DEV, honest[i : min(i + 500, 5 + past_gap)])
    reads = _Reads(store)
    store.commit_batch(DEV, honest[5 + past_gap : 5 + past_gap + 10])  # later records, gap stays
    after_gap = reads.rows
    reads.rows = 0
    result = store.commit_batch(DEV, honest[4:5])  # the gap is filled at last
    assert result.committed_seq == 5 + past_gap + 10
    assert (after_gap, reads.rows) == (3, 4)  # same for 10 or 3000 records past the gap
    assert store.device_state(DEV).committed_seq == 5 + past_gap + 10


def test_held_runs_are_backfilled_for_a_store_from_an_older_release(central_db, monkeypatch):
    honest = _honest(12)
    old = [m for m in MIGRATIONS if m[0] < "0003"]
    with monkeypatch.context() as m:
        m.setattr(store_sqlite, "MIGRATIONS", old)
        m.setattr(store_postgres, "MIGRATIONS", old)
        s = open_store(central_db)
        try:  # what the old writer left: 1..3 committed, 6..8 and 10..12 held past gaps
            for rows in (honest[:3], honest[5:8], honest[9:]):
                s._begin()
                s._ensure_device(DEV)
                s._executemany(
                    s._q(
                        "INSERT INTO records (device_id, seq, record_hash, prev_hash, record_id, "
                        "kind, created_at, header, ciphertext, received_at, state) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)"
                    ),
                    [
                        (
                            DEV,
                            r.seq,
                            r.record_hash,
                            r.prev_hash,
                            r.record_id,
                            r.kind,
                            0,
                            r.header,
                            r.ciphertext,
                        )
                        for r in rows
                    ],
                )
                s._commit()
            s._begin()
            s._execute(
                s._q(
                    "UPDATE devices SET committed_seq = 3, committed_hash = ?, max_seq = 12 WHERE device_id = ?"
                ),
                (honest[2].record_hash, DEV),
            )
            s._commit()
        finally:
            s.close()
    s = open_store(central_db)  # 0003 and later are applied now
    try:
        runs = s._execute(s._q("SELECT first_seq, last_seq FROM held_runs ORDER BY first_seq"))
        assert [(int(a), int(b)) for a, b in runs] == [(6, 8), (10, 12)]
        assert s.commit_batch(DEV, honest[3:5]).committed_seq == 8
        assert s.commit_batch(DEV, honest[8:9]).committed_seq == 12
    finally:
        s.close()
