"""Personal data read from the card, in holders that do not print it and can be wiped.

Invariants: `repr`/`str` of `Basic4` and `MyNumber` never show a value (logs and tracebacks stay
clean); `wipe()` drops every reference the object holds (Python cannot scrub immutable strings,
so the guarantee is "this object no longer keeps them alive"); after `wipe()` reading a field
raises `ValueError`. Parsing here is pure: bytes in, object out, `CardDataError` on bad bytes.
Templates are parsed strictly: one template per file, each expected tag at most once and no
other tag (a second name or sex must never replace the first).

The kenhojo signature file (`0003`, `FF 30` {`DF 31`, `DF 32`, `DF 33`}) binds the My Number and
basic-4 files to the issuing authority: `DF 31` = SHA-256 of the My Number file's `DF 10` TLV,
`DF 32` = SHA-256 of the basic-4 file's `FF 20` TLV (the bytes exactly as read, without padding),
`DF 33` = the authority's RSA PKCS#1 v1.5 SHA-256 signature over the `DF 31` TLV followed by the
`DF 32` TLV (`KenhojoSignature.signed_bytes`). Checking it is `devices.card.trust`'s job.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
from dataclasses import dataclass

from devices.card._apdu import TlvError, encode_tlv, parse_tlv
from devices.card.errors import CardDataError

__all__ = [
    "Basic4",
    "KenhojoSignature",
    "MyNumber",
    "Sex",
    "encode_basic4",
    "encode_my_number",
    "encode_signature_file",
    "kenhojo_digest",
    "my_number_check_digit",
    "parse_basic4",
    "parse_my_number",
    "parse_signature_file",
]

TAG_BASIC4 = 0xFF20
TAG_HEADER = 0xDF21
TAG_NAME = 0xDF22
TAG_ADDRESS = 0xDF23
TAG_BIRTH = 0xDF24
TAG_SEX = 0xDF25
TAG_MY_NUMBER = 0xDF10
TAG_SIGNATURE = 0xFF30
TAG_SIG_MY_NUMBER = 0xDF31
TAG_SIG_ATTRIBUTES = 0xDF32
TAG_SIG_VALUE = 0xDF33


class Sex(enum.IntEnum):
    """ISO/IEC 5218 codes as written on the card."""

    MALE = 1
    FEMALE = 2
    NOT_APPLICABLE = 9


_WIPED = object()


class Basic4:
    """Name, address, birth date and sex (基本4情報). Fields read like attributes."""

    __slots__ = ("_values",)

    def __init__(self, name: str, address: str, birth_date: datetime.date, sex: Sex) -> None:
        self._values: dict | object = {
            "name": name,
            "address": address,
            "birth_date": birth_date,
            "sex": Sex(sex),
        }

    def _get(self, key: str):
        if self._values is _WIPED:
            raise ValueError("Basic4 was wiped")
        return self._values[key]  # type: ignore[index]

    name = property(lambda self: self._get("name"))
    address = property(lambda self: self._get("address"))
    birth_date = property(lambda self: self._get("birth_date"))
    sex = property(lambda self: self._get("sex"))

    @property
    def wiped(self) -> bool:
        return self._values is _WIPED

    def wipe(self) -> None:
        if isinstance(self._values, dict):
            self._values.clear()
        self._values = _WIPED

    def __repr__(self) -> str:
        return "Basic4(<wiped>)" if self.wiped else "Basic4(<4 fields hidden>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Basic4) or self.wiped or other.wiped:
            return NotImplemented
        return self._values == other._values

    __hash__ = None  # type: ignore[assignment]


class MyNumber:
    """The 12-digit individual number. `value` only when asked; never printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value: str | None = value

    @property
    def value(self) -> str:
        if self._value is None:
            raise ValueError("MyNumber was wiped")
        return self._value

    @property
    def wiped(self) -> bool:
        return self._value is None

    def wipe(self) -> None:
        self._value = None

    def __repr__(self) -> str:
        return "MyNumber(<wiped>)" if self.wiped else "MyNumber(<hidden>)"

    __str__ = __repr__


