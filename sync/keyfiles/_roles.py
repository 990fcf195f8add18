"""Reading the online role keys and the installed root chain of a central key directory.

Layout (written by `provisioning`):
    catalog_signing.pem          the `catalog` role key (the one key of old installations)
    roles/<role>.pem             the `config`, `documents` and `sealing` role keys (0600)
    root.chain                   the root chain IT staff installed (public; absent: no root yet)

Invariant: a role key file is read only through `load_private_pem` (0600 checked first); a
chain is parsed by `sync.trust`, which refuses a malformed one with a `BundleError`.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.keyfiles._files import load_private_pem
from sync.trust import ONLINE_ROLES, TrustAnchor, chain_from_bytes, parse_root

ROOT_CHAIN = "root.chain"
ROLES_DIR = "roles"
CATALOG_FILE = "catalog_signing.pem"


def role_key_path(central_dir: Path, role: str) -> Path:
    """Where the private key of an online role lives in a central key directory."""
    if role == "catalog":
        return Path(central_dir) / CATALOG_FILE
    return Path(central_dir) / ROLES_DIR / f"{role}.pem"


def load_role_keys(central_dir: Path) -> dict[str, Ed25519PrivateKey]:
    """The role keys present (the catalog key at least; the others once created)."""
    out = {}
    for role in ONLINE_ROLES:
        path = role_key_path(central_dir, role)
        if path.exists() or role == "catalog":
            out[role] = load_private_pem(path, Ed25519PrivateKey, f"{role} role key")
    return out


def read_chain(directory: Path) -> list[bytes] | None:
    """The root chain in `directory` (`root.chain`), or None if there is none."""
    try:
        data = (Path(directory) / ROOT_CHAIN).read_bytes()
    except FileNotFoundError:
        return None
    return chain_from_bytes(data)


def anchor_of(chain: list[bytes]) -> TrustAnchor:
    """The anchor a chain starts from: the root keys of its first root."""
    first = parse_root(chain[0])
    role = first.roles["root"]
    return TrustAnchor(tuple(first.keys[k] for k in role.keyids), role.threshold)
