"""Verification of a stored outbox chain (pure: rows in, verdict out).

Invariant: returns only if every row holds the record of its own seq, seqs run from base + 1 to
the recorded head without a gap, every header links to its predecessor's hash, every stored hash
equals the hash recomputed from the row (when the ciphertext is still there) and the chain ends at
the recorded head hash. Otherwise raises `ChainError` (or its subclass `GapError`) naming the seq.
"""

from __future__ import annotations

from collections.abc import Iterable

from sync.errors import ChainError, RecordFormatError
from sync.sealing import ChainVerifier, SealedRecord, decode_header

__all__ = ["verify_rows"]


def _check_row_seq(row_seq: int, header: bytes) -> None:
    """A row must hold the record of its own seq (catches rows swapped between seqs)."""
    try:
        header_seq = decode_header(header).seq
    except RecordFormatError:
        return  # the chain verifier reports the malformed header at its seq
    if header_seq != row_seq:
        raise ChainError(row_seq, f"row {row_seq} holds the record of seq {header_seq} (reordered)")


def verify_rows(
    rows: Iterable[tuple[int, bytes, bytes | None, bytes]],
    *,
    device_id: str,
    base_seq: int,
    base_hash: bytes,
    head_seq: int,
    head_hash: bytes,
) -> tuple[int, bytes]:
    """Check (seq, header, ciphertext or None, stored hash) rows in seq order; (last seq, hash)."""
    v = ChainVerifier(bytes(base_hash), base_seq + 1, device_id)
    for seq, header, ciphertext, stored in rows:
        header, stored = bytes(header), bytes(stored)
        _check_row_seq(seq, header)
        if ciphertext is None:
            v.add_pruned(header, stored)
            continue
        rec = SealedRecord(header, bytes(ciphertext))
        v.add(rec)
        if rec.record_hash != stored:
            raise ChainError(seq, "stored hash does not match the record")
    if v.last_seq != head_seq:
        raise ChainError(v.next_seq, f"records missing at the end (head is seq {head_seq})")
    v.check_head(bytes(head_hash))
    return v.last_seq, v.head
