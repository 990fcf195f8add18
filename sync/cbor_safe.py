"""The one CBOR decoder for bytes from outside the process: frames, record headers, opened bodies.

Why not `cbor2.loads`: cbor2 resolves tags 28/29 (value sharing) itself, so a few hundred bytes
can decode into a DAG that every later walk (plain-data check, JSON, SQL) expands as N^depth,
and a cyclic one makes them raise. This decoder is a small pure-Python parser with no
semantic tags at all. Guarantees of `loads(data, limits)`:

- It returns only plain trees of `dict`, `list`, `str`, `bytes`, `int`, `float`, `bool` and
  `None`; every container is a fresh object referenced once (no sharing, no cycles). Map keys
  are `str`, `int` or `bytes`, never duplicated.
- A tag is refused where it stands, before anything under it is read, unless its number is in
  `limits.allow_tags` AND it wraps a text string or a number (then the tag is dropped and the
  plain value kept). Tags 28 and 29 can never be allowed.
- Cost is linear in `len(data)`: every item consumes at least one byte, a declared length or
  count larger than the bytes left is refused before anything is allocated, and the input is
  bounded by `limits.max_bytes`, `max_depth` and `max_items` (checked as the parse goes).
- Indefinite lengths, undefined/unassigned simple values, invalid UTF-8 and trailing bytes are
  refused. Every refusal is a `CborError` (with `reason` and byte `offset`); nothing else is
  raised, whatever the bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from sync.errors import CborError

__all__ = ["BODY_LIMITS", "CborLimits", "loads"]

_NEVER = frozenset({28, 29})  # value sharing: the whole point of this module


@dataclass(frozen=True, slots=True)
class CborLimits:
    """Bounds for one `loads` call. `allow_tags`: tag numbers whose scalar content is kept."""

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 32
    max_items: int = 1_000_000
    allow_tags: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.allow_tags & _NEVER:
            raise ValueError("tags 28/29 (value sharing) cannot be allowed")


# Opened record bodies: sealed with `cbor2.dumps(canonical=True)` by the kiosk, so a date or
# datetime a form put in a body arrives as tag 0/1/100/1004 around a scalar: kept as that scalar.
BODY_LIMITS = CborLimits(
    max_bytes=1024 * 1024, max_depth=16, max_items=100_000, allow_tags=frozenset({0, 1, 100, 1004})
)

_HALF, _SINGLE, _DOUBLE = struct.Struct(">e"), struct.Struct(">f"), struct.Struct(">d")
_SIMPLE = {20: False, 21: True, 22: None}


class _Parser:
    __slots__ = ("allow", "data", "end", "items", "max_depth", "max_items", "pos")

    def __init__(self, data: bytes, limits: CborLimits) -> None:
        self.data, self.pos, self.end = data, 0, len(data)
        self.items, self.max_items = 0, limits.max_items
        self.max_depth, self.allow = limits.max_depth, limits.allow_tags

    def fail(self, reason: str) -> CborError:
        return CborError(reason, self.pos)

    def argument(self, info: int) -> int:
        """The head's argument (additional info 0..27); the head byte is already consumed."""
        if info < 24:
            return info
        if info > 27:
            raise self.fail("indefinite length or reserved head")
        size = 1 << (info - 24)
        pos = self.pos
        if pos + size > self.end:
            raise self.fail("truncated head")
        self.pos = pos + size
        return int.from_bytes(self.data[pos : pos + size], "big")

    def item(self, depth: int) -> object:
        if self.pos >= self.end:
            raise self.fail("truncated")
        self.items += 1
        if self.items > self.max_items:
            raise self.fail("too many items")
        head = self.data[self.pos]
        self.pos += 1
        major, info = head >> 5, head & 0x1F
        if major == 7:
            return self.simple(info)
        n = self.argument(info)
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major in (2, 3):
            if n > self.end - self.pos:
                raise self.fail("string longer than the data left")
            raw = self.data[self.pos : self.pos + n]
            self.pos += n
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("invalid UTF-8") from None
        if depth >= self.max_depth:
            raise self.fail("nested too deeply")
        if major < 6 and n > self.end - self.pos:  # every element takes at least one byte
            raise self.fail("count larger than the data left")
        if major == 4:
            return [self.item(depth + 1) for _ in range(n)]
        if major == 5:
            out: dict = {}
            for _ in range(n):
                key = self.item(depth + 1)
                if type(key) not in (str, int, bytes):
                    raise self.fail("map key is not text, integer or bytes")
                value = self.item(depth + 1)
                if key in out:
                    raise self.fail("duplicate map key")
                out[key] = value
            return out
        # major 6: a tag. Refused before its content is read, unless allowed around a scalar.
        if n not in self.allow:
            raise self.fail(f"tag {n} not allowed")
        value = self.item(depth + 1)
        if type(value) not in (str, int, float):
            raise self.fail(f"tag {n} does not wrap a text or number")
        return value

    def simple(self, info: int) -> object:
        data, pos = self.data, self.pos
        if info in _SIMPLE:
            return _SIMPLE[info]
        for code, fmt in ((25, _HALF), (26, _SINGLE), (27, _DOUBLE)):
            if info == code:
                if pos + fmt.size > self.end:
                    raise self.fail("truncated float")
                self.pos = pos + fmt.size
                return fmt.unpack_from(data, pos)[0]
        raise self.fail("undefined, unassigned or break value")


def loads(data: bytes | bytearray | memoryview, limits: CborLimits = CborLimits()) -> object:
    """Decode exactly one CBOR item under `limits`, or raise `CborError` (see module docstring)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CborError("not bytes", 0)
    if len(data) > limits.max_bytes:
        raise CborError(f"{len(data)} bytes over the {limits.max_bytes} limit", 0)
    parser = _Parser(bytes(data), limits)
    try:
        value = parser.item(0)
    except RecursionError:  # max_depth above the interpreter's own limit: still our error
        raise CborError("nested too deeply", parser.pos) from None
    if parser.pos != parser.end:
        raise parser.fail("trailing bytes after the item")
    return value
