"""Tampering with the stored outbox (raw SQL on the real file) is caught by `Outbox.verify` with the
precise seq: flipped bytes in headers, ciphertext or hashes, deleted rows, reordered rows."""

from __future__ import annotations

import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.errors import ChainError, GapError
from sync.outbox import Outbox, OutboxConfig

CENTRAL = X25519PrivateKey.generate()
N = 6


@pytest.fixture
def stored(tmp_path):
    cfg = OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0, retention_s=0)
    with Outbox(cfg, "kiosk-01", CENTRAL.public_key(), "seal-1") as ob:
        for i in range(N):
            ob.append("application", {"i": i, "pad": "p" * 40})
    return cfg


def _verify(cfg):
    with Outbox(cfg, "kiosk-01", None, "seal-1") as ob:
        return ob.verify()


def _sql(cfg, *statements):
    db = sqlite3.connect(cfg.path, isolation_level=None)
    try:
        for sql, args in statements:
            db.execute(sql, args)
    finally:
        db.close()


def _get(cfg, column, seq) -> bytes:
    db = sqlite3.connect(cfg.path)
    try:
        return db.execute(f"SELECT {column} FROM records WHERE seq = ?", (seq,)).fetchone()[0]
    finally:
        db.close()


def test_untouched_outbox_verifies(stored):
    assert _verify(stored)[0] == N


@pytest.mark.parametrize("column", ["header", "ciphertext", "record_hash"])
@pytest.mark.parametrize("seq", [1, 3, N])
def test_every_flipped_byte_is_caught(stored, column, seq):
    original = _get(stored, column, seq)
    db = sqlite3.connect(stored.path, isolation_level=None)
    with Outbox(stored, "kiosk-01", None, "seal-1") as ob:
        for i in range(len(original)):
            bad = original[:i] + bytes([original[i] ^ 0x04]) + original[i + 1 :]
            db.execute(f"UPDATE records SET {column} = ? WHERE seq = ?", (bad, seq))
            with pytest.raises(ChainError) as e:
                ob.verify()
            # caught at the altered record, or at the next one whose prev_hash no longer matches
            assert e.value.seq in (seq, seq + 1), (column, i, e.value)
    db.close()
    _sql(stored, (f"UPDATE records SET {column} = ? WHERE seq = ?", (original, seq)))
    assert _verify(stored)[0] == N


@pytest.mark.parametrize("seq", [1, 3])
def test_flipped_byte_in_a_pruned_record_is_caught(stored, seq):
    with Outbox(stored, "kiosk-01", None, "seal-1") as ob:
        ob.mark_acked(N)
        assert ob.prune(now=1e12) == N
        assert ob.verify()[0] == N
    for column in ("header", "record_hash"):
        original = _get(stored, column, seq)
        bad = original[:5] + bytes([original[5] ^ 0x10]) + original[6:]
        _sql(stored, (f"UPDATE records SET {column} = ? WHERE seq = ?", (bad, seq)))
        with pytest.raises(ChainError) as e:
            _verify(stored)
        assert e.value.seq in (seq, seq + 1)
        _sql(stored, (f"UPDATE records SET {column} = ? WHERE seq = ?", (original, seq)))


@pytest.mark.parametrize("seq", [1, 3, N - 1])
def test_deleted_row_is_a_gap(stored, seq):
    _sql(stored, ("DELETE FROM records WHERE seq = ?", (seq,)))
    with pytest.raises(GapError) as e:
        _verify(stored)
    assert (e.value.expected_seq, e.value.got_seq) == (seq, seq + 1)


def test_deleted_last_row_is_caught_against_the_head(stored):
    _sql(stored, ("DELETE FROM records WHERE seq = ?", (N,)))
    with pytest.raises(ChainError) as e:
        _verify(stored)
    assert e.value.seq == N
    # and the seq is not reused: the next append still gets N + 1
    with Outbox(stored, "kiosk-01", CENTRAL.public_key(), "seal-1") as ob:
        assert ob.append("survey", {}).seq == N + 1


@pytest.mark.parametrize(("a", "b"), [(2, 4), (1, 2), (N - 1, N)])
def test_reordered_rows_are_caught(stored, a, b):
    """Swap two records' contents between their seq rows."""
    _sql(
        stored,
        ("UPDATE records SET seq = -1 WHERE seq = ?", (a,)),
        ("UPDATE records SET seq = ? WHERE seq = ?", (a, b)),
        ("UPDATE records SET seq = ? WHERE seq = -1", (b,)),
    )
    with pytest.raises(ChainError) as e:
        _verify(stored)
    assert e.value.seq == a
    assert "reordered" in e.value.reason


def test_row_replaced_by_a_copy_of_another_is_caught(stored):
    _sql(
        stored,
        (
            "UPDATE records SET header = (SELECT header FROM records WHERE seq = 2),"
            " ciphertext = (SELECT ciphertext FROM records WHERE seq = 2),"
            " record_hash = (SELECT record_hash FROM records WHERE seq = 2) WHERE seq = 3",
            (),
        ),
    )
    with pytest.raises(ChainError) as e:
        _verify(stored)
    assert e.value.seq == 3
