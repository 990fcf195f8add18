"""Resident records of the city's back office: who holds a JPKI user-authentication certificate.

A JPKI user-authentication certificate names no one (its subject has no name or address); the
city links the certificate's serial number, under the CA that issued it, to a resident record.
The issuer asks that link through the `ResidentRecords` port before it issues a certificate and
passes the holder's data on to the kiosk, which prints the A4 certificate with it.

Back-office API used by `HttpResidentRecords` (`url` from `ResidentRecordsConfig`):

    GET {url}/{certificate serial, lowercase hex}?ca={CA SHA-256 fingerprint, lowercase hex}
        &certificate={certificate type, e.g. resident_record}
    (plus the configured headers, e.g. Authorization; redirects are not followed)
    200 {"name": "...", "address": "...", "birth_date": "YYYY-MM-DD", "sex": "1"|"2"|"9"}
        ("sex" optional; other keys are ignored and never passed on), and optionally what the
        certificates print (`EXTRA_FIELDS`, checked as strictly; the issuer passes on only
        what the resident's options ask for, see `sync.central.certificate_content`):
        "head_of_household", "relationship" (続柄), "domicile" (本籍), "domicile_head" (筆頭者),
        "moved_in" (住民となった年月日, YYYY-MM-DD), "my_number" (12 digits), "household" (the
        other members: [{"name", "birth_date", "sex"?, "relationship"?, "moved_in"?,
        "my_number"?}], at most 20), "seal_number" (印鑑登録番号), "seal_png_b64" (the
        registered impression, a PNG of at most 64 KiB), "tax" ([{"fiscal_year": 2025,
        "income_yen": int, "tax_yen": int}], at most 10)
    404 the certificate belongs to no resident of this city
    anything else: the back office cannot answer

Invariants:
- `lookup` returns a validated `Holder`, or None (404), or raises `ResidentLookupError`: for a
  connection error, a timeout, any other status, or a body that is not the JSON above (too
  large, not an object, a field missing, empty, too long, with control characters, a date that
  is not an ISO calendar date). No other exception escapes.
- Bounded: connect and read timeouts, and at most `max_body_bytes` of body are read.
- Nothing here logs; error messages carry an exception class or an HTTP status, never a body,
  a serial number or a name. `repr(Holder)` shows no personal field.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import requests

from sync.central.errors import ResidentLookupError, ResidentRecordsError

__all__ = [
    "Holder",
    "HttpResidentRecords",
    "ResidentLookupError",
    "ResidentRecords",
    "ResidentRecordsConfig",
    "ResidentRecordsError",
    "EXTRA_FIELDS",
    "parse_extra",
    "parse_holder",
]

MAX_NAME = 100
MAX_ADDRESS = 200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEXES = ("1", "2", "9")  # JIS X 0303: male, female, not applicable
_MY_NUMBER = re.compile(r"\d{12}")
MAX_MEMBERS = 20
MAX_SEAL_PNG = 64 * 1024
EXTRA_FIELDS = (
    "head_of_household relationship domicile domicile_head moved_in my_number household "
    "seal_number seal_png_b64 tax"
).split()


@dataclass(frozen=True)
class Holder:
    """A resident as the back office has them; in memory only, never stored or logged."""

    name: str = field(repr=False)
    address: str = field(repr=False)
    birth_date: date = field(repr=False)
    sex: str | None = field(default=None, repr=False)
    # What certificates print besides (validated, see `EXTRA_FIELDS`); central filters it.
    extra: dict = field(default_factory=dict, repr=False, compare=False)

    def as_reply(self) -> dict[str, str]:
        """The `holder` object of a `certificate.issue` reply (what the kiosk prints)."""
        out = {
            "name": self.name,
            "address": self.address,
            "birth_date": self.birth_date.isoformat(),
        }
        if self.sex is not None:
            out["sex"] = self.sex
        return out


class ResidentRecords(Protocol):
    def lookup(self, auth_serial: int, ca_fingerprint: str, certificate_type: str) -> Holder | None:
        """The holder of the certificate `auth_serial` issued by the CA whose SHA-256
        fingerprint is `ca_fingerprint` (lowercase hex); None if no resident of this city.
        Raises `ResidentLookupError` when the source cannot answer."""
        ...


@dataclass(frozen=True)
class ResidentRecordsConfig:
    url: str
    # The kiosk waits `online_timeout_s` (3 s) for the whole certificate.issue: stay well below.
    connect_timeout_s: float = 0.5
    read_timeout_s: float = 1.5
    headers: dict[str, str] = field(default_factory=dict)  # e.g. an Authorization token
    verify_tls: bool | str = True  # or the path of a CA bundle
    max_body_bytes: int = 16 * 1024

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ResidentRecordsError("residents url must be http:// or https://")
        if not (self.connect_timeout_s > 0 and self.read_timeout_s > 0):
            raise ResidentRecordsError("residents timeouts must be > 0")
        if self.max_body_bytes < 1:
            raise ResidentRecordsError("max_body_bytes must be >= 1")


def _text(doc: dict, key: str, limit: int) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ResidentLookupError(f"bad field {key}")
    if _CONTROL.search(value):
        raise ResidentLookupError(f"bad field {key}")
    return value


def _date_field(doc: dict, key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ResidentLookupError(f"bad field {key}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ResidentLookupError(f"bad field {key}") from None
    return value


def _count(doc: dict, key: str) -> int:
    value = doc.get(key)
    if type(value) is not int or not 0 <= value < 10**12:
        raise ResidentLookupError(f"bad field {key}")
    return value


def _member(doc: object) -> dict:
    if not isinstance(doc, dict):
        raise ResidentLookupError("bad field household")
    out = {"name": _text(doc, "name", MAX_NAME), "birth_date": _date_field(doc, "birth_date")}
    if doc.get("sex") is not None:
        if doc["sex"] not in _SEXES:
            raise ResidentLookupError("bad field household")
        out["sex"] = doc["sex"]
    if "relationship" in doc:
        out["relationship"] = _text(doc, "relationship", 20)
    if "moved_in" in doc:
        out["moved_in"] = _date_field(doc, "moved_in")
    if "my_number" in doc:
        if not isinstance(doc["my_number"], str) or not _MY_NUMBER.fullmatch(doc["my_number"]):
            raise ResidentLookupError("bad field household")
        out["my_number"] = doc["my_number"]
    return out


def parse_extra(doc: dict) -> dict:
    """The certificate fields of a back-office answer (see the module docstring), validated."""
    out: dict = {}
    for key, limit in (("head_of_household", MAX_NAME), ("relationship", 20),
                       ("domicile", MAX_ADDRESS), ("domicile_head", MAX_NAME),
                       ("seal_number", 32)):  # fmt: skip
        if key in doc:
            out[key] = _text(doc, key, limit)
    if "moved_in" in doc:
        out["moved_in"] = _date_field(doc, "moved_in")
    if "my_number" in doc:
        if not isinstance(doc["my_number"], str) or not _MY_NUMBER.fullmatch(doc["my_number"]):
            raise ResidentLookupError("bad field my_number")
        out["my_number"] = doc["my_number"]
    if "household" in doc:
        members = doc["household"]
        if not isinstance(members, list) or len(members) > MAX_MEMBERS:
            raise ResidentLookupError("bad field household")
        out["household"] = [_member(m) for m in members]
    if "seal_png_b64" in doc:
        value = doc["seal_png_b64"]
        try:
            png = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except (binascii.Error, ValueError):
            png = b""
        if not png.startswith(b"\x89PNG\r\n\x1a\n") or len(png) > MAX_SEAL_PNG:
            raise ResidentLookupError("bad field seal_png_b64")
        out["seal_png_b64"] = value
    if "tax" in doc:
        years = doc["tax"]
        if not isinstance(years, list) or not 0 < len(years) <= 10:
            raise ResidentLookupError("bad field tax")
        out["tax"] = []
        for y in years:
            if not isinstance(y, dict) or not 2000 <= _count(y, "fiscal_year") <= 2100:
                raise ResidentLookupError("bad field tax")
            out["tax"].append({k: _count(y, k) for k in ("fiscal_year", "income_yen", "tax_yen")})
    return out


def parse_holder(body: bytes) -> Holder:
    """A `Holder` from a 200 body, or `ResidentLookupError` (see the module docstring)."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ResidentLookupError("body is not JSON") from None
    if not isinstance(doc, dict):
        raise ResidentLookupError("body is not a JSON object")
    birth = doc.get("birth_date")
    if not isinstance(birth, str) or not _ISO_DATE.fullmatch(birth):
        raise ResidentLookupError("bad field birth_date")
    try:
        birth_date = date.fromisoformat(birth)
    except ValueError:
        raise ResidentLookupError("bad field birth_date") from None
    sex = doc.get("sex")
    if sex is not None and sex not in _SEXES:
        raise ResidentLookupError("bad field sex")
    return Holder(
        _text(doc, "name", MAX_NAME),
        _text(doc, "address", MAX_ADDRESS),
        birth_date,
        sex,
        extra=parse_extra(doc),
    )


