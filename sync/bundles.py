"""Signed downlink bundles (catalog, device config), verified as TUF verifies metadata.

A bundle is a JSON envelope around the exact bytes that were signed:
    {"format": "madoguchi-bundle", "v": 1, "keyid": "<hex16>", "sig": "<b64>", "signed": "<b64>"}
or, signed by a role key under an offline root (`sync.trust`), envelope v2 with the root chain:
    {..., "v": 2, ..., "roots": ["<b64 root envelope>", ...]}
and `signed` decodes to canonical JSON
    {"type": "catalog"|"config", "version": N, "issued_at": ISO-8601 UTC, "expires_at": ..., "payload": {...}}.
The Ed25519 signature covers `b"madoguchi/bundle/v1\\0" + signed_bytes`, so nothing is
re-canonicalised before checking it.

Invariants (the pure core, `verify_bundle`, does no I/O and reads no clock):
- Nothing inside `signed` is looked at before the signature over it verifies with the pinned
  catalog key (wrong key or any altered byte → `BundleSignatureError`).
- What a bundle is checked with (`trust`) is either that pinned Ed25519 key (device bundles
  enrolled before roles existed) or a `sync.trust.TrustAnchor` (the pinned root key): then only
  a v2 bundle whose chain verifies from the root, signed by a key the newest root delegates for
  the bundle's role, is accepted (`RoleKeyError`, `RootChainError`: both `BundleSignatureError`);
  delegation and root expiry are checked with `now` (on apply, not when re-reading).
- Checks run in TUF's order: size, envelope, signature, fields, type, version, expiry.
- A version lower than the current one of the same type is a rollback (`BundleRollbackError`);
  an equal version is accepted by the store only when the bytes are identical (a re-delivery).
- A bundle whose `expires_at` is not after `now` is refused (`BundleExpiredError`, freeze attack).
- A config bundle's payload may carry `"sealing": {"public": <b64 raw X25519>, "key_id": <16 hex>}`
  (the central sealing key new records are sealed to, after `provision rotate --sealing`); it is
  checked whenever the bundle is parsed (32 bytes, not a low-order point, key id derived from the
  key), so a bundle announcing a malformed key is refused as a whole (`BundleFormatError`).
An applied bundle that no longer verifies on disk counts as absent (readers fall back to the
packaged default; the next good bundle replaces it).
`BundleStore` is the thin I/O layer: one `<type>.bundle` file per type, replaced atomically
(temp file + fsync + rename + directory fsync) under an flock, so a crash at any instant leaves
either the old or the new bundle, never a mix.
Rollback after damage: the highest version applied per type (and the SHA-256 of that bundle) is
also kept apart from the bundle files, in `applied-versions.json` (written atomically and durably
after the bundle). A damaged or deleted bundle file therefore never lowers the floor: an older
bundle is refused as a rollback, and only the very bundle applied last (same version, same bytes)
may be applied again to repair the file. An applied file older than the floor counts as absent.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from madoguchi.core.durable import write_atomic
from sync.errors import (
    BundleEqualVersionError,
    BundleError,
    BundleExpiredError,
    BundleFormatError,
    BundleRollbackError,
    BundleSignatureError,
)

__all__ = [
    "BUNDLE_TYPES",
    "Bundle",
    "BundleApplied",
    "BundleEqualVersionError",
    "BundleError",
    "BundleExpiredError",
    "BundleFormatError",
    "BundleRollbackError",
    "BundleSignatureError",
    "BundleStore",
    "VERSIONS_FILE",
    "bundle_key_id",
    "load_trusted",
    "sealing_entry",
    "sealing_key_of",
    "sign_bundle",
    "verify_bundle",
]

log = logging.getLogger(__name__)

BUNDLE_TYPES = frozenset({"catalog", "config"})
MAX_BUNDLE_BYTES = 8 * 1024 * 1024
_DOMAIN = b"madoguchi/bundle/v1\x00"
_FORMAT = "madoguchi-bundle"
_ENVELOPE_KEYS = frozenset({"format", "v", "keyid", "sig", "signed"})
_ENVELOPE_V2_KEYS = _ENVELOPE_KEYS | {"roots"}
_SIGNED_KEYS = frozenset({"type", "version", "issued_at", "expires_at", "payload"})
VERSIONS_FILE = "applied-versions.json"
_ROOT = "root"  # the floor also keeps the newest root version any applied bundle carried


@dataclass(frozen=True)
class Bundle:
    type: str
    version: int
    issued_at: datetime
    expires_at: datetime
    payload: dict
    raw: bytes
    keyid: str = ""
    root_version: int = 0  # version of the newest root of its chain (0: a v1 bundle)

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


@dataclass(frozen=True)
class BundleApplied:
    """What `BundleStore.apply` did: `changed` is False for an identical re-delivery."""

    type: str
    version: int
    changed: bool


def bundle_key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _iso(t: datetime) -> str:
    if t.tzinfo is None:
        raise BundleFormatError("bundle times must be timezone-aware")
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: object, name: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z") or len(value) != 20:
        raise BundleFormatError(f"{name} must be an ISO-8601 UTC time like 2027-01-01T00:00:00Z")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise BundleFormatError(f"{name} is not a valid time") from None


def sign_bundle(
    bundle_type: str,
    version: int,
    payload: dict,
    *,
    expires_at: datetime,
    signing_key: Ed25519PrivateKey,
    issued_at: datetime | None = None,
    roots: Sequence[bytes] | None = None,
) -> bytes:
    """Sign a bundle; returns the envelope bytes. With `roots` (the root chain, oldest first;
    `signing_key` then being the role key it delegates) the envelope is v2 and carries it."""
    if bundle_type not in BUNDLE_TYPES:
        raise BundleFormatError(f"unknown bundle type {bundle_type!r}")
    if type(version) is not int or version < 1:
        raise BundleFormatError("version must be an integer >= 1")
    if not isinstance(payload, dict):
        raise BundleFormatError("payload must be a JSON object")
    issued = issued_at or datetime.now(UTC)
    if expires_at <= issued:
        raise BundleFormatError("expires_at must be after issued_at")
    signed = {
        "type": bundle_type,
        "version": version,
        "issued_at": _iso(issued),
        "expires_at": _iso(expires_at),
        "payload": payload,
    }
    try:
        signed_bytes = json.dumps(
            signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise BundleFormatError(f"payload is not JSON-serialisable: {e}") from e
    envelope = {
        "format": _FORMAT,
        "v": 2 if roots else 1,
        "keyid": bundle_key_id(signing_key.public_key()),
        "sig": base64.b64encode(signing_key.sign(_DOMAIN + signed_bytes)).decode("ascii"),
        "signed": base64.b64encode(signed_bytes).decode("ascii"),
    }
    if roots:
        envelope["roots"] = [base64.b64encode(bytes(r)).decode("ascii") for r in roots]
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode("ascii")


def _json_object(data: bytes, what: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise BundleFormatError(f"{what} is not JSON") from e
    if not isinstance(value, dict):
        raise BundleFormatError(f"{what} must be a JSON object")
    return value


def _b64(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise BundleFormatError(f"{name} must be a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise BundleFormatError(f"{name} is not base64") from e


class BundleTrust(Protocol):
    """A root-anchored trust (`sync.trust.TrustAnchor`): finds the key a bundle's chain delegates
    to `keyid`, then checks the authentic bundle's role, expiry and sealing announcement."""

    def bundle_key(self, chain: Sequence[bytes], keyid: str) -> tuple[Any, Ed25519PublicKey]: ...

    def check_bundle(self, root: Any, bundle: Bundle, keyid: str, now: datetime | None) -> None: ...


