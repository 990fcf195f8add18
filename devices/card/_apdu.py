"""The My Number card's command set and data formats, as pure functions (no I/O).

Follows /work/shared/reference/mynumber-card.md byte for byte: application ids, file ids, the
VERIFY / READ BINARY / SIGN command forms, BER-TLV of basic-4 and My Number. Shared by the reader
and the simulator so both speak the same bytes; neither side decides anything here.
"""

from __future__ import annotations

from devices.card.errors import TlvError

__all__ = [
    "AID_CARD_FACE",
    "AID_JPKI",
    "AID_KENHOJO",
    "FID_JPKI_AUTH_CERT",
    "FID_JPKI_AUTH_KEY",
    "FID_JPKI_AUTH_PIN",
    "FID_JPKI_SIGN_CERT",
    "FID_JPKI_SIGN_PIN",
    "FID_KENHOJO_AP_INFO",
    "FID_KENHOJO_BASIC4",
    "FID_KENHOJO_MY_NUMBER",
    "FID_KENHOJO_PIN",
    "FID_KENHOJO_SIGNATURE",
    "SHA256_DIGESTINFO_PREFIX",
    "SW_OK",
    "TlvError",
    "encode_length",
    "encode_tlv",
    "parse_tlv",
    "read_binary",
    "read_tlv_header",
    "select_aid",
    "select_fid",
    "sha256_digest_info",
    "sign",
    "verify",
]

AID_KENHOJO = bytes.fromhex("D3921000310001010408")
AID_CARD_FACE = bytes.fromhex("D3921000310001010402")
AID_JPKI = bytes.fromhex("D392F000260100000001")

FID_KENHOJO_PIN = bytes.fromhex("0011")
FID_KENHOJO_MY_NUMBER = bytes.fromhex("0001")
FID_KENHOJO_BASIC4 = bytes.fromhex("0002")
FID_KENHOJO_SIGNATURE = bytes.fromhex("0003")
FID_KENHOJO_AP_INFO = bytes.fromhex("0005")
FID_JPKI_AUTH_PIN = bytes.fromhex("0018")
FID_JPKI_AUTH_CERT = bytes.fromhex("000A")
FID_JPKI_AUTH_KEY = bytes.fromhex("0017")
FID_JPKI_SIGN_PIN = bytes.fromhex("001B")
FID_JPKI_SIGN_CERT = bytes.fromhex("0001")

SW_OK = 0x9000

# DER of DigestInfo{ AlgorithmIdentifier{ sha256, NULL }, OCTET STRING(32) } without the digest.
SHA256_DIGESTINFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def select_aid(aid: bytes) -> bytes:
    """SELECT by DF name, no response data: `00 A4 04 0C Lc AID`."""
    return bytes([0x00, 0xA4, 0x04, 0x0C, len(aid)]) + aid


def select_fid(fid: bytes) -> bytes:
    """SELECT EF by file id, no response data: `00 A4 02 0C 02 FID`."""
    return bytes([0x00, 0xA4, 0x02, 0x0C, 0x02]) + fid


def verify(pin: bytes | None = None) -> bytes:
    """VERIFY the PIN of the selected EF; without data it asks for the tries left (`63 Cx`)."""
    if pin is None:
        return bytes([0x00, 0x20, 0x00, 0x80])
    return bytes([0x00, 0x20, 0x00, 0x80, len(pin)]) + pin


def read_binary(offset: int, length: int) -> bytes:
    """READ BINARY `length` bytes at `offset`: short Le when length <= 256, else extended Le."""
    if not 0 <= offset <= 0x7FFF:
        raise ValueError("READ BINARY offset out of range")
    if not 1 <= length <= 0xFFFF:
        raise ValueError("READ BINARY length out of range")
    head = bytes([0x00, 0xB0, offset >> 8, offset & 0xFF])
    if length <= 256:
        return head + bytes([length & 0xFF])
    return head + bytes([0x00, length >> 8, length & 0xFF])


def sign(digest_info: bytes) -> bytes:
    """The card's SIGN (PKCS#1 v1.5 with the selected key): `80 2A 00 80 Lc DigestInfo 00`."""
    return bytes([0x80, 0x2A, 0x00, 0x80, len(digest_info)]) + digest_info + b"\x00"


def sha256_digest_info(digest: bytes) -> bytes:
    if len(digest) != 32:
        raise ValueError("a SHA-256 digest is 32 bytes")
    return SHA256_DIGESTINFO_PREFIX + digest


# -- BER-TLV ----------------------------------------------------------------------------------
def _read_tag(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated tag")
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:  # multi-byte tag: subsequent bytes while bit 8 set
        while True:
            if pos >= len(data):
                raise TlvError("truncated tag")
            b = data[pos]
            tag = (tag << 8) | b
            pos += 1
            if not b & 0x80:
                break
            if tag > 0xFFFFFF:
                raise TlvError("tag too long")
    return tag, pos


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    n = first & 0x7F
    if n == 0 or n > 3:
        raise TlvError(f"unsupported length form {first:02X}")
    if pos + n > len(data):
        raise TlvError("truncated length")
    return int.from_bytes(data[pos : pos + n], "big"), pos + n


def read_tlv_header(data: bytes) -> tuple[int, int, int]:
    """(tag, header size, value length) of the TLV at the start of `data` (a file's head)."""
    tag, pos = _read_tag(data, 0)
    length, pos = _read_length(data, pos)
    return tag, pos, length


def parse_tlv(data: bytes) -> list[tuple[int, bytes]]:
    """The sequence of (tag, value) in `data`; trailing 0x00/0xFF padding is ignored."""
    items: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        if data[pos] in (0x00, 0xFF) and all(b == data[pos] for b in data[pos:]):
            break
        tag, pos = _read_tag(data, pos)
        length, pos = _read_length(data, pos)
        if pos + length > len(data):
            raise TlvError(f"value of tag {tag:X} runs past the end")
        items.append((tag, data[pos : pos + length]))
        pos += length
    return items


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    if n <= 0xFFFF:
        return bytes([0x82, n >> 8, n & 0xFF])
    raise ValueError("TLV value too long")


def encode_tlv(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    return tag_bytes + encode_length(len(value)) + value
