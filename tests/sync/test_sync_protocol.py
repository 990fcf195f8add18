"""The wire protocol: every message round-trips; bad frames raise a typed ProtocolError, never
anything else (table-driven cases, then hypothesis over arbitrary bytes and CBOR values)."""

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import (
    MalformedMessageError,
    OversizeMessageError,
    ProtocolError,
    UnknownMessageTypeError,
    UnsupportedVersionError,
)
from sync.protocol import (
    PROTOCOL_VERSION,
    Ack,
    Batch,
    Bundle,
    BundleAck,
    ErrorMessage,
    Heartbeat,
    Hello,
    ProtocolLimits,
    Rejection,
    Reply,
    Request,
    decode,
    encode,
)

MESSAGES = [
    Hello("dev-1", 41, 7, 1_790_000_000.5, "agent/1"),
    Batch(3, 42, ((b"h1", b"c1"), (b"h2", b"c2")), b"s" * 64),
    Ack(3, 43, (Rejection(43, "conflict"),)),
    Ack(0, 0),
    Heartbeat(1.25),
    Request(9, "consultation.slots", {"topic": "tax", "days": [1, 2], "x": None}, 1500),
    Reply(9, True, {"slots": ["10:00"]}),
    Reply(9, False, {}, "unknown_kind"),
    Bundle(b"\x00signed bundle"),
    BundleAck(True, 8),
    ErrorMessage("rate_limited", "slow down", 3, 250),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(message):
    assert decode(encode(message)) == message


def _frame(version=PROTOCOL_VERSION, name="heartbeat", fields=None):
    return cbor2.dumps([version, name, {"sent_at": 1.0} if fields is None else fields])


LIMITS = ProtocolLimits(max_frame_bytes=4096, max_batch_records=3, max_record_bytes=100)

BAD = [
    ("not cbor", b"\xff\xfe", MalformedMessageError),
    ("empty", b"", MalformedMessageError),
    ("not a list", cbor2.dumps({"v": 1}), MalformedMessageError),
    ("two items", cbor2.dumps([1, "heartbeat"]), MalformedMessageError),
    ("version 2", _frame(version=2), UnsupportedVersionError),
    ("version 0", _frame(version=0), UnsupportedVersionError),
    ("version text", _frame(version="1"), MalformedMessageError),
    ("version bool", _frame(version=True), MalformedMessageError),
    ("unknown type", _frame(name="teleport"), UnknownMessageTypeError),
    ("type not text", _frame(name=5), MalformedMessageError),
    ("fields not map", cbor2.dumps([1, "heartbeat", [1.0]]), MalformedMessageError),
    ("missing field", _frame(fields={}), MalformedMessageError),
    ("extra field", _frame(fields={"sent_at": 1.0, "x": 1}), MalformedMessageError),
    ("nan", _frame(fields={"sent_at": float("nan")}), MalformedMessageError),
    ("float as text", _frame(fields={"sent_at": "1.0"}), MalformedMessageError),
    ("oversize frame", b"\x00" * 5000, OversizeMessageError),
    (
        "negative seq",
        _frame(name="ack", fields={"batch_id": 1, "committed_seq": -1, "rejections": []}),
        MalformedMessageError,
    ),
    (
        "huge int",
        _frame(name="ack", fields={"batch_id": 2**70, "committed_seq": 1, "rejections": []}),
        MalformedMessageError,
    ),
    (
        "bool as int",
        _frame(name="ack", fields={"batch_id": True, "committed_seq": 1, "rejections": []}),
        MalformedMessageError,
    ),
    (
        "too many records",
        encode(Batch(1, 1, tuple((b"h", b"c") for _ in range(4)), b"s")),
        OversizeMessageError,
    ),
    ("empty batch", encode(Batch(1, 1, (), b"s")), MalformedMessageError),
    ("record too big", encode(Batch(1, 1, ((b"h", b"c" * 101),), b"s")), OversizeMessageError),
    ("seq zero", encode(Batch(1, 0, ((b"h", b"c"),), b"s")), MalformedMessageError),
    (
        "record not pair",
        _frame(
            name="batch",
            fields={"batch_id": 1, "first_seq": 1, "records": [[b"h"]], "head_signature": b""},
        ),
        MalformedMessageError,
    ),
    (
        "record text",
        _frame(
            name="batch",
            fields={"batch_id": 1, "first_seq": 1, "records": [["h", b"c"]], "head_signature": b""},
        ),
        MalformedMessageError,
    ),
    (
        "payload tag",
        cbor2.dumps(
            [
                1,
                "request",
                {
                    "request_id": 1,
                    "kind": "k",
                    "payload": {"d": cbor2.CBORTag(1, 0)},
                    "timeout_ms": 5,
                },
            ]
        ),
        MalformedMessageError,
    ),
    (
        "payload int key",
        cbor2.dumps(
            [1, "request", {"request_id": 1, "kind": "k", "payload": {1: 2}, "timeout_ms": 5}]
        ),
        MalformedMessageError,
    ),
    ("empty kind", encode(Request(1, "", {}, 5)), MalformedMessageError),
    ("long text", encode(Hello("d" * 300, 0, 0, 0.0)), OversizeMessageError),
    (
        "duplicate keys",
        b"\x83\x01\x69heartbeat\xa2\x67sent_at\xf9\x3c\x00\x67sent_at\xf9\x3c\x00",
        MalformedMessageError,
    ),
]


@pytest.mark.parametrize("frame,error", [(f, e) for _, f, e in BAD], ids=[n for n, _, _ in BAD])
def test_bad_frames_raise_typed_errors(frame, error):
    with pytest.raises(error) as info:
        decode(frame, LIMITS)
    assert isinstance(info.value, ProtocolError)
    assert info.value.code


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_escape(data):
    try:
        decode(data, LIMITS)
    except ProtocolError:
        pass


_cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([1, 2, 0, "1"]),
    st.sampled_from(
        [
            "hello",
            "batch",
            "ack",
            "heartbeat",
            "request",
            "reply",
            "bundle",
            "bundle_ack",
            "error",
            "x",
        ]
    ),
    st.dictionaries(st.text(max_size=16), _cbor_values, max_size=6),
)
def test_structured_garbage_never_escapes(version, name, fields):
    try:
        decode(cbor2.dumps([version, name, fields]), LIMITS)
    except ProtocolError:
        pass


_TYPES = {type(m): m for m in MESSAGES}


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(sorted(_TYPES, key=lambda t: t.__name__)), st.data())
def test_right_fields_wrong_values_never_escape(cls, data):
    """Exactly the right field names with arbitrary values: the deepest decode paths."""
    names = cls.__dataclass_fields__
    fields = {name: data.draw(_cbor_values, label=name) for name in names}
    frame = encode(_TYPES[cls])
    name = cbor2.loads(frame)[1]
    try:
        decode(cbor2.dumps([1, name, fields]), LIMITS)
    except ProtocolError:
        pass
