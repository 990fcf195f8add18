"""Creating and rotating the central keys: CURVE server keypair, sealing X25519 keypairs (one
current, older ones kept so records sealed before a rotation still open), catalog-signing
Ed25519 keypair. The layout and its readers (`load_central_keys`, `CentralKeys`) are
`sync.keyfiles`'s: the receiver reads what this module writes.

Invariants: `init_central` never overwrites an existing key; a sealing key is never deleted by
rotation; `key_id` is derived from the public key, so it cannot disagree with it.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from madoguchi.core.durable import write_atomic
from provisioning._files import make_secret_dir, private_pem
from provisioning._roles import ensure_role_keys
from provisioning.errors import CentralKeysError
from sync.keyfiles import (
    CATALOG_FILE,
    CENTRAL_CURVE_PUBLIC,
    CENTRAL_CURVE_SECRET,
    REGISTRY_FILE,
    SEALING_CURRENT,
    SEALING_DIR,
    CentralKeys,
    curve_public_from_secret,
    load_central_keys,
    new_curve_keypair,
    read_curve_secret,
    sealing_key_id,
)

__all__ = [
    "REGISTRY_FILE",
    "CentralKeys",
    "curve_public_from_secret",
    "init_central",
    "load_central_keys",
    "new_curve_keypair",
    "read_curve_secret",
    "rotate_sealing",
    "sealing_key_id",
]


def _write_sealing_key(directory: Path) -> str:
    sealing_dir = directory / SEALING_DIR
    make_secret_dir(sealing_dir)
    key = X25519PrivateKey.generate()
    key_id = sealing_key_id(key.public_key())
    write_atomic(sealing_dir / f"{key_id}.pem", private_pem(key))
    write_atomic(sealing_dir / SEALING_CURRENT, (key_id + "\n").encode())
    return key_id


def init_central(directory: Path) -> CentralKeys:
    """Create every central key in `directory` (created 0700). Refuses an initialised directory."""
    directory = Path(directory)
    if (directory / CENTRAL_CURVE_SECRET).exists() or (directory / CATALOG_FILE).exists():
        raise CentralKeysError("central keys already exist here", path=str(directory))
    make_secret_dir(directory)
    public, secret = new_curve_keypair()
    write_atomic(directory / CENTRAL_CURVE_SECRET, secret + b"\n")
    write_atomic(directory / CENTRAL_CURVE_PUBLIC, public + b"\n")
    write_atomic(directory / CATALOG_FILE, private_pem(Ed25519PrivateKey.generate()))
    ensure_role_keys(directory)
    _write_sealing_key(directory)
    write_atomic(directory / REGISTRY_FILE, b'{"format": 1, "devices": []}\n')
    return load_central_keys(directory)


def rotate_sealing(directory: Path) -> CentralKeys:
    """Make a new current sealing key; the old ones stay to open records sealed before."""
    load_central_keys(directory)  # refuse a broken directory before touching it
    _write_sealing_key(Path(directory))
    return load_central_keys(directory)