class HttpResidentRecords:
    """`ResidentRecords` over the back office's HTTP API (one GET per lookup; thread-safe)."""

    def __init__(self, config: ResidentRecordsConfig) -> None:
        self.config = config

    def lookup(self, auth_serial: int, ca_fingerprint: str, certificate_type: str) -> Holder | None:
        c = self.config
        url = f"{c.url.rstrip('/')}/{auth_serial:x}"
        params = {"ca": ca_fingerprint, "certificate": certificate_type}
        headers = {**c.headers, "Accept": "application/json"}
        try:
            with requests.get(
                url,
                params=params,
                headers=headers,
                timeout=(c.connect_timeout_s, c.read_timeout_s),
                verify=c.verify_tls,
                allow_redirects=False,
                stream=True,
            ) as response:
                status = response.status_code
                if status == 404:
                    return None
                if status != 200:
                    raise ResidentLookupError(f"HTTP {status}", status)
                body = b""
                for chunk in response.iter_content(8192):  # requests translates urllib3's errors
                    body += chunk
                    if len(body) > c.max_body_bytes:
                        break
        except requests.RequestException as e:
            raise ResidentLookupError(type(e).__name__) from None
        if len(body) > c.max_body_bytes:
            raise ResidentLookupError("body too large", 200)
        return parse_holder(body)
