"""The one safe CBOR decoder (`sync.cbor_safe`) and the protocol frames decoded with it.

Table-driven hostile inputs (value sharing, cycles, tags, depth, counts larger than the data...)
are refused with a `CborError` at the byte where they stand; hypothesis checks that plain values
round-trip exactly as cbor2 reads them, that arbitrary bytes never raise anything else, and that
no value handed back shares a container. The issue's expanding frames are refused at their
first tag, before anything under it is read (behaviour, not time).
"""

import math

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.cbor_safe import BODY_LIMITS, CborLimits, loads
from sync.errors import CborError, MalformedMessageError, ProtocolError
from sync.protocol import PROTOCOL_VERSION, Request, decode, encode

BOUNDED = settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def _shared_dag(width: int, depth: int) -> object:
    """A DAG whose plain expansion has width**depth leaves: each level is one list holding
    `width` references to the level below."""
    value: object = [1]
    for _ in range(depth):
        value = [value] * width
    return value


def _sharing_request(width: int = 4, depth: int = 12) -> bytes:
    """The issue's frame: a REQUEST whose payload expands as width**depth through tags 28/29."""
    fields = {"request_id": 1, "kind": "slots", "payload": {"a": _shared_dag(width, depth)}}
    fields["timeout_ms"] = 100
    return cbor2.dumps([PROTOCOL_VERSION, "request", fields], value_sharing=True)


def test_sharing_frame_is_what_the_issue_describes():
    frame = _sharing_request()
    assert len(frame) < 300
    # cbor2 itself resolves the sharing: this is the frame that expanded before the change
    raw = cbor2.loads(frame)
    leaf = raw[2]["payload"]["a"]
    assert leaf[0] is leaf[1]


CYCLIC = b"\xd8\x1c\xa1\x64self\xd8\x1d\x00"  # 28({"self": 29(0)}): a map that holds itself

HOSTILE = [
    ("shareable", cbor2.dumps(cbor2.CBORTag(28, [1])), "tag 28", 0),
    ("sharedref", b"\x82\xd8\x1c\x80\xd8\x1d\x00", "tag 28", 1),
    ("cyclic map", CYCLIC, "tag 28", 0),
    ("sharing dag", cbor2.dumps(_shared_dag(4, 12), value_sharing=True), "tag 28", 0),
    ("datetime tag", cbor2.dumps(cbor2.CBORTag(1, 0)), "tag 1", 0),
    ("bignum tag", cbor2.dumps(2**70), "tag 2", 0),
    ("set tag", cbor2.dumps(cbor2.CBORTag(258, [1])), "tag 258", 0),
    ("indefinite list", b"\x9f\x01\xff", "indefinite", 0),
    ("indefinite bytes", b"\x5f\x41a\xff", "indefinite", 0),
    ("break", b"\xff", "break", 0),
    ("undefined", b"\xf7", "undefined", 0),
    ("simple 0", b"\xe0", "undefined", 0),
    ("reserved head", b"\x1c", "reserved", 0),
    ("truncated int", b"\x1b\x00\x00", "truncated", 0),
    ("truncated float", b"\xfb\x00", "truncated float", 0),
    ("bytes past end", b"\x5a\xff\xff\xff\xff" + b"x", "longer than", 0),
    ("list count past end", b"\x9b" + b"\xff" * 8, "count larger", 0),
    ("map count past end", b"\xba\x7f\xff\xff\xff", "count larger", 0),
    ("empty", b"", "truncated", 0),
    ("trailing", b"\x01\x02", "trailing", 1),
    ("bad utf-8", b"\x62\xc3\x28", "UTF-8", 0),
    ("duplicate key", b"\xa2\x61a\x01\x61a\x02", "duplicate", 0),
    ("list key", b"\xa1\x80\x01", "map key", 0),
    ("bool key", b"\xa1\xf5\x01", "map key", 0),
    ("too deep", b"\x81" * 40 + b"\x01", "deeply", 32),
]


@pytest.mark.parametrize(
    "data,reason,max_offset", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_cbor_is_refused_where_it_stands(data, reason, max_offset):
    with pytest.raises(CborError) as e:
        loads(data)
    assert reason in e.value.cbor_reason
    assert e.value.offset <= max_offset + 9  # refused at (or just after) the offending head
    assert isinstance(e.value, MalformedMessageError)  # one error family for every caller


def test_item_and_size_bounds():
    with pytest.raises(CborError, match="too many items"):
        loads(cbor2.dumps(list(range(100))), CborLimits(max_items=50))
    with pytest.raises(CborError, match="limit"):
        loads(b"\x40" * 10, CborLimits(max_bytes=5))
    with pytest.raises(CborError, match="not bytes"):
        loads("text")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CborLimits(allow_tags=frozenset({29}))


def test_allowed_tags_keep_only_scalars():
    import datetime

    body = {
        "born": datetime.date(1990, 4, 1),
        "at": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
    }
    assert loads(cbor2.dumps(body, canonical=True), BODY_LIMITS) == {
        "born": "1990-04-01",
        "at": "2026-01-02T00:00:00Z",
    }
    with pytest.raises(CborError, match="does not wrap"):
        loads(cbor2.dumps(cbor2.CBORTag(0, [1])), BODY_LIMITS)
    with pytest.raises(CborError, match="tag 28"):
        loads(CYCLIC, BODY_LIMITS)


# --- the protocol frames ------------------------------------------------------------------------


def test_issue_sharing_frame_is_refused_by_decode():
    frame = _sharing_request()
    with pytest.raises(MalformedMessageError, match="tag 28"):
        decode(frame)


def test_payload_over_max_payload_bytes_is_refused():
    from sync.errors import OversizeMessageError
    from sync.protocol import ProtocolLimits

    frame = encode(Request(1, "slots", {"blob": b"x" * 5000}, 100))
    with pytest.raises(OversizeMessageError) as e:
        decode(frame, ProtocolLimits(max_payload_bytes=4096))
    assert e.value.what == "payload" and e.value.limit == 4096
    assert decode(frame).payload == {"blob": b"x" * 5000}  # the default limit holds it


# --- properties ---------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20)
)
_plain = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=8) | st.integers(-5, 5), inner, max_size=5)
    ),
    max_leaves=40,
)


def _containers(value, seen: set[int]) -> None:
    if isinstance(value, list | dict):
        assert id(value) not in seen, "a container is shared"
        seen.add(id(value))
        for v in value.values() if isinstance(value, dict) else value:
            _containers(v, seen)


@BOUNDED
@given(_plain)
def test_plain_values_read_as_cbor2_reads_them(value):
    data = cbor2.dumps(value)
    got = loads(data)
    assert got == cbor2.loads(data)
    _containers(got, set())


@BOUNDED
@given(st.binary(max_size=512))
def test_arbitrary_bytes_give_a_value_or_cbor_error(data):
    try:
        value = loads(data)
    except CborError:
        return
    _containers(value, set())
    assert cbor2.loads(data) == value or _has_nan(value)


def _has_nan(value) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    return False


@BOUNDED
@given(_plain, st.integers(min_value=0, max_value=2**16), st.data())
def test_a_tag_anywhere_is_refused(value, tag, data):
    """Wrap any part of a plain value in a tag (never allowed by default): always refused."""
    wrapped = cbor2.dumps([value, cbor2.CBORTag(tag, value)])
    with pytest.raises(CborError, match=f"tag {tag} "):
        loads(wrapped)


@BOUNDED
@given(st.binary(max_size=300))
def test_protocol_decode_never_escapes(data):
    try:
        decode(b"\x83\x01\x67request" + data)
    except ProtocolError:
        pass
