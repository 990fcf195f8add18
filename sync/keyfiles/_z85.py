"""Z85 (ZeroMQ RFC 32) encoding of CURVE keys, without importing zmq.

Invariant: `decode(encode(b)) == b` for any input whose length is a multiple of 4 (a 32-byte
CURVE key gives 40 characters), and the output is byte-identical to `zmq.utils.z85`.
"""

from __future__ import annotations

from sync.errors import KeyFormatError

_ALPHABET = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}


def encode(data: bytes) -> bytes:
    if len(data) % 4:
        raise KeyFormatError("z85 input length must be a multiple of 4", length=len(data))
    out = bytearray()
    for i in range(0, len(data), 4):
        value = int.from_bytes(data[i : i + 4], "big")
        chunk = bytearray(5)
        for j in range(4, -1, -1):
            value, chunk[j] = divmod(value, 85)
            chunk[j] = _ALPHABET[chunk[j]]
        out += chunk
    return bytes(out)


def decode(text: bytes | str) -> bytes:
    if isinstance(text, str):
        text = text.encode("ascii", "replace")
    if len(text) % 5:
        raise KeyFormatError("z85 text length must be a multiple of 5", length=len(text))
    out = bytearray()
    for i in range(0, len(text), 5):
        value = 0
        for c in text[i : i + 5]:
            if c not in _INDEX:
                raise KeyFormatError("z85 text holds a character outside the alphabet")
            value = value * 85 + _INDEX[c]
        if value > 0xFFFFFFFF:
            raise KeyFormatError("z85 group out of range")
        out += value.to_bytes(4, "big")
    return bytes(out)
