"""Header encoding is strict and canonical; sealing round-trips and refuses bad input (table-driven)."""

from __future__ import annotations

import dataclasses
import uuid

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.errors import OpenError, RecordFormatError, SealError
from sync.sealing import (
    GENESIS_HASH,
    KINDS,
    RecordHeader,
    SealedRecord,
    decode_header,
    encode_header,
    open_record,
    seal,
)

CENTRAL = X25519PrivateKey.generate()


def header(**changes) -> RecordHeader:
    base = RecordHeader(
        version=1,
        device_id="kiosk-01",
        seq=7,
        record_id=str(uuid.UUID(int=0xABCDEF0123, version=4)),
        kind="application",
        created_at=1_767_225_600,
        clock_synced=False,
        key_id="seal-1",
        prev_hash=bytes(range(32)),
    )
    return dataclasses.replace(base, **changes)


def test_round_trip_every_kind():
    for kind in sorted(KINDS):
        h = header(kind=kind)
        assert decode_header(encode_header(h)) == h


BAD_HEADERS = [
    ("version 2", {"version": 2}),
    ("version bool", {"version": True}),
    ("seq 0", {"seq": 0}),
    ("seq negative", {"seq": -1}),
    ("seq float", {"seq": 1.0}),
    ("seq huge", {"seq": 2**64}),
    ("seq bool", {"seq": True}),
    ("device id empty", {"device_id": ""}),
    ("device id space", {"device_id": "kiosk 01"}),
    ("device id non-ascii", {"device_id": "窓口"}),
    ("device id too long", {"device_id": "k" * 65}),
    ("key id bytes", {"key_id": b"seal"}),
    ("record id not uuid", {"record_id": "not-a-uuid"}),
    ("record id uppercase", {"record_id": str(uuid.UUID(int=0xABCDEF0123, version=4)).upper()}),
    ("record id braces", {"record_id": "{" + str(uuid.UUID(int=0xABCDEF0123, version=4)) + "}"}),
    ("kind unknown", {"kind": "resident_name"}),
    ("kind not str", {"kind": 3}),
    ("created_at negative", {"created_at": -5}),
    ("created_at float", {"created_at": 1.5}),
    ("created_at iso string", {"created_at": "2026-01-01T00:00:00Z"}),
    ("clock_synced int", {"clock_synced": 1}),
    ("prev short", {"prev_hash": bytes(31)}),
    ("prev long", {"prev_hash": bytes(33)}),
    ("prev str", {"prev_hash": "00" * 32}),
    ("prev bytearray", {"prev_hash": bytearray(32)}),
]


@pytest.mark.parametrize("changes", [c for _, c in BAD_HEADERS], ids=[n for n, _ in BAD_HEADERS])
def test_encode_refuses_bad_fields(changes):
    with pytest.raises(RecordFormatError):
        encode_header(header(**changes))


def _map(**changes):
    m = cbor2.loads(encode_header(header()))
    m.update(changes)
    return m


BAD_BYTES = [
    ("empty", b""),
    ("not cbor", b"\xff\xff"),
    ("truncated", encode_header(header())[:-3]),
    ("trailing byte", encode_header(header()) + b"\x00"),
    ("array not map", cbor2.dumps([1, 2, 3])),
    ("missing key", cbor2.dumps({k: v for k, v in _map().items() if k != "kid"}, canonical=True)),
    ("extra key", cbor2.dumps(_map(name="Yamada Taro"), canonical=True)),
    ("not canonical order", cbor2.dumps(dict(sorted(_map().items(), reverse=True)))),
    ("wrong version", cbor2.dumps(_map(v=9), canonical=True)),
    ("seq as text", cbor2.dumps(_map(seq="7"), canonical=True)),
    ("too long", b"\xa0" + b"\x00" * 2000),
    # duplicate key: a map of 10 entries whose last repeats "v"
    (
        "duplicate key",
        encode_header(header()).replace(b"\xa9", b"\xaa", 1) + cbor2.dumps("v") + b"\x01",
    ),
    # indefinite-length map with the same content
    ("indefinite map", b"\xbf" + encode_header(header())[1:] + b"\xff"),
]