Trust = Ed25519PublicKey | BundleTrust


def _authenticated(data: bytes, trust: Trust, max_bytes: int) -> tuple[bytes, str, Any]:
    """(signed bytes, keyid, newest root or None), once the signature over the signed bytes
    verifies. Trusts nothing inside `signed` before that."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BundleFormatError("a bundle is bytes")
    if len(data) > max_bytes:
        raise BundleFormatError(f"bundle is {len(data)} bytes, over the {max_bytes} limit")
    envelope = _json_object(bytes(data), "bundle envelope")
    if type(envelope.get("v")) is not int or envelope.get("format") != _FORMAT:
        raise BundleFormatError("unknown bundle format or version")
    if set(envelope) != {1: _ENVELOPE_KEYS, 2: _ENVELOPE_V2_KEYS}.get(envelope["v"]):
        raise BundleFormatError("bundle envelope has missing or unknown fields")
    signature = _b64(envelope["sig"], "sig")
    signed_bytes = _b64(envelope["signed"], "signed")
    keyid = envelope["keyid"]
    if not isinstance(keyid, str):
        raise BundleFormatError("keyid must be a string")
    root = None
    if isinstance(trust, Ed25519PublicKey):
        public_key = trust
        if keyid != bundle_key_id(public_key):
            raise BundleSignatureError(
                "bundle is signed by another key than the pinned catalog key"
            )
    else:
        if envelope["v"] != 2:
            raise BundleSignatureError("bundle carries no root chain (a root key is pinned here)")
        roots = envelope["roots"]
        if not isinstance(roots, list):
            raise BundleFormatError("roots must be a list")
        root, public_key = trust.bundle_key([_b64(r, "roots") for r in roots], keyid)
    try:
        public_key.verify(signature, _DOMAIN + signed_bytes)
    except InvalidSignature:
        raise BundleSignatureError("bundle signature does not verify") from None
    return signed_bytes, keyid, root


def _checked(data: bytes, trust: Trust, max_bytes: int, now: datetime | None) -> Bundle:
    signed_bytes, keyid, root = _authenticated(data, trust, max_bytes)
    bundle = _parse_signed(signed_bytes, data)
    if root is not None:
        trust.check_bundle(root, bundle, keyid, now)
        bundle = replace(bundle, keyid=keyid, root_version=root.version)
    else:
        bundle = replace(bundle, keyid=keyid)
    return bundle


def _parse_signed(signed_bytes: bytes, raw: bytes) -> Bundle:
    signed = _json_object(signed_bytes, "signed part")
    if set(signed) != _SIGNED_KEYS:
        raise BundleFormatError("signed part has missing or unknown fields")
    bundle_type, version, payload = signed["type"], signed["version"], signed["payload"]
    if not isinstance(bundle_type, str) or bundle_type not in BUNDLE_TYPES:
        raise BundleFormatError("unknown bundle type")
    if type(version) is not int or not 1 <= version < 2**63:
        raise BundleFormatError("version must be an integer >= 1")
    if not isinstance(payload, dict):
        raise BundleFormatError("payload must be a JSON object")
    issued = _parse_time(signed["issued_at"], "issued_at")
    expires = _parse_time(signed["expires_at"], "expires_at")
    if expires <= issued:
        raise BundleFormatError("expires_at must be after issued_at")
    bundle = Bundle(bundle_type, version, issued, expires, payload, bytes(raw))
    if bundle_type == "config":
        sealing_key_of(bundle)  # a signed but malformed key refuses the whole bundle
    return bundle


def verify_bundle(
    data: bytes,
    public_key: Trust,
    current_version: int | Mapping[str, int],
    now: datetime,
    *,
    max_bytes: int = MAX_BUNDLE_BYTES,
) -> Bundle:
    """Verify a bundle against the pinned key or root (`Trust`), the current version (an int, or
    a mapping from bundle type to version; a missing type counts as 0) and `now` (aware).

    An equal version raises `BundleEqualVersionError` (a subclass of `BundleRollbackError`)."""
    bundle = _checked(data, public_key, max_bytes, now)
    if isinstance(current_version, Mapping):
        current = int(current_version.get(bundle.type, 0))
    else:
        current = int(current_version)
    if bundle.version < current:
        raise BundleRollbackError(bundle.type, bundle.version, current)
    if bundle.version == current:
        raise BundleEqualVersionError(bundle.type, bundle.version, current)
    if bundle.expired(now):
        raise BundleExpiredError(bundle.type, bundle.version, bundle.expires_at)
    return bundle


def load_trusted(data: bytes, public_key: Trust) -> Bundle:
    """Re-read a bundle already applied: signature, role and format checked; version and
    expiry (of the bundle, the root and the delegation) not."""
    return _checked(data, public_key, MAX_BUNDLE_BYTES, None)


def sealing_entry(public: X25519PublicKey, key_id: str) -> dict[str, str]:
    """The `payload["sealing"]` of a config bundle announcing `public` (what `sealing_key_of`
    reads back): `{"public": <b64 raw>, "key_id": key_id}`."""
    return {"public": base64.b64encode(public.public_bytes_raw()).decode("ascii"), "key_id": key_id}


def sealing_key_of(bundle: Bundle | None) -> tuple[X25519PublicKey, str] | None:
    """The central sealing key a config bundle announces (after `provision rotate --sealing`):
    `payload["sealing"] = {"public": <b64 raw>, "key_id": <16 hex>}`; None if the bundle has
    none. The key id must be the one derived from the key."""
    if bundle is None or bundle.type != "config" or "sealing" not in bundle.payload:
        return None
    entry = bundle.payload["sealing"]
    if not isinstance(entry, dict) or not isinstance(entry.get("key_id"), str):
        raise BundleFormatError("config bundle: sealing must hold public and key_id")
    raw = _b64(entry.get("public"), "sealing.public")
    if len(raw) != 32:
        raise BundleFormatError("config bundle: sealing.public must be 32 bytes")
    key = X25519PublicKey.from_public_bytes(raw)
    if hashlib.sha256(raw).hexdigest()[:16] != entry["key_id"]:
        raise BundleFormatError("config bundle: sealing.key_id does not match the key")
    try:  # a low-order point gives an all-zero secret: every seal to it would fail
        X25519PrivateKey.generate().exchange(key)
    except ValueError:
        raise BundleFormatError("config bundle: sealing.public is not a usable key") from None
    return key, entry["key_id"]


class BundleStore:
    """Applied bundles in `directory`, one `<type>.bundle` each, and the per-type high-water mark
    in `applied-versions.json`. Thin I/O around `verify_bundle`."""

    def __init__(
        self,
        directory: Path | str,
        public_key: Trust,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_bytes: int = MAX_BUNDLE_BYTES,
    ) -> None:
        self.directory = Path(directory)
        self._public_key = public_key
        self._clock = clock
        self._max_bytes = max_bytes

    def _path(self, bundle_type: str) -> Path:
        return self.directory / f"{bundle_type}.bundle"

    def _floor(self) -> dict[str, tuple[int, str]]:
        """Per type: (highest version applied, sha256 hex of that bundle). A missing file is an
        empty floor (a store from before the floor existed); a damaged one is logged and read as
        empty, since refusing every bundle forever would be worse than trusting the files."""
        try:
            data = json.loads((self.directory / VERSIONS_FILE).read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as e:
            log.warning("bundle version floor is unreadable, ignored: %s", type(e).__name__)
            return {}
        out = {}
        if isinstance(data, dict) and isinstance(data.get("applied"), dict):
            for kind, entry in data["applied"].items():
                if (
                    (kind in BUNDLE_TYPES or kind == _ROOT)
                    and isinstance(entry, dict)
                    and type(entry.get("version")) is int
                    and isinstance(entry.get("sha256"), str)
                ):
                    out[kind] = (entry["version"], entry["sha256"])
        return out

    def _write_floor(self, floor: dict[str, tuple[int, str]]) -> None:
        doc = {
            "format": 1,
            "applied": {k: {"version": v, "sha256": h} for k, (v, h) in sorted(floor.items())},
        }
        # readable like the bundles: the kiosk's readers check the floor too; nothing secret
        data = json.dumps(doc, sort_keys=True).encode()
        write_atomic(self.directory / VERSIONS_FILE, data, mode=0o644)

    def root_version(self) -> int:
        """The newest root version any applied bundle carried (0: none, or a key is pinned)."""
        return self._floor().get(_ROOT, (0, ""))[0]

    def floor(self) -> dict[str, int]:
        """The highest version ever applied per type (0: none), whatever the files hold now."""
        kept = self._floor()
        return {t: max(kept.get(t, (0, ""))[0], self._file_version(t)) for t in BUNDLE_TYPES}

    def _file_version(self, bundle_type: str) -> int:
        bundle = self._load(bundle_type)
        return bundle.version if bundle else 0

    def _load(self, bundle_type: str) -> Bundle | None:
        try:
            data = self._path(bundle_type).read_bytes()
        except FileNotFoundError:
            return None
        try:
            return load_trusted(data, self._public_key)
        except BundleError as e:
            log.warning("applied %s bundle is unusable, ignored: %s", bundle_type, e)
            return None

    def current(self, bundle_type: str) -> Bundle | None:
        """The applied bundle of this type (signature re-checked), or None. A file that no
        longer verifies (damaged or altered on disk), or one older than the floor (an older
        bundle copied over it), counts as absent, so readers fall back to what ships with the
        package and the next good bundle from the central side repairs it."""
        bundle = self._load(bundle_type)
        if bundle is None:
            return None
        floor = self._floor().get(bundle_type, (0, ""))[0]
        if bundle.version < floor:
            log.warning(
                "applied %s bundle v%d is older than v%d, ignored",
                bundle_type,
                bundle.version,
                floor,
            )
            return None
        return bundle

    def versions(self) -> dict[str, int]:
        """Version of the usable bundle file per type (0: none). This, not the floor, is what
        HELLO reports, so the central side re-sends a bundle whose file was damaged."""
        out = {}
        for bundle_type in sorted(BUNDLE_TYPES):
            bundle = self.current(bundle_type)
            out[bundle_type] = bundle.version if bundle else 0
        return out

    def status(self) -> dict[str, dict]:
        """Per type: version, expires_at, expired (for the UI and `status --json`)."""
        now = self._clock()
        out = {}
        for bundle_type in sorted(BUNDLE_TYPES):
            b = self.current(bundle_type)
            out[bundle_type] = {
                "version": b.version if b else 0,
                "expires_at": _iso(b.expires_at) if b else None,
                "expired": b.expired(now) if b else None,
            }
        return out

    def apply(self, data: bytes) -> BundleApplied:
        """Verify and apply a bundle atomically. Raises a `BundleError` and leaves the current
        bundle in place when the new one is refused."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            floor = self._floor()
            current = {
                t: max(floor.get(t, (0, ""))[0], self._file_version(t)) for t in BUNDLE_TYPES
            }
            digest = hashlib.sha256(bytes(data)).hexdigest()
            try:
                bundle = verify_bundle(
                    data, self._public_key, current, self._clock(), max_bytes=self._max_bytes
                )
            except BundleEqualVersionError as e:
                path = self._path(e.bundle_type)
                if path.exists() and path.read_bytes() == bytes(data):
                    return BundleApplied(e.bundle_type, e.version, changed=False)
                if floor.get(e.bundle_type) != (e.version, digest):
                    raise
                # the very bundle applied last, offered again after its file was damaged or
                # deleted: restoring it is not a rollback (signature, format checked again)
                bundle = load_trusted(data, self._public_key)
                if bundle.expired(self._clock()):
                    raise BundleExpiredError(bundle.type, bundle.version, bundle.expires_at) from e
            root_floor = floor.get(_ROOT, (0, ""))[0]
            if bundle.root_version and bundle.root_version < root_floor:
                # an old chain may still delegate a key the newer root took away
                raise BundleRollbackError(_ROOT, bundle.root_version, root_floor)
            self._write(self._path(bundle.type), bytes(data))
            floor[bundle.type] = (bundle.version, digest)
            if bundle.root_version > root_floor:
                floor[_ROOT] = (bundle.root_version, "")
            self._write_floor(floor)
            return BundleApplied(bundle.type, bundle.version, changed=True)
        finally:
            os.close(fd)

    def _write(self, path: Path, data: bytes) -> None:
        write_atomic(path, data, mode=0o644)  # signed, public data: the kiosk reads it too
