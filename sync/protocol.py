"""The sync wire protocol between a device's agent and the central receiver: pure, no I/O.

A message is ONE ZeroMQ frame holding a CBOR array `[version, type, fields]` where `fields` is a
map with exactly the keys of that type. Invariants:

- `decode` either returns one of the message dataclasses below with every field of the right type
  and within `ProtocolLimits`, or raises a `ProtocolError` subclass (`UnsupportedVersionError`,
  `UnknownMessageTypeError`, `MalformedMessageError`, `OversizeMessageError`); it never raises
  anything else, whatever the bytes.
- `decode(encode(m)) == m` for every valid message.
- The size check happens before any parsing, so an oversize frame costs nothing to refuse.
- Frames are parsed by `sync.cbor_safe.loads` (no tags at all, depth and item bounds, cost linear
  in the frame size), never by `cbor2.loads`: value sharing (tags 28/29) cannot expand a frame.
- Every `ProtocolLimits` field is enforced here: frame bytes, records per batch, bytes per record
  part, text length, payload bytes (encoded size of a REQUEST/REPLY payload), payload depth and
  items per frame.
- Integers are bounded to 0..2**63-1 (sequence numbers, ids, versions) so both SQL backends hold them.

Conversation (see docs/sync.md): agent HELLO → central ACK(batch_id=0, committed_seq) → agent
BATCH... → central ACK per batch (after commit) or ERROR; either side HEARTBEAT; agent REQUEST →
central REPLY; central BUNDLE → agent BUNDLE_ACK.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cbor2

from sync.cbor_safe import CborLimits
from sync.cbor_safe import loads as cbor_loads
from sync.errors import (
    CborError,
    MalformedMessageError,
    OversizeMessageError,
    ProtocolError,
    UnknownMessageTypeError,
    UnsupportedVersionError,
)

__all__ = [
    "PROTOCOL_VERSION",
    "Ack",
    "Batch",
    "Bundle",
    "BundleAck",
    "ErrorMessage",
    "Heartbeat",
    "Hello",
    "Message",
    "ProtocolLimits",
    "Rejection",
    "Reply",
    "Request",
    "decode",
    "encode",
]

PROTOCOL_VERSION = 1
_MAX_INT = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ProtocolLimits:
    """Byte and count bounds applied by `decode` (the receiver also sets ZMQ_MAXMSGSIZE)."""

    max_frame_bytes: int = 8 * 1024 * 1024
    max_batch_records: int = 2000
    max_record_bytes: int = 256 * 1024
    max_text_chars: int = 256
    max_payload_bytes: int = 1024 * 1024
    max_payload_depth: int = 16
    max_items: int = 200_000  # CBOR items in one frame (a full batch is ~3 per record)

    def cbor(self) -> CborLimits:
        """The decoder bounds for one frame: [version, type, {field: payload...}] adds 3 levels."""
        return CborLimits(
            max_bytes=self.max_frame_bytes,
            max_depth=self.max_payload_depth + 4,
            max_items=self.max_items,
        )


DEFAULT_LIMITS = ProtocolLimits()


@dataclass(frozen=True, slots=True)
class Hello:
    device_id: str
    last_acked_seq: int
    catalog_version: int
    device_clock: float
    agent_version: str = ""


@dataclass(frozen=True, slots=True)
class Batch:
    """Sealed records `(header_bytes, ciphertext)` with consecutive seqs from `first_seq`;
    `head_signature` is the device's Ed25519 signature over the chain head of the last record."""

    batch_id: int
    first_seq: int
    records: tuple[tuple[bytes, bytes], ...]
    head_signature: bytes


@dataclass(frozen=True, slots=True)
class Rejection:
    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class Ack:
    """`committed_seq`: highest seq such that every seq ≤ it is durably held by the central side
    (stored or quarantined). `batch_id` 0 answers a HELLO."""

    batch_id: int
    committed_seq: int
    rejections: tuple[Rejection, ...] = ()


@dataclass(frozen=True, slots=True)
class Heartbeat:
    sent_at: float


@dataclass(frozen=True, slots=True)
class Request:
    """An online request; `timeout_ms` is relative because a device clock is not trusted."""

    request_id: int
    kind: str
    payload: dict
    timeout_ms: int


@dataclass(frozen=True, slots=True)
class Reply:
    request_id: int
    ok: bool
    payload: dict = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True, slots=True)
