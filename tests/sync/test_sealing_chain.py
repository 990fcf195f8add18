"""The hash chain and signed chain heads catch every alteration at a precise sequence number."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.errors import ChainError, GapError, SignatureError
from sync.sealing import (
    GENESIS_HASH,
    ChainVerifier,
    RecordHeader,
    seal,
    sign_chain_head,
    verify_chain,
    verify_chain_head,
)

CENTRAL = X25519PrivateKey.generate()
DEVICE_KEY = Ed25519PrivateKey.generate()


def make_chain(n: int, device: str = "kiosk-01", first_seq: int = 1, prev: bytes = GENESIS_HASH):
    out = []
    for seq in range(first_seq, first_seq + n):
        h = RecordHeader(
            1, device, seq, str(uuid.uuid4()), "survey", 1_767_225_600, True, "k1", prev
        )
        rec = seal(h, {"score": seq % 11}, CENTRAL.public_key())
        out.append(rec)
        prev = rec.record_hash
    return out


CHAIN = make_chain(5)


def test_intact_chain_verifies_and_returns_head():
    assert verify_chain(CHAIN) == CHAIN[-1].record_hash
    assert verify_chain(CHAIN, last_hash=CHAIN[-1].record_hash) == CHAIN[-1].record_hash
    assert verify_chain([]) == GENESIS_HASH


def test_continuation_from_a_previous_batch():
    v = ChainVerifier()
    for rec in CHAIN[:2]:
        v.add(rec)
    assert verify_chain(CHAIN[2:], prev_hash=v.head, first_seq=3) == CHAIN[-1].record_hash
    with pytest.raises(ChainError) as e:
        verify_chain(CHAIN[2:], prev_hash=GENESIS_HASH, first_seq=3)
    assert e.value.seq == 3


@pytest.mark.parametrize(
    ("records", "error", "seq"),
    [
        (CHAIN[:2] + CHAIN[3:], GapError, 3),  # record 3 deleted
        (CHAIN[1:], GapError, 1),  # record 1 deleted
        ([CHAIN[0], CHAIN[2], CHAIN[1]] + CHAIN[3:], GapError, 2),  # 2 and 3 swapped
        ([CHAIN[0], CHAIN[1], CHAIN[1]] + CHAIN[2:], ChainError, 2),  # duplicate
        ([CHAIN[1], CHAIN[0]] + CHAIN[2:], GapError, 1),  # 1 and 2 swapped
        (CHAIN[:2] + make_chain(3, first_seq=3), ChainError, 3),  # spliced foreign tail
        (CHAIN[:2] + make_chain(1, "kiosk-02", 3, CHAIN[1].record_hash), ChainError, 3),
    ],
    ids=[
        "deleted",
        "first deleted",
        "swapped",
        "duplicate",
        "swapped first",
        "spliced",
        "other device",
    ],
)
def test_structural_tampering(records, error, seq):
    with pytest.raises(error) as e:
        verify_chain(records)
    assert type(e.value) is error
    assert e.value.seq == seq


def test_every_flipped_byte_is_caught_at_its_record():
    """Flip each byte of each record: the chain (with the signed head's hash) fails at that record,
    or at the next one, whose prev_hash no longer matches."""
    head = CHAIN[-1].record_hash
    for idx, rec in enumerate(CHAIN):
        for field in ("header_bytes", "ciphertext"):
            data = getattr(rec, field)
            for i in range(len(data)):
                bad = dataclasses.replace(
                    rec, **{field: data[:i] + bytes([data[i] ^ 0x80]) + data[i + 1 :]}
                )
                records = CHAIN[:idx] + [bad] + CHAIN[idx + 1 :]
                with pytest.raises(ChainError) as e:
                    verify_chain(records, last_hash=head)
                assert e.value.seq in (idx + 1, idx + 2), (idx, field, i, e.value)


def test_truncated_tail_is_caught_by_the_signed_head():
    head = CHAIN[-1].record_hash
    with pytest.raises(ChainError) as e:
        verify_chain(CHAIN[:-1], last_hash=head)
    assert e.value.seq == 4


def test_pruned_records_verify_through_their_stored_hash():
    v = ChainVerifier()
    v.add_pruned(CHAIN[0].header_bytes, CHAIN[0].record_hash)
    for rec in CHAIN[1:]:
        v.add(rec)
    v.check_head(CHAIN[-1].record_hash)
    v2 = ChainVerifier()
    v2.add_pruned(CHAIN[0].header_bytes, bytes(32))
    with pytest.raises(ChainError) as e:
        v2.add(CHAIN[1])
    assert e.value.seq == 2


def test_chain_head_signature():
    head = CHAIN[-1].record_hash
    sig = sign_chain_head(DEVICE_KEY, "kiosk-01", 5, head)
    verify_chain_head(DEVICE_KEY.public_key(), "kiosk-01", 5, head, sig)


@pytest.mark.parametrize(
    "changes",
    [
        {"device_id": "kiosk-02"},
        {"last_seq": 4},
        {"last_hash": GENESIS_HASH},
        {"signature": bytes(64)},
        {"signature": b"short"},
        {"public_key": Ed25519PrivateKey.generate().public_key()},
        {"device_id": "bad id"},
        {"last_seq": -1},
        {"last_hash": b"short"},
    ],
    ids=[
        "device",
        "seq",
        "hash",
        "zero sig",
        "short sig",
        "other key",
        "bad id",
        "neg seq",
        "short hash",
    ],
)
def test_chain_head_refuses_anything_else(changes):
    head = CHAIN[-1].record_hash
    args = {
        "public_key": DEVICE_KEY.public_key(),
        "device_id": "kiosk-01",
        "last_seq": 5,
        "last_hash": head,
        "signature": sign_chain_head(DEVICE_KEY, "kiosk-01", 5, head),
    }
    args.update(changes)
    with pytest.raises(SignatureError):
        verify_chain_head(**args)