@pytest.mark.parametrize("data", [d for _, d in BAD_BYTES], ids=[n for n, _ in BAD_BYTES])
def test_decode_refuses_bad_bytes(data):
    with pytest.raises(RecordFormatError):
        decode_header(data)


def test_seal_open_round_trip_and_fresh_ephemeral():
    body = {"procedure": "moving-in", "fields": {"count": 2}, "blob": b"\x00\x01"}
    a = seal(header(), body, CENTRAL.public_key())
    b = seal(header(), body, CENTRAL.public_key())
    assert a.ciphertext != b.ciphertext  # a fresh ephemeral key every time
    assert open_record(a, CENTRAL) == body == open_record(b, CENTRAL)
    assert a.seq == 7 and a.header == header()


def test_open_with_wrong_key_fails():
    rec = seal(header(), {"a": 1}, CENTRAL.public_key())
    with pytest.raises(OpenError):
        open_record(rec, X25519PrivateKey.generate())


def test_open_detects_any_flipped_byte():
    rec = seal(header(), {"a": "b" * 20}, CENTRAL.public_key())
    for field in ("header_bytes", "ciphertext"):
        data = getattr(rec, field)
        for i in range(len(data)):
            flipped = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
            with pytest.raises(OpenError):
                open_record(dataclasses.replace(rec, **{field: flipped}), CENTRAL)


@pytest.mark.parametrize(
    "body",
    [["not", "a", "map"], "text", {"x": object()}, {"x": {1, 2}.__iter__()}],
    ids=["list", "str", "object", "iterator"],
)
def test_seal_refuses_bad_bodies(body):
    with pytest.raises(SealError):
        seal(header(), body, CENTRAL.public_key())


def test_seal_refuses_bad_key_and_header():
    with pytest.raises(SealError):
        seal(header(), {}, CENTRAL)  # a private key is not a public key
    with pytest.raises(RecordFormatError):
        seal(header(seq=0), {}, CENTRAL.public_key())


@pytest.mark.parametrize(
    "frame",
    [b"", b"\x00\x00", b"\x00\x00\x00\x00" + b"x" * 64, b"\x00\x00\x10\x00" + b"x" * 10],
    ids=["empty", "short prefix", "zero header", "header longer than frame"],
)
def test_frame_refuses_bad_framing(frame):
    with pytest.raises(RecordFormatError):
        SealedRecord.from_bytes(frame)


def test_open_refuses_short_ciphertext():
    with pytest.raises(OpenError):
        open_record(SealedRecord(encode_header(header()), b"\x00" * 40), CENTRAL)


def test_genesis_is_32_zero_bytes():
    assert GENESIS_HASH == bytes(32)


# --- untrusted bytes: decode either returns a canonical header or raises RecordFormatError --------

_VALID = encode_header(header())


def _decode_or_format_error(data: bytes) -> None:
    try:
        h = decode_header(data)
    except RecordFormatError:
        return
    assert encode_header(h) == data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_decoder(data):
    _decode_or_format_error(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(_VALID) - 1), st.integers(1, 255), st.integers(0, 8))
def test_mutated_headers_never_crash_the_decoder(pos, xor, cut):
    data = bytearray(_VALID)
    data[pos] ^= xor
    _decode_or_format_error(bytes(data[: len(data) - cut]))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_frames_raise_only_format_errors(data):
    try:
        rec = SealedRecord.from_bytes(data)
    except RecordFormatError:
        return
    try:
        assert rec.header.seq >= 1
    except RecordFormatError:
        pass
    with pytest.raises(OpenError):
        open_record(rec, CENTRAL)
