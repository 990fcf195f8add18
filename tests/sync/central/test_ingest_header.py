"""The ack path's record header parse (`receiver_chain.verify_batch`) under hypothesis: arbitrary
header bytes, mutated real headers and tagged values never raise anything but `ChainError`, and a
header with a value-sharing tag is refused (bounded time per example)."""

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.central.receiver_chain import verify_batch
from sync.errors import ChainError
from sync.sealing import GENESIS_HASH, RecordHeader, encode_header

BOUNDED = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
CIPHERTEXT = bytes(64)


def _header(**changes) -> dict:
    fields = {
        "v": 1,
        "dev": "dev-1",
        "seq": 1,
        "id": "1e2bff19-9024-434f-9d7d-3d8c3e3ad71c",
        "kind": "survey",
        "at": 1_790_000_000,
        "sync": True,
        "kid": "k1",
        "prev": GENESIS_HASH,
    }
    fields.update(changes)
    return fields


def test_a_real_header_verifies():
    real = encode_header(
        RecordHeader(
            1,
            "dev-1",
            1,
            "1e2bff19-9024-434f-9d7d-3d8c3e3ad71c",
            "survey",
            1_790_000_000,
            True,
            "k1",
            GENESIS_HASH,
        )
    )
    rows, _ = verify_batch([(real, CIPHERTEXT)], 1, "dev-1")
    assert rows[0].seq == 1 and rows[0].kind == "survey"


@pytest.mark.parametrize(
    "field,value",
    [
        ("kind", cbor2.CBORTag(29, 0)),
        ("at", cbor2.CBORTag(1, 0)),
        ("dev", ["dev-1"]),
        ("prev", {"a": GENESIS_HASH}),
    ],
)
def test_tagged_or_nested_header_fields_are_refused(field, value):
    header = cbor2.dumps(_header(**{field: value}))
    with pytest.raises(ChainError):
        verify_batch([(header, CIPHERTEXT)], 1, "dev-1")


@pytest.mark.parametrize(
    "field,value", [("prev", cbor2.CBORTag(28, GENESIS_HASH)), ("seq", cbor2.CBORTag(2, b"\x01"))]
)
def test_a_tag_around_a_scalar_cannot_expand_and_is_caught_when_opened(field, value):
    """At depth 2 a tag that yields a plain scalar (a sharing marker, a bignum 1) shares
    nothing; the ack path's light parse lets it through, and the processing stage's canonical
    check quarantines the record (bad_header)."""
    from sync.errors import RecordFormatError
    from sync.sealing import decode_header

    header = cbor2.dumps(_header(**{field: value}))
    rows, _ = verify_batch([(header, CIPHERTEXT)], 1, "dev-1")
    with pytest.raises(RecordFormatError, match="canonical"):
        decode_header(rows[0].header)


@BOUNDED
@given(st.binary(min_size=0, max_size=1100))
def test_arbitrary_header_bytes_raise_only_chain_error(header):
    try:
        verify_batch([(header, CIPHERTEXT)], 1, "dev-1")
    except ChainError:
        pass


@BOUNDED
@given(
    st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=255), st.booleans()
)
def test_mutated_headers_raise_only_chain_error(pos, xor, cut):
    real = bytearray(cbor2.dumps(_header()))
    pos %= len(real)
    real[pos] ^= xor
    data = bytes(real[:pos] if cut else real)
    try:
        verify_batch([(data, CIPHERTEXT)], 1, "dev-1")
    except ChainError:
        pass
