"""The ack path's chain check: a light, strict parse of each record header (pure, no I/O).

Invariants: `verify_batch` returns rows only if every record carries the session's device id,
consecutive seqs from `first_seq`, and each header's prev hash is the previous record's hash;
otherwise it raises `ChainError(seq, reason)` (`GapError` for a missing seq). Every stored field
is type- and range-checked so the store can never be handed a value it cannot hold.

Why not `sealing.decode_header` here: it also proves the header is in canonical CBOR by
re-encoding it, which costs ~5x more than the parse. On the ack path the exact header bytes are
already bound by the record hash, the chain and the device's signature over the chain head, so
the canonical check moves off the ack path: the processing stage opens every record with the
full `decode_header`, and a non-canonical header lands in quarantine (`bad_header`).

Why cbor2 and not `sync.cbor_safe` here: this runs once per record on the ack path, where the
pure-Python decoder costs several times more. With `max_depth=2` value sharing (tags 28/29)
cannot expand anything: a map is the only container allowed and every field must be a plain
scalar of its type, so a tag that yields anything else is refused below, and a tag around a
scalar (no effect on the value) is caught by the canonical check when the record is opened.
"""

from __future__ import annotations

from collections.abc import Sequence

import cbor2

from sync.central.store import StoredRecord
from sync.errors import ChainError, GapError
from sync.sealing import record_hash

__all__ = ["verify_batch"]

_KEYS = frozenset({"v", "dev", "seq", "id", "kind", "at", "sync", "kid", "prev"})
_MAX_HEADER = 1024
_MAX_INT = 2**63 - 1
_MIN_CIPHERTEXT = 32 + 16  # ephemeral X25519 key + AES-GCM tag


def _text(value: object, limit: int = 64) -> bool:
    return type(value) is str and 0 < len(value) <= limit and value.isprintable()


def verify_batch(
    records: Sequence[tuple[bytes, bytes]], first_seq: int, device_id: str
) -> tuple[list[StoredRecord], bytes]:
    """(rows to store, hash of the last record) for a batch, or ChainError."""
    rows: list[StoredRecord] = []
    head: bytes | None = None
    seq = first_seq
    for header, ciphertext in records:
        if not 0 < len(header) <= _MAX_HEADER:
            raise ChainError(seq, "header size out of range")
        try:
            m = cbor2.loads(header, allow_duplicate_keys=False, allow_indefinite=False, max_depth=2)
        except (cbor2.CBORError, ValueError, TypeError, OverflowError, LookupError):
            raise ChainError(seq, "malformed header") from None
        if type(m) is not dict or m.keys() != _KEYS:
            raise ChainError(seq, "header lacks the header fields")
        got = m["seq"]
        if type(got) is not int or not 1 <= got <= _MAX_INT:
            raise ChainError(seq, "header seq is not an integer")
        if got > seq:
            raise GapError(seq, got)
        if got < seq:
            raise ChainError(got, f"out of order or duplicate (expected seq {seq})")
        if m["dev"] != device_id:
            raise ChainError(seq, "record of another device")
        prev = m["prev"]
        if type(prev) is not bytes or len(prev) != 32:
            raise ChainError(seq, "prev hash is not 32 bytes")
        if head is not None and prev != head:
            raise ChainError(seq, "prev_hash does not match the previous record")
        created_at = m["at"]
        if not (_text(m["id"]) and _text(m["kind"]) and type(created_at) is int):
            raise ChainError(seq, "header field of the wrong type")
        if not 0 <= created_at <= _MAX_INT:
            raise ChainError(seq, "created_at out of range")
        if len(ciphertext) < _MIN_CIPHERTEXT:
            raise ChainError(seq, "ciphertext too short")
        head = record_hash(header, ciphertext)
        rows.append(
            StoredRecord(seq, head, prev, m["id"], m["kind"], created_at, header, ciphertext)
        )
        seq += 1
    if head is None:
        raise ChainError(first_seq, "empty batch")
    return rows, head