class Bundle:
    """Opaque signed downlink bundle bytes (produced and verified by `sync.bundles`)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class BundleAck:
    ok: bool
    catalog_version: int
    error: str = ""


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """`ref` is the batch or request id the error answers (0: none); `retry_after_ms` > 0 asks
    the agent to wait before sending again."""

    code: str
    detail: str = ""
    ref: int = 0
    retry_after_ms: int = 0


Message = Hello | Batch | Ack | Heartbeat | Request | Reply | Bundle | BundleAck | ErrorMessage

_TYPE_NAMES: dict[type, str] = {
    Hello: "hello",
    Batch: "batch",
    Ack: "ack",
    Heartbeat: "heartbeat",
    Request: "request",
    Reply: "reply",
    Bundle: "bundle",
    BundleAck: "bundle_ack",
    ErrorMessage: "error",
}
_TYPES_BY_NAME = {name: cls for cls, name in _TYPE_NAMES.items()}
_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(cls.__dataclass_fields__)
    for cls in _TYPE_NAMES  # type: ignore[attr-defined]
}


def encode(message: Message) -> bytes:
    """One frame for `message`. Encoding is not validated: build messages from trusted values."""
    cls = type(message)
    name = _TYPE_NAMES.get(cls)
    if name is None:
        raise TypeError(f"not a protocol message: {cls.__name__}")
    fields = {key: getattr(message, key) for key in _FIELDS[cls]}
    if cls is Batch:
        fields["records"] = [list(pair) for pair in message.records]  # type: ignore[union-attr]
    elif cls is Ack:
        fields["rejections"] = [[r.seq, r.reason] for r in message.rejections]  # type: ignore[union-attr]
    return cbor2.dumps([PROTOCOL_VERSION, name, fields])


def decode(frame: bytes, limits: ProtocolLimits = DEFAULT_LIMITS) -> Message:
    """Strictly decode one frame; raises a `ProtocolError` subclass on anything unexpected."""
    if not isinstance(frame, bytes | bytearray | memoryview):
        raise MalformedMessageError("frame is not bytes")
    if len(frame) > limits.max_frame_bytes:
        raise OversizeMessageError("frame", len(frame), limits.max_frame_bytes)
    try:
        raw = cbor_loads(frame, limits.cbor())
    except CborError as e:
        raise MalformedMessageError(f"not plain CBOR: {e.cbor_reason}") from None
    if not isinstance(raw, list) or len(raw) != 3:
        raise MalformedMessageError("frame is not [version, type, fields]")
    version, name, fields = raw
    if type(version) is not int:
        raise MalformedMessageError("version is not an integer")
    if version != PROTOCOL_VERSION:
        raise UnsupportedVersionError(version)
    if type(name) is not str:
        raise MalformedMessageError("type is not a string")
    cls = _TYPES_BY_NAME.get(name)
    if cls is None:
        raise UnknownMessageTypeError(name)
    if type(fields) is not dict or set(fields) != set(_FIELDS[cls]):
        raise MalformedMessageError(f"{name}: wrong field set")
    try:
        return _BUILDERS[cls](fields, limits)
    except ProtocolError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError) as e:  # defensive: never escape
        raise MalformedMessageError(f"{name}: {type(e).__name__}") from None


# --- field checks -----------------------------------------------------------------------------


def _int(fields: dict, key: str) -> int:
    value = fields[key]
    if type(value) is not int or not 0 <= value <= _MAX_INT:
        raise MalformedMessageError(f"{key} is not an integer in range")
    return value


def _float(fields: dict, key: str) -> float:
    value = fields[key]
    if type(value) is int and abs(value) <= _MAX_INT:
        value = float(value)
    if type(value) is not float or not math.isfinite(value):
        raise MalformedMessageError(f"{key} is not a finite number")
    return value


def _bool(fields: dict, key: str) -> bool:
    value = fields[key]
    if type(value) is not bool:
        raise MalformedMessageError(f"{key} is not a boolean")
    return value


def _text(fields: dict, key: str, limits: ProtocolLimits, *, empty: bool = True) -> str:
    value = fields[key]
    if type(value) is not str:
        raise MalformedMessageError(f"{key} is not text")
    if len(value) > limits.max_text_chars:
        raise OversizeMessageError(key, len(value), limits.max_text_chars)
    if not empty and not value:
        raise MalformedMessageError(f"{key} is empty")
    return value


def _bytes(value: object, key: str, limit: int) -> bytes:
    if type(value) is not bytes:
        raise MalformedMessageError(f"{key} is not bytes")
    if len(value) > limit:
        raise OversizeMessageError(key, len(value), limit)
    return value


def _payload(fields: dict, key: str, limits: ProtocolLimits) -> dict:
    value = fields[key]
    if type(value) is not dict:
        raise MalformedMessageError(f"{key} is not a map")
    _check_plain(value, key, limits.max_payload_depth)
    # No sharing is possible after cbor_safe, so re-encoding costs what the frame cost to read.
    size = len(cbor2.dumps(value))
    if size > limits.max_payload_bytes:
        raise OversizeMessageError(key, size, limits.max_payload_bytes)
    return value


def _check_plain(value: object, key: str, depth: int) -> None:
    """Only plain data in payloads: string map keys, finite floats, integers in range (tags were
    already refused by the decoder)."""
    if depth < 0:
        raise MalformedMessageError(f"{key} nested too deeply")
    kind = type(value)
    if kind is dict:
        for k, v in value.items():  # type: ignore[attr-defined]
            if type(k) is not str:
                raise MalformedMessageError(f"{key} has a non-text key")
            _check_plain(v, key, depth - 1)
    elif kind is list:
        for v in value:  # type: ignore[attr-defined]
            _check_plain(v, key, depth - 1)
    elif kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise MalformedMessageError(f"{key} holds a non-finite number")
    elif kind is int:
        if abs(value) > _MAX_INT:  # type: ignore[arg-type]
            raise MalformedMessageError(f"{key} holds an integer out of range")
    elif kind not in (str, bool, bytes, type(None)):
        raise MalformedMessageError(f"{key} holds a {kind.__name__}")


def _hello(f: dict, lim: ProtocolLimits) -> Hello:
    return Hello(
        device_id=_text(f, "device_id", lim, empty=False),
        last_acked_seq=_int(f, "last_acked_seq"),
        catalog_version=_int(f, "catalog_version"),
        device_clock=_float(f, "device_clock"),
        agent_version=_text(f, "agent_version", lim),
    )


def _batch(f: dict, lim: ProtocolLimits) -> Batch:
    records = f["records"]
    if type(records) is not list:
        raise MalformedMessageError("records is not a list")
    if not records:
        raise MalformedMessageError("records is empty")
    if len(records) > lim.max_batch_records:
        raise OversizeMessageError("batch", len(records), lim.max_batch_records)
    pairs = []
    for pair in records:
        if type(pair) is not list or len(pair) != 2:
            raise MalformedMessageError("a record is not [header, ciphertext]")
        pairs.append(
            (
                _bytes(pair[0], "record header", lim.max_record_bytes),
                _bytes(pair[1], "record ciphertext", lim.max_record_bytes),
            )
        )
    first_seq = _int(f, "first_seq")
    if first_seq < 1 or first_seq + len(pairs) - 1 > _MAX_INT:
        raise MalformedMessageError("first_seq out of range")
    return Batch(
        batch_id=_int(f, "batch_id"),
        first_seq=first_seq,
        records=tuple(pairs),
        head_signature=_bytes(f["head_signature"], "head_signature", 1024),
    )


def _ack(f: dict, lim: ProtocolLimits) -> Ack:
    rejections = f["rejections"]
    if type(rejections) is not list or len(rejections) > lim.max_batch_records:
        raise MalformedMessageError("rejections is not a bounded list")
    out = []
    for item in rejections:
        if type(item) is not list or len(item) != 2:
            raise MalformedMessageError("a rejection is not [seq, reason]")
        entry = {"seq": item[0], "reason": item[1]}
        out.append(Rejection(_int(entry, "seq"), _text(entry, "reason", lim)))
    return Ack(_int(f, "batch_id"), _int(f, "committed_seq"), tuple(out))


def _heartbeat(f: dict, lim: ProtocolLimits) -> Heartbeat:
    return Heartbeat(_float(f, "sent_at"))


def _request(f: dict, lim: ProtocolLimits) -> Request:
    return Request(
        request_id=_int(f, "request_id"),
        kind=_text(f, "kind", lim, empty=False),
        payload=_payload(f, "payload", lim),
        timeout_ms=_int(f, "timeout_ms"),
    )


def _reply(f: dict, lim: ProtocolLimits) -> Reply:
    return Reply(
        request_id=_int(f, "request_id"),
        ok=_bool(f, "ok"),
        payload=_payload(f, "payload", lim),
        error=_text(f, "error", lim),
    )


def _bundle(f: dict, lim: ProtocolLimits) -> Bundle:
    return Bundle(_bytes(f["data"], "bundle", lim.max_frame_bytes))


def _bundle_ack(f: dict, lim: ProtocolLimits) -> BundleAck:
    return BundleAck(_bool(f, "ok"), _int(f, "catalog_version"), _text(f, "error", lim))


def _error(f: dict, lim: ProtocolLimits) -> ErrorMessage:
    return ErrorMessage(
        code=_text(f, "code", lim, empty=False),
        detail=_text(f, "detail", lim),
        ref=_int(f, "ref"),
        retry_after_ms=_int(f, "retry_after_ms"),
    )


_BUILDERS = {
    Hello: _hello,
    Batch: _batch,
    Ack: _ack,
    Heartbeat: _heartbeat,
    Request: _request,
    Reply: _reply,
    Bundle: _bundle,
    BundleAck: _bundle_ack,
    ErrorMessage: _error,
}
