"""Online role keys on the central server, the offline root, and signing under it (`sync.trust`).
Reading role keys and the root chain is `sync.keyfiles`'s (`load_role_keys`, `read_chain`).

Central key directory (besides `_central`'s files):
    catalog_signing.pem          the `catalog` role key (the one key of old installations)
    roles/<role>.pem             the `config`, `documents` and `sealing` role keys (0600)
    roles/retired/<keyid>.pem    role keys replaced by `rotate_role_key` (kept, never used)
    root.chain                   the root chain IT staff installed (public; absent: no root yet)
Offline root directory (a USB stick kept in a safe, never on the server):
    root.pem                     the current root key (0600, directory 0700)
    root.chain                   every root version signed so far, oldest first
    retired/<keyid>.pem          root keys replaced by a root rotation

Invariants:
- The root private key is never read or written by anything that takes `--central`; the server
  hands the root only public role keys (`export_role_keys`), the root hands back a chain.
- `install_root_chain` accepts a chain only if it verifies and, once a chain is installed, only
  one that starts from the same root and does not go back in version.
- `sign_downlink` with a root installed signs with the bundle's role key and embeds the chain,
  and refuses (before signing) a role key the newest root does not delegate for that role or
  whose delegation expired: devices would refuse the bundle anyway.
- Rotating a role key keeps the old private key in `roles/retired/`; until a root that
  delegates the new key is installed, signing for that role is refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from madoguchi.core.durable import write_atomic
from provisioning._files import make_secret_dir, private_pem
from provisioning.errors import CentralKeysError, KeyFormatError, RootKeyError
from sync.bundles import BundleError, bundle_key_id, sealing_entry, sign_bundle
from sync.keyfiles import (
    ROLES_DIR,
    ROOT_CHAIN,
    anchor_of,
    load_private_pem,
    load_role_keys,
    read_chain,
    role_key_path,
)
from sync.trust import (
    ONLINE_ROLES,
    chain_from_bytes,
    chain_to_bytes,
    parse_root,
    sign_root,
    sign_sealing_announcement,
)

__all__ = [
    "ROOT_CHAIN",
    "RootSigned",
    "anchor_of",
    "ensure_role_keys",
    "export_role_keys",
    "init_root",
    "install_root_chain",
    "load_role_keys",
    "read_chain",
    "read_role_keys_file",
    "rotate_role_key",
    "sign_downlink",
    "sign_root_version",
]

_ROOT_KEY = "root.pem"
_RETIRED = "retired"
_ROLE_KEYS_FORMAT = "madoguchi-role-keys"


def ensure_role_keys(central_dir: Path) -> None:
    """Create the role keys a directory lacks (old installations had the catalog key only)."""
    make_secret_dir(Path(central_dir) / ROLES_DIR)
    for role in ONLINE_ROLES:
        path = role_key_path(central_dir, role)
        if not path.exists():
            write_atomic(path, private_pem(Ed25519PrivateKey.generate()))


def export_role_keys(central_dir: Path) -> bytes:
    """The public half of every online role key, for the offline root (`sign_root_version`)."""
    ensure_role_keys(central_dir)
    keys = load_role_keys(central_dir)
    doc = {
        "format": _ROLE_KEYS_FORMAT,
        "keys": {
            r: base64.b64encode(k.public_key().public_bytes_raw()).decode() for r, k in keys.items()
        },
    }
    return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()


def read_role_keys_file(data: bytes) -> dict[str, Ed25519PublicKey]:
    try:
        doc = json.loads(data.decode("utf-8"))
        if doc.get("format") != _ROLE_KEYS_FORMAT or set(doc["keys"]) != set(ONLINE_ROLES):
            raise ValueError("format")
        return {
            role: Ed25519PublicKey.from_public_bytes(base64.b64decode(b64, validate=True))
            for role, b64 in doc["keys"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as e:
        raise KeyFormatError(
            "not a role-keys file from `provision role-keys` (every role, 32-byte keys)"
        ) from e


def init_root(root_dir: Path) -> Ed25519PublicKey:
    """Create the offline root key in `root_dir` (0700). Refuses a directory that has one."""
    root_dir = Path(root_dir)
    if (root_dir / _ROOT_KEY).exists():
        raise RootKeyError("a root key already exists here", path=str(root_dir))
    make_secret_dir(root_dir)
    key = Ed25519PrivateKey.generate()
    write_atomic(root_dir / _ROOT_KEY, private_pem(key))
    return key.public_key()


@dataclass(frozen=True)
class RootSigned:
    version: int
    chain: bytes
    root_keyid: str
    expires_at: datetime


def sign_root_version(
    root_dir: Path,
    role_keys: Mapping[str, Ed25519PublicKey],
    *,
    expires_at: datetime,
    role_expires_at: datetime,
    rotate_root: bool = False,
    now: datetime | None = None,
) -> RootSigned:
    """Sign the next root version delegating each online role to `role_keys` until
    `role_expires_at`; append it to `root.chain`. With `rotate_root`, a new root key replaces
    the current one: the new root is signed by both (TUF), the old key moves to `retired/`."""
    root_dir = Path(root_dir)
    now = now or datetime.now(UTC)
    if set(role_keys) != set(ONLINE_ROLES):
        raise RootKeyError("every online role needs a key", roles=",".join(sorted(role_keys)))
    if not now < role_expires_at <= expires_at:
        raise RootKeyError("delegations must expire after now and no later than the root")
    try:
        key = load_private_pem(root_dir / _ROOT_KEY, Ed25519PrivateKey, "root key")
    except FileNotFoundError:
        raise RootKeyError("no root key here (provision root init)", path=str(root_dir)) from None
    chain = read_chain(root_dir) or []
    version = parse_root(chain[-1]).version + 1 if chain else 1
    signers, new_key = [key], key
    if rotate_root:
        if not chain:
            raise RootKeyError("nothing to rotate: sign the first root version first")
        new_key = Ed25519PrivateKey.generate()
        signers.append(new_key)
    raw = sign_root(
        version,
        root_keys=[new_key.public_key()],
        delegations={r: ([k], role_expires_at) for r, k in role_keys.items()},
        expires_at=expires_at,
        signing_keys=signers,
        issued_at=now,
    )
    chain.append(raw)
    anchor_of(chain).root_of(chain)  # never write a chain that does not walk
    if rotate_root:
        retired = root_dir / _RETIRED
        make_secret_dir(retired)
        write_atomic(retired / f"{bundle_key_id(key.public_key())}.pem", private_pem(key))
        write_atomic(root_dir / _ROOT_KEY, private_pem(new_key))
    write_atomic(root_dir / ROOT_CHAIN, chain_to_bytes(chain), mode=0o644)
    return RootSigned(
        version, chain_to_bytes(chain), bundle_key_id(new_key.public_key()), expires_at
    )


def install_root_chain(central_dir: Path, data: bytes) -> int:
    """Place a root chain (from `sign_root_version`) in the central directory; its version."""
    chain = chain_from_bytes(data)
    existing = read_chain(central_dir)
    anchor = anchor_of(existing) if existing else anchor_of(chain)
    try:
        newest = anchor.root_of(chain)
    except BundleError as e:
        raise RootKeyError(f"root chain refused: {e}") from e
    if existing:
        current = anchor.root_of(existing).version
        if newest.version < current:
            raise RootKeyError("root chain is older than the installed one", current=current)
    write_atomic(Path(central_dir) / ROOT_CHAIN, chain_to_bytes(chain), mode=0o644)
    return newest.version


def rotate_role_key(central_dir: Path, role: str) -> str:
    """A new key for an online role (old one kept in roles/retired/); its key id. Needs a root:
    devices pinned to a single key could never accept a new one."""
    if role not in ONLINE_ROLES:
        raise RootKeyError("unknown role", role=role)
    if read_chain(central_dir) is None:
        raise RootKeyError("rotating a role key needs a root (provision root ...) first")
    path = role_key_path(central_dir, role)
    old = load_private_pem(path, Ed25519PrivateKey, f"{role} role key")
    retired = Path(central_dir) / ROLES_DIR / _RETIRED
    make_secret_dir(retired)
    write_atomic(retired / f"{role}-{bundle_key_id(old.public_key())}.pem", private_pem(old))
    new = Ed25519PrivateKey.generate()
    write_atomic(path, private_pem(new))
    return bundle_key_id(new.public_key())


def sign_downlink(
    keys,
    bundle_type: str,
    version: int,
    payload: dict,
    *,
    expires_at: datetime,
    issued_at: datetime | None = None,
    announce_sealing: bool = False,
) -> bytes:
    """Sign a catalog or config bundle as the central keys allow (see module docstring).
    `keys` is a `CentralKeys`; with `announce_sealing` the payload announces the current
    sealing key (signed by the `sealing` role when a root is installed)."""
    payload = dict(payload)
    now = issued_at or datetime.now(UTC)
    if keys.root_chain is None:
        if announce_sealing:
            payload["sealing"] = sealing_entry(keys.sealing_public, keys.sealing_key_id)
        return sign_bundle(
            bundle_type,
            version,
            payload,
            expires_at=expires_at,
            signing_key=keys.catalog_signing_key,
            issued_at=now,
        )
    root = keys.bundle_trust.root_of(keys.root_chain)

    def delegated(role: str) -> Ed25519PrivateKey:
        key = keys.role_keys.get(role)
        if key is None:
            raise CentralKeysError(f"no {role} role key (provision role-keys)")
        try:
            root.key_for(role, bundle_key_id(key.public_key()), now)
        except BundleError as e:
            raise CentralKeysError(
                f"the {role} role key is not usable under root version {root.version}: {e};"
                " sign a new root version (provision root sign) and install it"
            ) from e
        return key

    signing_key = delegated(bundle_type)
    if announce_sealing:
        entry = sealing_entry(keys.sealing_public, keys.sealing_key_id)
        payload["sealing"] = sign_sealing_announcement(entry, delegated("sealing"))
    return sign_bundle(
        bundle_type,
        version,
        payload,
        expires_at=expires_at,
        signing_key=signing_key,
        issued_at=now,
        roots=keys.root_chain,
    )
