"""Keys with roles, as TUF has them: an offline root delegates to online keys per role.

A root document says which Ed25519 keys may sign for which role, until when:
    signed = {"type": "root", "version": N, "issued_at": ..., "expires_at": ...,
              "keys": {"<keyid>": "<b64 raw public>", ...},
              "roles": {"root": {"keyids": [...], "threshold": T},
                        "catalog" | "config" | "documents" | "sealing":
                            {"keyids": [...], "threshold": 1, "expires_at": ...}}}
    envelope = {"format": "madoguchi-root", "v": 1, "signed": <b64>,
                "signatures": [{"keyid": ..., "sig": <b64>}, ...]}
Signatures cover `b"madoguchi/root/v1\\0" + signed_bytes`. A root chain is the list of every
root version, oldest first; downlink bundles carry it (`sync.bundles`, envelope v2), so a
terminal needs nothing but the root key pinned in its device bundle (`TrustAnchor`).

Invariants (no I/O, no clock: `now` is always passed in):
- The chain is walked from the first root whose root role is exactly the pinned keys and that
  meets its own threshold; each next root must have version + 1 and meet the threshold of the
  previous root's root role AND its own (so the old root signs the new one: root rotation).
- A bundle's signing key must be delegated by the newest root for the bundle's role
  (`catalog` bundles: role catalog; `config`: role config), and, when `now` is given, neither the
  newest root nor that delegation may have expired. A key delegated for another role, a key the
  root never named, and an expired delegation are each refused (`RoleKeyError`).
- A config bundle's sealing announcement must carry a signature by a key delegated for the
  `sealing` role over `b"madoguchi/sealing-announcement/v1\\0" + canonical {"key_id","public"}`.
- Online roles have threshold 1 (a bundle carries one signature); the root role may have more.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.bundles import Bundle, bundle_key_id
from sync.errors import BundleFormatError, RoleKeyError, RootChainError

__all__ = [
    "ONLINE_ROLES",
    "Delegation",
    "Root",
    "RootChainError",
    "RoleKeyError",
    "TrustAnchor",
    "chain_from_bytes",
    "chain_to_bytes",
    "sign_root",
    "sign_sealing_announcement",
    "verify_chain",
]

ONLINE_ROLES = ("catalog", "config", "documents", "sealing")
BUNDLE_ROLE = {"catalog": "catalog", "config": "config"}
MAX_CHAIN = 256
_ROOT_DOMAIN = b"madoguchi/root/v1\x00"
_SEALING_DOMAIN = b"madoguchi/sealing-announcement/v1\x00"
_ROOT_FORMAT = "madoguchi-root"
_CHAIN_FORMAT = "madoguchi-root-chain"


def _iso(t: datetime) -> str:
    if t.tzinfo is None:
        raise BundleFormatError("root times must be timezone-aware")
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: object, name: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z") or len(value) != 20:
        raise RootChainError(f"root: {name} must be an ISO-8601 UTC time")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise RootChainError(f"root: {name} is not a valid time") from None


def _b64d(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise RootChainError(f"root: {name} must be base64")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise RootChainError(f"root: {name} is not base64") from None


def _canonical(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@dataclass(frozen=True)
class Delegation:
    keyids: tuple[str, ...]
    threshold: int
    expires_at: datetime | None  # None for the root role (the root document's own expiry)


@dataclass(frozen=True)
class Root:
    """One verified-or-not root document (which, depends on who returned it)."""

    version: int
    issued_at: datetime
    expires_at: datetime
    keys: Mapping[str, Ed25519PublicKey]
    roles: Mapping[str, Delegation]
    signed_bytes: bytes
    signatures: tuple[tuple[str, bytes], ...]
    raw: bytes

    def signed_by(self, delegation: Delegation, keys: Mapping[str, Ed25519PublicKey]) -> bool:
        """True if at least `delegation.threshold` distinct keys of `delegation` signed this."""
        good = set()
        for keyid, sig in self.signatures:
            if keyid in delegation.keyids and keyid in keys and keyid not in good:
                try:
                    keys[keyid].verify(sig, _ROOT_DOMAIN + self.signed_bytes)
                except InvalidSignature:
                    continue
                good.add(keyid)
        return len(good) >= delegation.threshold

    def key_for(self, role: str, keyid: str, now: datetime | None) -> Ed25519PublicKey:
        """The public key `keyid` if this root delegates `role` to it (and, with `now`, neither
        the root nor the delegation expired)."""
        delegation = self.roles.get(role)
        if delegation is None or keyid not in delegation.keyids or keyid not in self.keys:
            raise RoleKeyError(
                "key is not delegated for this role by the root", role=role, keyid=keyid
            )
        if now is not None:
            if self.expires_at <= now:
                raise RoleKeyError(f"root version {self.version} expired", role=role, keyid=keyid)
            if delegation.expires_at is not None and delegation.expires_at <= now:
                raise RoleKeyError("the root's delegation expired", role=role, keyid=keyid)
        return self.keys[keyid]


def _parse_delegation(name: str, value: object, keys: Mapping[str, Ed25519PublicKey]) -> Delegation:
    if not isinstance(value, dict) or set(value) - {"keyids", "threshold", "expires_at"}:
        raise RootChainError(f"root: role {name} is malformed")
    keyids, threshold = value.get("keyids"), value.get("threshold")
    if (
        not isinstance(keyids, list)
        or not keyids
        or not all(isinstance(k, str) and k in keys for k in keyids)
        or len(set(keyids)) != len(keyids)
    ):
        raise RootChainError(f"root: role {name} names unknown or duplicate keys")
    if type(threshold) is not int or not 1 <= threshold <= len(keyids):
        raise RootChainError(f"root: role {name} has a bad threshold")
    if name != "root" and threshold != 1:
        raise RootChainError(f"root: online role {name} must have threshold 1")
    if name == "root":
        if "expires_at" in value:
            raise RootChainError("root: the root role expires with the root document")
        return Delegation(tuple(keyids), threshold, None)
    return Delegation(
        tuple(keyids), threshold, _time(value.get("expires_at"), f"{name}.expires_at")
    )


def parse_root(raw: bytes) -> Root:
    """Parse a root envelope. Checks the format only: no signature is trusted here."""
    try:
        env = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RootChainError("root is not JSON") from None
    if not isinstance(env, dict) or set(env) != {"format", "v", "signed", "signatures"}:
        raise RootChainError("root envelope has missing or unknown fields")
    if env["format"] != _ROOT_FORMAT or type(env["v"]) is not int or env["v"] != 1:
        raise RootChainError("unknown root format")
    sigs = env["signatures"]
    if not isinstance(sigs, list) or not sigs or len(sigs) > 16:
        raise RootChainError("root: signatures must be a list of 1 to 16")
    signatures = []
    for s in sigs:
        if not isinstance(s, dict) or set(s) != {"keyid", "sig"} or not isinstance(s["keyid"], str):
            raise RootChainError("root: a signature entry is malformed")
        signatures.append((s["keyid"], _b64d(s["sig"], "sig")))
    signed_bytes = _b64d(env["signed"], "signed")
    try:
        signed = json.loads(signed_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RootChainError("root: signed part is not JSON") from None
    fields = {"type", "version", "issued_at", "expires_at", "keys", "roles"}
    if not isinstance(signed, dict) or set(signed) != fields or signed["type"] != "root":
        raise RootChainError("root: signed part has missing or unknown fields")
    version = signed["version"]
    if type(version) is not int or not 1 <= version < 2**63:
        raise RootChainError("root: version must be an integer >= 1")
    if not isinstance(signed["keys"], dict) or not isinstance(signed["roles"], dict):
        raise RootChainError("root: keys and roles must be objects")
    keys = {}
    for keyid, b64 in signed["keys"].items():
        raw_key = _b64d(b64, "key")
        if len(raw_key) != 32:
            raise RootChainError("root: a key is not 32 bytes")
        key = Ed25519PublicKey.from_public_bytes(raw_key)
        if bundle_key_id(key) != keyid:
            raise RootChainError("root: a key id does not match its key")
        keys[keyid] = key
    if "root" not in signed["roles"] or set(signed["roles"]) - {"root", *ONLINE_ROLES}:
        raise RootChainError("root: roles must hold root and only known roles")
    roles = {name: _parse_delegation(name, v, keys) for name, v in signed["roles"].items()}
    issued = _time(signed["issued_at"], "issued_at")
    expires = _time(signed["expires_at"], "expires_at")
    if expires <= issued:
        raise RootChainError("root: expires_at must be after issued_at")
    return Root(version, issued, expires, keys, roles, signed_bytes, tuple(signatures), bytes(raw))


def sign_root(
    version: int,
    *,
    root_keys: Sequence[Ed25519PublicKey],
    root_threshold: int = 1,
    delegations: Mapping[str, tuple[Sequence[Ed25519PublicKey], datetime]],
    expires_at: datetime,
    signing_keys: Iterable[Ed25519PrivateKey],
    issued_at: datetime | None = None,
) -> bytes:
    """A root envelope: `delegations` maps an online role to (its keys, until when); signed by
    every key of `signing_keys` (the new root keys, and the old ones on a rotation)."""
    issued = issued_at or datetime.now(UTC)
    keys: dict[str, str] = {}

    def ids(pubs: Sequence[Ed25519PublicKey]) -> list[str]:
        out = []
        for pub in pubs:
            keyid = bundle_key_id(pub)
            keys[keyid] = base64.b64encode(pub.public_bytes_raw()).decode("ascii")
            out.append(keyid)
        return out

    roles: dict[str, dict] = {"root": {"keyids": ids(root_keys), "threshold": root_threshold}}
    for role, (pubs, until) in sorted(delegations.items()):
        if role not in ONLINE_ROLES:
            raise BundleFormatError(f"unknown role {role!r}")
        roles[role] = {"keyids": ids(pubs), "threshold": 1, "expires_at": _iso(until)}
    signed = {
        "type": "root",
        "version": version,
        "issued_at": _iso(issued),
        "expires_at": _iso(expires_at),
        "keys": keys,
        "roles": roles,
    }
    signed_bytes = _canonical(signed)
    sigs = [
        {
            "keyid": bundle_key_id(k.public_key()),
            "sig": base64.b64encode(k.sign(_ROOT_DOMAIN + signed_bytes)).decode("ascii"),
        }
        for k in signing_keys
    ]
    env = {
        "format": _ROOT_FORMAT,
        "v": 1,
        "signed": base64.b64encode(signed_bytes).decode("ascii"),
        "signatures": sigs,
    }
    raw = _canonical(env)
    parse_root(raw)  # never hand out a root the verifier would refuse as malformed
    return raw


def chain_to_bytes(chain: Sequence[bytes]) -> bytes:
    return _canonical(
        {"format": _CHAIN_FORMAT, "roots": [base64.b64encode(r).decode("ascii") for r in chain]}
    )


def chain_from_bytes(data: bytes) -> list[bytes]:
    try:
        doc = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RootChainError("root chain is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != _CHAIN_FORMAT:
        raise RootChainError("not a root chain")
    roots = doc.get("roots")
    if not isinstance(roots, list) or not 1 <= len(roots) <= MAX_CHAIN:
        raise RootChainError(f"a root chain holds 1 to {MAX_CHAIN} roots")
    return [_b64d(r, "root") for r in roots]


def verify_chain(
    chain: Sequence[bytes], pinned: Sequence[Ed25519PublicKey], threshold: int = 1
) -> Root:
    """The newest root of `chain`, walked from the root the pinned keys sign (see module doc)."""
    if not chain or len(chain) > MAX_CHAIN:
        raise RootChainError(f"a root chain holds 1 to {MAX_CHAIN} roots")
    roots = [parse_root(raw) for raw in chain]
    pinned_ids = tuple(sorted(bundle_key_id(k) for k in pinned))
    trusted = None
    for i, root in enumerate(roots):
        role = root.roles["root"]
        if tuple(sorted(role.keyids)) == pinned_ids and role.threshold == threshold:
            if root.signed_by(role, root.keys):
                trusted, start = root, i
                break
    if trusted is None:
        raise RootChainError("no root in the chain is signed by the pinned root key")
    for nxt in roots[start + 1 :]:
        if nxt.version != trusted.version + 1:
            raise RootChainError(f"root version {nxt.version} does not follow {trusted.version}")
        if not nxt.signed_by(trusted.roles["root"], trusted.keys):
            raise RootChainError(f"root version {nxt.version} is not signed by the previous root")
        if not nxt.signed_by(nxt.roles["root"], nxt.keys):
            raise RootChainError(f"root version {nxt.version} is not signed by its own root keys")
        trusted = nxt
    return trusted


def sign_sealing_announcement(entry: Mapping[str, str], key: Ed25519PrivateKey) -> dict[str, str]:
    """`entry` ({"public", "key_id"}) with the `sealing` role's signature added."""
    base = {"public": entry["public"], "key_id": entry["key_id"]}
    sig = key.sign(_SEALING_DOMAIN + _canonical(base))
    return {**base, "keyid": bundle_key_id(key.public_key()), "sig": base64.b64encode(sig).decode()}


