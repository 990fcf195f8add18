"""Reading a device bundle: everything one terminal needs to talk to the central side.

Layout (directory 0700, every file 0600; written by `madoguchi provision enroll`):
    device.toml            device id, center, city, central endpoint, printer queues, and the
                           central PUBLIC keys (CURVE server, sealing + key id, catalog, and,
                           once the central side has a root, `root_public`: the root key(s)
                           this terminal pins; bundles must then chain up to it, `sync.trust`)
    curve_client.secret    the device's CURVE secret key, z85 (its public half is recomputed)
    signing.pem            the device's Ed25519 key that signs chain heads, PKCS#8 PEM

Invariants: `load_device_config` reads device.toml only (the kiosk user may read it, it holds
no secret); `load_device_bundle` reads the secrets too; both check every key's type and length
and fail with one `DeviceBundleError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from sync.errors import DeviceBundleError, KeyFormatError, RegistryError
from sync.keyfiles._central import read_curve_secret, sealing_key_id
from sync.keyfiles._files import load_private_pem, read_toml, unb64
from sync.keyfiles._registry import check_curve_public, check_device_id
from sync.trust import TrustAnchor

DEVICE_TOML = "device.toml"
CURVE_SECRET = "curve_client.secret"
SIGNING_KEY = "signing.pem"
BUNDLE_FILES = (DEVICE_TOML, CURVE_SECRET, SIGNING_KEY)


@dataclass(frozen=True)
class DeviceConfig:
    """The public part of a bundle (device.toml only): what the kiosk needs, no secret."""

    directory: Path
    device_id: str
    center: str
    city: str
    central_endpoint: str
    printer_queues: dict[str, str]
    central_curve_public: bytes
    sealing_public: X25519PublicKey
    sealing_key_id: str
    # What downlink bundles are checked with (`sync.bundles.Trust`): the pinned root
    # (`TrustAnchor`) when device.toml has `root_public`, else the pinned catalog key of a
    # device enrolled before roles. The field keeps its old name for its callers.
    catalog_public: Ed25519PublicKey | TrustAnchor

    @property
    def bundle_trust(self) -> Ed25519PublicKey | TrustAnchor:
        return self.catalog_public


@dataclass(frozen=True)
class DeviceBundle(DeviceConfig):
    """One terminal's identity (its secrets too) and its view of the central side: the public
    `DeviceConfig` plus the device's own keys. The repr shows no secret."""

    curve_public: bytes
    curve_secret: bytes = field(repr=False)
    signing_key: Ed25519PrivateKey = field(repr=False)

    @property
    def signing_public(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()


def _str(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str):
        raise DeviceBundleError(f"{where}: '{key}' must be a string")
    return value


def load_device_config(directory: Path) -> DeviceConfig:
    """Load and check `device.toml` of a bundle directory (readable by the kiosk user)."""
    directory = Path(directory)
    try:
        data = read_toml(directory / DEVICE_TOML)
    except FileNotFoundError as e:
        raise DeviceBundleError(
            "bundle is incomplete", path=str(directory), missing=e.filename
        ) from e
    except PermissionError as e:
        raise DeviceBundleError("device.toml is not readable", path=str(directory)) from e
    except KeyFormatError as e:
        raise DeviceBundleError(f"device.toml is malformed: {e}", path=str(directory)) from e
    if data.get("format") != 1:
        raise DeviceBundleError("unknown device.toml format", path=str(directory))
    central = data.get("central")
    printers = data.get("printers", {})
    if not isinstance(central, dict) or not isinstance(printers, dict):
        raise DeviceBundleError("device.toml lacks [central] or [printers]")
    try:
        sealing = X25519PublicKey.from_public_bytes(
            unb64(_str(central, "sealing_public", "central"), 32, "sealing key")
        )
        catalog = Ed25519PublicKey.from_public_bytes(
            unb64(_str(central, "catalog_public", "central"), 32, "catalog key")
        )
        server = check_curve_public(_str(central, "curve_public", "central").encode("ascii"))
    except (KeyFormatError, UnicodeEncodeError) as e:
        raise DeviceBundleError(f"central public key is malformed: {e}") from e
    trust: Ed25519PublicKey | TrustAnchor = catalog
    if "root_public" in central:
        try:
            pinned = tuple(
                Ed25519PublicKey.from_public_bytes(unb64(k, 32, "root key"))
                for k in _str(central, "root_public", "central").split(",")
            )
        except KeyFormatError as e:
            raise DeviceBundleError(f"root key is malformed: {e}") from e
        threshold = central.get("root_threshold", 1)
        if type(threshold) is not int or not 1 <= threshold <= len(pinned):
            raise DeviceBundleError("device.toml: root_threshold must be 1..number of root keys")
        trust = TrustAnchor(pinned, threshold)
    key_id = _str(central, "sealing_key_id", "central")
    if key_id != sealing_key_id(sealing):
        raise DeviceBundleError("sealing key id does not match the sealing key")
    try:
        device_id = check_device_id(_str(data, "device_id", "device.toml"))
    except RegistryError as e:
        raise DeviceBundleError(str(e)) from e
    return DeviceConfig(
        directory=directory,
        device_id=device_id,
        center=_str(data, "center", "device.toml"),
        city=_str(data, "city", "device.toml"),
        central_endpoint=_str(central, "endpoint", "central"),
        printer_queues={str(k): str(v) for k, v in printers.items()},
        central_curve_public=server,
        sealing_public=sealing,
        sealing_key_id=key_id,
        catalog_public=trust,
    )


def load_device_bundle(directory: Path) -> DeviceBundle:
    """Load and check a whole device bundle directory, secrets included (the sync agent)."""
    config = load_device_config(directory)
    try:
        curve_public, curve_secret = read_curve_secret(config.directory / CURVE_SECRET)
        signing = load_private_pem(config.directory / SIGNING_KEY, Ed25519PrivateKey, "signing key")
    except FileNotFoundError as e:
        raise DeviceBundleError(
            "bundle is incomplete", path=str(directory), missing=e.filename
        ) from e
    except PermissionError as e:
        raise DeviceBundleError("bundle secrets are not readable by this user") from e
    except KeyFormatError as e:
        raise DeviceBundleError(f"bundle key is malformed: {e}", path=str(directory)) from e
    return DeviceBundle(
        **{f.name: getattr(config, f.name) for f in fields(DeviceConfig)},
        curve_public=curve_public,
        curve_secret=curve_secret,
        signing_key=signing,
    )
