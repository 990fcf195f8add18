"""Card profiles: who the simulated card belongs to and how it behaves, read from TOML.

A profile file (bundled ones live in `profiles/`, one per case the reader must handle):

    description = "..."
    [card]         atr = "3B..." (hex), applications = ["kenhojo", "card_face", "jpki"]
                   (names) and/or other_aids = ["A0000000031010"], extended_length = true
    [holder]       name, address, birth_date = 1985-04-01, sex = 1|2|9, my_number = "12 digits"
    [kenhojo]      pin = "1234", tries_left = 3
    [jpki]         auth_pin = "1234", auth_tries_left = 3, auth_cert_expired = false
    [faults]       basic4_hex = "..." (replaces the basic-4 file bytes, e.g. malformed TLV),
                   last_try_sw = "6983" (what a wrong entry that spends the last try answers;
                   default "63C0": some cards answer 69 83 instead)

Invariants: loading validates everything and raises `ProfileError` naming the file and field;
the JPKI key and certificate come from the test CA (`ca.py`, cached), never from the file.
This module is an entry point's helper: it is the only simulator code that reads files.
"""

from __future__ import annotations

import datetime
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from devices.card import _apdu
from devices.card.errors import CardError
from devices.card.simulator.ca import TestCA, default_test_ca, issue_card_credentials, make_test_ca

__all__ = ["CardProfile", "ProfileError", "bundled_profiles", "load_profile"]

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_ATR = bytes.fromhex("3B8880010000000000000000")  # the reader must not filter on ATR
_APPLICATIONS = {
    "kenhojo": _apdu.AID_KENHOJO,
    "card_face": _apdu.AID_CARD_FACE,
    "jpki": _apdu.AID_JPKI,
}


class ProfileError(CardError):
    """A card profile file is missing or invalid."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"card profile {source}: {problem}")


@dataclass(frozen=True)
class CardProfile:
    name: str
    description: str
    atr: bytes
    aids: tuple[bytes, ...]
    extended_length: bool
    holder_name: str
    address: str
    birth_date: datetime.date
    sex: int
    my_number: str
    kenhojo_pin: str
    kenhojo_tries_left: int
    jpki_auth_pin: str
    jpki_auth_tries_left: int
    auth_key: rsa.RSAPrivateKey
    auth_certificate: x509.Certificate
    ca_certificate: x509.Certificate
    basic4_override: bytes | None = None
    last_try_sw: bytes = b"\x63\xc0"

    def __repr__(self) -> str:  # the holder fields are test data, but keep the habit
        return f"CardProfile({self.name!r})"


def bundled_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def _resolve(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.is_file():
        return path
    candidate = PROFILE_DIR / f"{name_or_path}.toml"
    if not candidate.is_file():
        raise ProfileError(
            str(name_or_path), f"no such profile (bundled: {', '.join(bundled_profiles())})"
        )
    return candidate


def _get(table: dict, key: str, kind: type, default, source: str, section: str):
    value = table.get(key, default)
    if value is None or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProfileError(source, f"[{section}] {key} must be {kind.__name__}")
    return value


def _pin(value: str, source: str, field: str) -> str:
    if len(value) != 4 or not value.isascii() or not value.isdigit():
        raise ProfileError(source, f"{field} must be 4 digits")
    return value


def _tries(value: int, source: str, field: str) -> int:
    if not 0 <= value <= 3:
        raise ProfileError(source, f"{field} must be 0..3")
    return value


def _hex(value: str, source: str, field: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ProfileError(source, f"{field} is not hex") from None


def load_profile(name_or_path: str | Path, ca_dir: Path | str | None = None) -> CardProfile:
    """A bundled profile by name ("ordinary") or a TOML file, with keys from the test CA.

    Without `ca_dir` the process-wide in-memory test CA issues the card's certificate
    (`profile.ca_certificate` is its root); with `ca_dir` the CA there is used (created if absent).
    """
    path = _resolve(name_or_path)
    source = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ProfileError(source, f"cannot read ({e.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ProfileError(source, f"not valid TOML ({e})") from None

    card = doc.get("card", {})
    holder = doc.get("holder", {})
    kenhojo = doc.get("kenhojo", {})
    jpki = doc.get("jpki", {})
    faults = doc.get("faults", {})

    atr = _hex(_get(card, "atr", str, DEFAULT_ATR.hex(), source, "card"), source, "atr")
    aids: list[bytes] = []
    for app in _get(card, "applications", list, list(_APPLICATIONS), source, "card"):
        if app not in _APPLICATIONS:
            raise ProfileError(source, f"unknown application {app!r} ({', '.join(_APPLICATIONS)})")
        aids.append(_APPLICATIONS[app])
    for aid in _get(card, "other_aids", list, [], source, "card"):
        aids.append(_hex(str(aid), source, "other_aids"))

    birth = _get(holder, "birth_date", datetime.date, datetime.date(1980, 1, 1), source, "holder")
    sex = _get(holder, "sex", int, 1, source, "holder")
    if sex not in (1, 2, 9):
        raise ProfileError(source, "[holder] sex must be 1, 2 or 9 (ISO 5218)")
    my_number = _get(holder, "my_number", str, "123456789018", source, "holder")
    if len(my_number) != 12 or not my_number.isdigit():
        raise ProfileError(source, "[holder] my_number must be 12 digits")

    expired = _get(jpki, "auth_cert_expired", bool, False, source, "jpki")
    ca: TestCA = default_test_ca() if ca_dir is None else make_test_ca(ca_dir)
    creds = issue_card_credentials(ca, path.stem, expired=expired)
    basic4_hex = faults.get("basic4_hex")
    last_try_sw = _hex(_get(faults, "last_try_sw", str, "63C0", source, "faults"), source, "sw")
    if last_try_sw not in (b"\x63\xc0", b"\x69\x83"):
        raise ProfileError(source, "[faults] last_try_sw must be 63C0 or 6983")
    return CardProfile(
        name=path.stem,
        description=_get(doc, "description", str, "", source, "top level"),
        atr=atr,
        aids=tuple(aids),
        extended_length=_get(card, "extended_length", bool, True, source, "card"),
        holder_name=_get(holder, "name", str, "山田 太郎", source, "holder"),
        address=_get(holder, "address", str, "東京都千代田区千代田1-1", source, "holder"),
        birth_date=birth,
        sex=sex,
        my_number=my_number,
        kenhojo_pin=_pin(_get(kenhojo, "pin", str, "1234", source, "kenhojo"), source, "pin"),
        kenhojo_tries_left=_tries(
            _get(kenhojo, "tries_left", int, 3, source, "kenhojo"), source, "tries_left"
        ),
        jpki_auth_pin=_pin(_get(jpki, "auth_pin", str, "1234", source, "jpki"), source, "auth_pin"),
        jpki_auth_tries_left=_tries(
            _get(jpki, "auth_tries_left", int, 3, source, "jpki"), source, "auth_tries_left"
        ),
        auth_key=creds.key,
        auth_certificate=creds.certificate,
        ca_certificate=ca.certificate,
        basic4_override=None if basic4_hex is None else _hex(str(basic4_hex), source, "basic4_hex"),
        last_try_sw=last_try_sw,
    )
