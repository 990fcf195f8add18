"""Card profiles: who the simulated card belongs to and how it behaves, read from TOML.

A profile file (bundled ones live in `profiles/`, one per case the reader must handle):

    description = "..."
    [card]         atr = "3B..." (hex), applications = ["kenhojo", "card_face", "jpki"]
                   (names) and/or other_aids = ["A0000000031010"], extended_length = true
    [holder]       name, address, birth_date = 1985-04-01, sex = 1|2|9, my_number = "12 digits"
    [kenhojo]      pin = "1234", tries_left = 3
    [jpki]         auth_pin = "1234", auth_tries_left = 3, auth_cert_expired = false,
                   auth_cert_revoked = false (the test CA revokes the card's certificate: it is
                   on the CA's next CRL, `ca.issue_crl`), auth_cert_key_usage = true (false: the
                   certificate has no KeyUsage extension, which readers must refuse)
    [faults]       basic4_hex = "..." (replaces the basic-4 file bytes, e.g. malformed TLV),
                   last_try_sw = "6983" (what a wrong entry that spends the last try answers;
                   default "63C0": some cards answer 69 83 instead),
                   kenhojo_signature = "valid" | "bad-signature" (not the authority's
                   signature) | "altered-attributes" (signed digest of other attributes: a
                   counterfeit) | "missing" (no EF 0003)

Invariants: loading validates everything and raises `ProfileError` naming the file and field;
the JPKI key and certificate come from the test CA (`ca.py`, cached), never from the file;
the kenhojo signature file (EF 0003) is signed here by the CA's test kenhojo authority over the
exact basic-4 and My Number bytes the card serves (see `devices.card.data`).
This module is an entry point's helper: it is the only simulator code that reads files.
"""

from __future__ import annotations

import dataclasses
import datetime
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from devices.card import _apdu
from devices.card.data import (
    KenhojoSignature,
    encode_basic4,
    encode_my_number,
    encode_signature_file,
    kenhojo_digest,
)
from devices.card.errors import ProfileError
from devices.card.simulator.ca import (
    TestCA,
    default_test_ca,
    issue_card_credentials,
    kenhojo_authority,
    make_test_ca,
    revoke,
)

__all__ = ["CardProfile", "ProfileError", "bundled_profiles", "load_profile"]

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_ATR = bytes.fromhex("3B8880010000000000000000")  # the reader must not filter on ATR
_APPLICATIONS = {
    "kenhojo": _apdu.AID_KENHOJO,
    "card_face": _apdu.AID_CARD_FACE,
    "jpki": _apdu.AID_JPKI,
}
_SIGNATURE_FAULTS = ("valid", "bad-signature", "altered-attributes", "missing")


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
    kenhojo_signature_file: bytes | None = None  # None: the card has no EF 0003
    kenhojo_authority_certificate: x509.Certificate | None = None
    auth_cert_revoked: bool = False

    @property
    def basic4_file(self) -> bytes:
        """The basic-4 file bytes the card serves."""
        if self.basic4_override is not None:
            return self.basic4_override
        return encode_basic4(self.holder_name, self.address, self.birth_date, self.sex)

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
    revoked = _get(jpki, "auth_cert_revoked", bool, False, source, "jpki")
    ca: TestCA = default_test_ca() if ca_dir is None else make_test_ca(ca_dir)
    key_usage = _get(jpki, "auth_cert_key_usage", bool, True, source, "jpki")
    creds = issue_card_credentials(ca, path.stem, expired=expired, key_usage=key_usage)
    if revoked:
        revoke(ca, creds.certificate.serial_number)
    signature_fault = _get(faults, "kenhojo_signature", str, "valid", source, "faults")
    if signature_fault not in _SIGNATURE_FAULTS:
        raise ProfileError(
            source, f"[faults] kenhojo_signature must be one of {', '.join(_SIGNATURE_FAULTS)}"
        )
    basic4_hex = faults.get("basic4_hex")
    last_try_sw = _hex(_get(faults, "last_try_sw", str, "63C0", source, "faults"), source, "sw")
    if last_try_sw not in (b"\x63\xc0", b"\x69\x83"):
        raise ProfileError(source, "[faults] last_try_sw must be 63C0 or 6983")
    profile = CardProfile(
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
        auth_cert_revoked=revoked,
    )
    authority = kenhojo_authority(ca)
    signature_file = _signature_file(profile, authority.key, signature_fault)
    return dataclasses.replace(
        profile,
        kenhojo_signature_file=signature_file,
        kenhojo_authority_certificate=authority.certificate,
    )


def _signature_file(profile: CardProfile, key: rsa.RSAPrivateKey, fault: str) -> bytes | None:
    """EF 0003 as the issuing authority writes it, or spoiled as the profile's fault asks."""
    if fault == "missing":
        return None
    attributes = profile.basic4_file
    if fault == "altered-attributes":
        # Signed for other attributes: what a card whose name was changed after issue looks like.
        attributes = encode_basic4("改竄 前", profile.address, profile.birth_date, profile.sex)
    my_number_hash = kenhojo_digest(encode_my_number(profile.my_number))
    attributes_hash = kenhojo_digest(attributes)
    signed = KenhojoSignature(my_number_hash, attributes_hash, b"").signed_bytes
    signature = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    if fault == "bad-signature":
        signature = bytes([signature[0] ^ 0x01]) + signature[1:]
    return encode_signature_file(my_number_hash, attributes_hash, signature)