def my_number_check_digit(first11: str) -> int:
    """The check digit of an individual number (Ministerial ordinance art. 5 formula)."""
    if len(first11) != 11 or not first11.isdigit():
        raise ValueError("need the first 11 digits")
    total = 0
    for n in range(1, 12):
        p = int(first11[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


# -- parsing (card bytes -> objects) ----------------------------------------------------------
def _text(file: str, what: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CardDataError(file, f"{what} is not UTF-8") from None


def _template(file: str, data: bytes, outer_tag: int, allowed: frozenset[int]) -> dict[int, bytes]:
    """The fields of the one `outer_tag` template in `data`: no other top-level TLV, no tag
    twice, no tag outside `allowed` (CardDataError naming the tag, never its value)."""
    try:
        outer = parse_tlv(data)
        if not outer or outer[0][0] != outer_tag:
            raise CardDataError(file, f"no {outer_tag:X} template")
        if len(outer) > 1:
            raise CardDataError(file, f"unexpected tag {outer[1][0]:X} after the template")
        items = parse_tlv(outer[0][1])
    except TlvError as e:
        raise CardDataError(file, str(e)) from None
    fields: dict[int, bytes] = {}
    for tag, value in items:
        if tag not in allowed:
            raise CardDataError(file, f"unexpected tag {tag:X}")
        if tag in fields:
            raise CardDataError(file, f"tag {tag:X} appears twice")
        fields[tag] = value
    return fields


_BASIC4_TAGS = frozenset({TAG_HEADER, TAG_NAME, TAG_ADDRESS, TAG_BIRTH, TAG_SEX})
_SIGNATURE_TAGS = frozenset({TAG_SIG_MY_NUMBER, TAG_SIG_ATTRIBUTES, TAG_SIG_VALUE})


def parse_basic4(data: bytes) -> Basic4:
    """basic-4 file bytes (`FF 20` {DF 21..DF 25}) -> Basic4; CardDataError when malformed."""
    file = "basic-4 (0002)"
    fields = _template(file, data, TAG_BASIC4, _BASIC4_TAGS)
    missing = [f"{t:X}" for t in (TAG_NAME, TAG_ADDRESS, TAG_BIRTH, TAG_SEX) if t not in fields]
    if missing:
        raise CardDataError(file, f"missing tag(s) {' '.join(missing)}")
    raw_date = fields[TAG_BIRTH]
    try:
        text = raw_date.decode("ascii")
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        birth = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise CardDataError(file, "birth date is not a YYYYMMDD date") from None
    try:
        sex = Sex(int(fields[TAG_SEX].decode("ascii")))
    except ValueError:
        raise CardDataError(file, "sex is not an ISO 5218 code (1, 2 or 9)") from None
    name = _text(file, "name", fields[TAG_NAME])
    address = _text(file, "address", fields[TAG_ADDRESS])
    return Basic4(name=name, address=address, birth_date=birth, sex=sex)


def parse_my_number(data: bytes) -> MyNumber:
    """My Number file bytes (`DF 10` + 12 ASCII digits, possibly padded) -> MyNumber."""
    file = "My Number (0001)"
    try:
        items = parse_tlv(data)
    except TlvError as e:
        raise CardDataError(file, str(e)) from None
    if not items or items[0][0] != TAG_MY_NUMBER:
        raise CardDataError(file, "no DF 10 field")
    if len(items) > 1:
        raise CardDataError(file, f"unexpected tag {items[1][0]:X} after DF 10")
    raw = items[0][1]
    if len(raw) != 12 or not raw.isdigit():
        raise CardDataError(file, "not 12 digits")
    digits = raw.decode("ascii")
    if my_number_check_digit(digits[:11]) != int(digits[11]):
        raise CardDataError(file, "check digit does not match")
    return MyNumber(digits)


@dataclass(frozen=True)
class KenhojoSignature:
    """The parsed signature file: two digests and the authority's signature over them."""

    my_number_hash: bytes
    attributes_hash: bytes
    signature: bytes

    @property
    def signed_bytes(self) -> bytes:
        return encode_tlv(TAG_SIG_MY_NUMBER, self.my_number_hash) + encode_tlv(
            TAG_SIG_ATTRIBUTES, self.attributes_hash
        )


def parse_signature_file(data: bytes) -> KenhojoSignature:
    """Signature file bytes (`FF 30` {DF 31, DF 32, DF 33}) -> KenhojoSignature."""
    file = "kenhojo signature (0003)"
    fields = _template(file, data, TAG_SIGNATURE, _SIGNATURE_TAGS)
    missing = [f"{t:X}" for t in sorted(_SIGNATURE_TAGS) if t not in fields]
    if missing:
        raise CardDataError(file, f"missing tag(s) {' '.join(missing)}")
    for tag in (TAG_SIG_MY_NUMBER, TAG_SIG_ATTRIBUTES):
        if len(fields[tag]) != 32:
            raise CardDataError(file, f"{tag:X} is not a SHA-256 digest")
    if not fields[TAG_SIG_VALUE]:
        raise CardDataError(file, "empty signature")
    return KenhojoSignature(
        fields[TAG_SIG_MY_NUMBER], fields[TAG_SIG_ATTRIBUTES], fields[TAG_SIG_VALUE]
    )


def kenhojo_digest(file_bytes: bytes) -> bytes:
    """SHA-256 of a kenhojo file's TLV as read (what `DF 31` / `DF 32` hold)."""
    return hashlib.sha256(file_bytes).digest()


# -- encoding (objects -> card bytes; the simulator writes its files with these) --------------
def encode_basic4(
    name: str, address: str, birth_date: datetime.date, sex: int, header: bytes = bytes(8)
) -> bytes:
    body = (
        encode_tlv(TAG_HEADER, header)
        + encode_tlv(TAG_NAME, name.encode("utf-8"))
        + encode_tlv(TAG_ADDRESS, address.encode("utf-8"))
        + encode_tlv(TAG_BIRTH, birth_date.strftime("%Y%m%d").encode("ascii"))
        + encode_tlv(TAG_SEX, str(int(sex)).encode("ascii"))
    )
    return encode_tlv(TAG_BASIC4, body)


def encode_my_number(digits: str) -> bytes:
    return encode_tlv(TAG_MY_NUMBER, digits.encode("ascii"))


def encode_signature_file(my_number_hash: bytes, attributes_hash: bytes, signature: bytes) -> bytes:
    body = (
        encode_tlv(TAG_SIG_MY_NUMBER, my_number_hash)
        + encode_tlv(TAG_SIG_ATTRIBUTES, attributes_hash)
        + encode_tlv(TAG_SIG_VALUE, signature)
    )
    return encode_tlv(TAG_SIGNATURE, body)