@dataclass(frozen=True)
class TrustAnchor:
    """What a terminal pins: the root key(s) of its device bundle. Passed wherever
    `sync.bundles` takes the key bundles are checked with; bundles must then carry a root chain
    that starts from these keys, and be signed by a key the newest root delegates for their role."""

    root_keys: tuple[Ed25519PublicKey, ...]
    threshold: int = 1

    def root_of(self, chain: Sequence[bytes]) -> Root:
        return verify_chain(chain, self.root_keys, self.threshold)

    def bundle_key(self, chain: Sequence[bytes], keyid: str) -> tuple[Root, Ed25519PublicKey]:
        """The newest root and the key `keyid`, if that root delegates any bundle role to it
        (which role is checked once the signed part is authentic: `check_bundle`)."""
        root = self.root_of(chain)
        for role in BUNDLE_ROLE.values():
            delegation = root.roles.get(role)
            if delegation and keyid in delegation.keyids:
                return root, root.keys[keyid]
        raise RoleKeyError("key is not delegated for any bundle role", role="bundle", keyid=keyid)

    def check_bundle(self, root: Root, bundle: Bundle, keyid: str, now: datetime | None) -> None:
        """Role, expiry and the sealing announcement of an authentic bundle."""
        root.key_for(BUNDLE_ROLE[bundle.type], keyid, now)
        entry = bundle.payload.get("sealing") if bundle.type == "config" else None
        if entry is None:
            return
        if not isinstance(entry, dict) or not isinstance(entry.get("keyid"), str):
            raise RoleKeyError("sealing announcement is not signed", role="sealing", keyid="-")
        sealing_key = root.key_for("sealing", entry["keyid"], now)
        base = {"public": entry.get("public"), "key_id": entry.get("key_id")}
        try:
            sealing_key.verify(
                _b64d(entry.get("sig"), "sealing.sig"), _SEALING_DOMAIN + _canonical(base)
            )
        except (InvalidSignature, RootChainError):
            raise RoleKeyError(
                "sealing announcement signature does not verify",
                role="sealing",
                keyid=entry["keyid"],
            ) from None
