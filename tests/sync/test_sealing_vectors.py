"""The test vectors in docs/record-format.md are exactly what the code produces, and the format
described there can be re-implemented from the document alone (independent recomputation)."""

from __future__ import annotations

import hashlib
import re
import struct

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync.sealing import (
    GENESIS_HASH,
    RecordHeader,
    SealedRecord,
    chain_head_message,
    decode_header,
    open_record,
    seal,
    sign_chain_head,
    verify_chain,
    verify_chain_head,
)
from tests.support.paths import REPO

DOC = REPO / "docs" / "record-format.md"
DEVICE = "kiosk-chuo-01"
BODIES = {
    1: {"score": 9, "reasons": ["fast", "clear"]},
    2: {"kind_detail": "evacuee", "count": 3},
}


def _vectors() -> dict[str, bytes]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("```text", 1)[1].split("```", 1)[0]
    out = {}
    for line in block.strip().splitlines():
        key, value = (p.strip() for p in line.split("=", 1))
        assert re.fullmatch(r"[0-9a-f]*", value), key
        out[key] = bytes.fromhex(value)
    return out


def _raw(pub) -> bytes:
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _header(i: int, prev: bytes) -> RecordHeader:
    return RecordHeader(
        version=1,
        device_id=DEVICE,
        seq=i,
        record_id=f"00000000-0000-4000-8000-00000000000{i}",
        kind="survey" if i == 1 else "shelter_checkin",
        created_at=1767225600 + 60 * i,
        clock_synced=i == 1,
        key_id="seal-2026-01",
        prev_hash=prev,
    )


@pytest.fixture(scope="module")
def v():
    return _vectors()


def test_doc_has_all_vectors(v):
    for key in (
        "sealing_private_key",
        "sealing_public_key",
        "device_signing_seed",
        "device_signing_public_key",
        "head.message",
        "head.signature",
    ):
        assert key in v
    for i in (1, 2):
        for part in (
            "ephemeral_private_key",
            "body_cbor",
            "header_bytes",
            "ciphertext",
            "record_hash",
        ):
            assert f"r{i}.{part}" in v


def test_code_produces_the_documented_bytes(v):
    central = X25519PrivateKey.from_private_bytes(v["sealing_private_key"])
    assert _raw(central.public_key()) == v["sealing_public_key"]
    device = Ed25519PrivateKey.from_private_bytes(v["device_signing_seed"])
    assert _raw(device.public_key()) == v["device_signing_public_key"]
    prev = GENESIS_HASH
    records = []
    for i in (1, 2):
        eph = X25519PrivateKey.from_private_bytes(v[f"r{i}.ephemeral_private_key"])
        rec = seal(_header(i, prev), BODIES[i], central.public_key(), ephemeral_key=eph)
        assert cbor2.dumps(BODIES[i], canonical=True) == v[f"r{i}.body_cbor"]
        assert rec.header_bytes == v[f"r{i}.header_bytes"]
        assert rec.ciphertext == v[f"r{i}.ciphertext"]
        assert rec.record_hash == v[f"r{i}.record_hash"]
        assert decode_header(rec.header_bytes) == _header(i, prev)
        assert open_record(rec, central) == BODIES[i]
        records.append(rec)
        prev = rec.record_hash
    assert verify_chain(records, last_hash=v["r2.record_hash"]) == v["r2.record_hash"]
    assert chain_head_message(DEVICE, 2, prev) == v["head.message"]
    assert sign_chain_head(device, DEVICE, 2, prev) == v["head.signature"]
    verify_chain_head(device.public_key(), DEVICE, 2, prev, v["head.signature"])


def test_documented_bytes_follow_the_documented_construction(v):
    """Re-implement opening, hashing and the head message from the document, not from sync."""
    r = v["sealing_private_key"]
    central = X25519PrivateKey.from_private_bytes(r)
    recipient = _raw(central.public_key())
    prev = bytes(32)
    for i in (1, 2):
        header, ct = v[f"r{i}.header_bytes"], v[f"r{i}.ciphertext"]
        fields = cbor2.loads(header)
        assert set(fields) == {"v", "dev", "seq", "id", "kind", "at", "sync", "kid", "prev"}
        assert fields["seq"] == i and fields["prev"] == prev and fields["v"] == 1
        enc = ct[:32]
        eph = X25519PrivateKey.from_private_bytes(v[f"r{i}.ephemeral_private_key"])
        assert _raw(eph.public_key()) == enc
        shared = central.exchange(X25519PublicKey.from_public_bytes(enc))
        okm = HKDF(
            algorithm=hashes.SHA256(),
            length=44,
            salt=bytes(32),
            info=b"madoguchi/record/v1" + enc + recipient,
        ).derive(shared)
        plain = AESGCM(okm[:32]).decrypt(okm[32:], ct[32:], header)
        assert plain == v[f"r{i}.body_cbor"]
        digest = hashlib.sha256(struct.pack(">I", len(header)) + header + ct).digest()
        assert digest == v[f"r{i}.record_hash"]
        prev = digest
    message = b"madoguchi/chain-head/v1\x00" + cbor2.dumps([DEVICE, 2, prev], canonical=True)
    assert message == v["head.message"]


def test_wire_frame_round_trip(v):
    rec = SealedRecord(v["r1.header_bytes"], v["r1.ciphertext"])
    frame = rec.to_bytes()
    assert frame[:4] == struct.pack(">I", len(v["r1.header_bytes"]))
    assert SealedRecord.from_bytes(frame) == rec
