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
        ("sex" optional; other keys are ignored and never passed on)
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

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import requests

from sync.errors import SyncError

__all__ = [
    "Holder",
    "HttpResidentRecords",
    "ResidentLookupError",
    "ResidentRecords",
    "ResidentRecordsConfig",
    "ResidentRecordsError",
    "load_residents_file",
    "parse_holder",
]

MAX_NAME = 100
MAX_ADDRESS = 200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEXES = ("1", "2", "9")  # JIS X 0303: male, female, not applicable


class ResidentRecordsError(SyncError):
    """The resident records source is misconfigured (`residents.json`, `ResidentRecordsConfig`)."""


class ResidentLookupError(ResidentRecordsError):
    """The back office could not answer a lookup (`status` is its HTTP status, if it sent one)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(f"resident lookup failed: {reason}")
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Holder:
    """A resident as the back office has them; in memory only, never stored or logged."""

    name: str = field(repr=False)
    address: str = field(repr=False)
    birth_date: date = field(repr=False)
    sex: str | None = field(default=None, repr=False)

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
    return Holder(_text(doc, "name", MAX_NAME), _text(doc, "address", MAX_ADDRESS), birth_date, sex)


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


_FILE_KEYS = {"url", "city_name", "token_env", "headers", "verify_tls"}
_FILE_KEYS |= {"connect_timeout_s", "read_timeout_s"}


def load_residents_file(
    path: Path, environ: Mapping[str, str] = os.environ
) -> tuple[ResidentRecordsConfig, str]:
    """(config, city name) from a `residents.json` (see docs/sync.md): an object with `url`,
    and optionally `city_name` (printed as the certificate's issuer), `token_env` (the name of
    an environment variable holding a bearer token), `headers`, `verify_tls`,
    `connect_timeout_s`, `read_timeout_s`. Unknown keys are refused (a typo is not ignored)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ResidentRecordsError(f"{Path(path).name} unreadable: {type(e).__name__}") from None
    if not isinstance(doc, dict) or set(doc) - _FILE_KEYS or not isinstance(doc.get("url"), str):
        raise ResidentRecordsError(f"{Path(path).name}: an object with url and known keys only")
    headers = doc.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ResidentRecordsError(f"{Path(path).name}: headers must map text to text")
    token_env = doc.get("token_env")
    if token_env is not None:
        token = environ.get(str(token_env))
        if not token:
            raise ResidentRecordsError(f"environment variable {token_env} is not set")
        headers = {**headers, "Authorization": f"Bearer {token}"}
    city = doc.get("city_name", "")
    verify = doc.get("verify_tls", True)
    timeouts = [doc.get(k, d) for k, d in (("connect_timeout_s", 0.5), ("read_timeout_s", 1.5))]
    if (
        not isinstance(city, str)
        or not isinstance(verify, bool | str)
        or not all(isinstance(t, int | float) and not isinstance(t, bool) for t in timeouts)
    ):
        raise ResidentRecordsError(f"{Path(path).name}: a value has the wrong type")
    config = ResidentRecordsConfig(
        url=doc["url"],
        connect_timeout_s=float(timeouts[0]),
        read_timeout_s=float(timeouts[1]),
        headers=headers,
        verify_tls=verify,
    )
    return config, city
