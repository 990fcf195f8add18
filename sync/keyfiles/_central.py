"""Reading the central key directory: CURVE server keypair, sealing X25519 keypairs (one current,
older ones kept so records sealed before a rotation still open), catalog-signing Ed25519 keypair,
the role keys and the installed root chain.

Layout of the central key directory (0700, every file 0600; written by `provisioning`):
    curve_server.secret / curve_server.public   z85 text (40 characters)
    catalog_signing.pem                          Ed25519 private key, PKCS#8 PEM
    sealing/<key_id>.pem                         X25519 private keys, PKCS#8 PEM
    sealing/current                              the key id new records are sealed to
    registry.json                                enrolled devices (see `_registry`)
    roles/, root.chain                           online role keys and the installed root chain
                                                 (see `_roles`)

Invariants: `key_id` is derived from the public key, so it cannot disagree with it; a CURVE
public key is recomputed from the secret, never trusted from a file; `load_central_keys`
cross-checks every file and fails with one `CentralKeysError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from sync.bundles import BundleError
from sync.errors import CentralKeysError, KeyFormatError
from sync.keyfiles import _z85
from sync.keyfiles._files import check_private, load_private_pem, raw_public
from sync.keyfiles._registry import REGISTRY_FILE
from sync.keyfiles._roles import CATALOG_FILE, anchor_of, load_role_keys, read_chain
from sync.trust import TrustAnchor

CENTRAL_CURVE_SECRET = "curve_server.secret"
CENTRAL_CURVE_PUBLIC = "curve_server.public"
SEALING_DIR = "sealing"
SEALING_CURRENT = "current"


def sealing_key_id(public: X25519PublicKey) -> str:
    """The id of a sealing key: the first 16 hex digits of SHA-256 over its raw public bytes."""
    return hashlib.sha256(raw_public(public)).hexdigest()[:16]


def new_curve_keypair() -> tuple[bytes, bytes]:
    """A CURVE keypair as (public z85, secret z85), the same format as `zmq.curve_keypair()`."""
    secret = X25519PrivateKey.generate()
    return _z85.encode(raw_public(secret.public_key())), _z85.encode(secret.private_bytes_raw())


def curve_public_from_secret(secret_z85: bytes) -> bytes:
    raw = _z85.decode(secret_z85)
    if len(raw) != 32:
        raise KeyFormatError("a CURVE secret key is 32 bytes", length=len(raw))
    return _z85.encode(raw_public(X25519PrivateKey.from_private_bytes(raw).public_key()))


def read_curve_secret(path: Path) -> tuple[bytes, bytes]:
    """(public z85, secret z85) from a secret file; the public half is recomputed, not trusted."""
    check_private(path, "CURVE secret key")
    secret = path.read_bytes().strip()
    if len(secret) != 40:
        raise KeyFormatError("a CURVE secret key file holds 40 z85 characters", path=str(path))
    return curve_public_from_secret(secret), secret


@dataclass(frozen=True)
class CentralKeys:
    """Every central key, loaded. The repr never shows a secret."""

    directory: Path
    curve_public: bytes
    curve_secret: bytes = field(repr=False)
    sealing_keys: Mapping[str, X25519PrivateKey] = field(repr=False)
    sealing_key_id: str
    catalog_signing_key: Ed25519PrivateKey = field(repr=False)
    role_keys: Mapping[str, Ed25519PrivateKey] = field(default_factory=dict, repr=False)
    root_chain: tuple[bytes, ...] | None = None

    @property
    def sealing_private(self) -> X25519PrivateKey:
        return self.sealing_keys[self.sealing_key_id]

    @property
    def sealing_public(self) -> X25519PublicKey:
        return self.sealing_private.public_key()

    @property
    def bundle_trust(self) -> Ed25519PublicKey | TrustAnchor:
        """What bundles are checked with: the installed root chain's anchor, or (no root yet)
        the catalog key devices pin."""
        if self.root_chain is None:
            return self.catalog_signing_key.public_key()
        return anchor_of(list(self.root_chain))

    @property
    def catalog_public(self) -> Ed25519PublicKey | TrustAnchor:
        """The name callers (the receiver's bundle source, tests) use for `bundle_trust`."""
        return self.bundle_trust

    @property
    def document_signing_key(self) -> Ed25519PrivateKey:
        """The key certificates are signed with: the `documents` role key once a root is
        installed, the catalog key before (one key for everything, as before roles)."""
        if self.root_chain is not None and "documents" in self.role_keys:
            return self.role_keys["documents"]
        return self.catalog_signing_key

    @property
    def registry_path(self) -> Path:
        return self.directory / REGISTRY_FILE

    def sealing_private_for(self, key_id: str) -> X25519PrivateKey:
        """The private sealing key of `key_id` (current or an older one)."""
        try:
            return self.sealing_keys[key_id]
        except KeyError:
            raise CentralKeysError("no sealing key with this id", key_id=key_id) from None


def load_central_keys(directory: Path) -> CentralKeys:
    """Load and cross-check the central keys of `directory`."""
    directory = Path(directory)
    try:
        curve_public, curve_secret = read_curve_secret(directory / CENTRAL_CURVE_SECRET)
        catalog = load_private_pem(directory / CATALOG_FILE, Ed25519PrivateKey, "catalog key")
        current = (directory / SEALING_DIR / SEALING_CURRENT).read_text(encoding="ascii").strip()
        sealing: dict[str, X25519PrivateKey] = {}
        for path in sorted((directory / SEALING_DIR).glob("*.pem")):
            key = load_private_pem(path, X25519PrivateKey, "sealing key")
            key_id = sealing_key_id(key.public_key())
            if key_id != path.stem:
                raise KeyFormatError("sealing key file name is not its key id", path=str(path))
            sealing[key_id] = key
        role_keys = load_role_keys(directory)
        chain = read_chain(directory)
    except (FileNotFoundError, NotADirectoryError) as e:
        raise CentralKeysError(
            "central key directory is incomplete", path=str(directory), missing=e.filename
        ) from e
    except UnicodeDecodeError as e:
        raise CentralKeysError("sealing/current is not a key id", path=str(directory)) from e
    except (KeyFormatError, BundleError) as e:
        raise CentralKeysError(f"central key is unusable: {e}") from e
    if current not in sealing:
        raise CentralKeysError("current sealing key is missing", key_id=current)
    return CentralKeys(
        directory=directory,
        curve_public=curve_public,
        curve_secret=curve_secret,
        sealing_keys=sealing,
        sealing_key_id=current,
        catalog_signing_key=catalog,
        role_keys=role_keys,
        root_chain=tuple(chain) if chain is not None else None,
    )
