"""Device bundles: everything one terminal needs to talk to the central side, in one directory.

Layout (directory 0700, every file 0600):
    device.toml            device id, center, city, central endpoint, printer queues, and the
                           central PUBLIC keys (CURVE server, sealing + key id, catalog, and,
                           once the central side has a root, `root_public`: the root key(s)
                           this terminal pins; bundles must then chain up to it, `sync.trust`)
    curve_client.secret    the device's CURVE secret key, z85 (its public half is recomputed)
    signing.pem            the device's Ed25519 key that signs chain heads, PKCS#8 PEM

Invariants: a bundle holds no central secret; enrolling writes the bundle before the registry
entry, so a crash leaves at worst an unregistered bundle (refused by the receiver), never a
registered key without its bundle; `load_device_bundle` checks every key's type and length.
"""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass, field, fields
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from madoguchi.core.durable import write_atomic
from provisioning._central import (
    CentralKeys,
    load_central_keys,
    new_curve_keypair,
    read_curve_secret,
    sealing_key_id,
)
from provisioning._files import (
    b64,
    dump_toml,
    load_private_pem,
    make_secret_dir,
    private_pem,
    raw_public,
    read_toml,
    unb64,
)
from provisioning._registry import Registry, check_curve_public, check_device_id
from provisioning.errors import DeviceBundleError, KeyFormatError, RegistryError
from sync.trust import TrustAnchor

DEVICE_TOML = "device.toml"
CURVE_SECRET = "curve_client.secret"
SIGNING_KEY = "signing.pem"
BUNDLE_FILES = (DEVICE_TOML, CURVE_SECRET, SIGNING_KEY)
TARBALL_ROOT = "madoguchi-device"
TARBALL_CATALOG = "catalog.bundle"


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


def _device_toml(
    device_id: str,
    center: str,
    city: str,
    endpoint: str,
    queues: dict[str, str],
    central: CentralKeys,
) -> bytes:
    data = {
        "format": 1,
        "device_id": device_id,
        "center": center,
        "city": city,
        "central": {
            "endpoint": endpoint,
            "curve_public": central.curve_public.decode("ascii"),
            "sealing_public": b64(raw_public(central.sealing_public)),
            "sealing_key_id": central.sealing_key_id,
            "catalog_public": b64(raw_public(central.catalog_signing_key.public_key())),
            **_root_fields(central),
        },
        "printers": dict(queues),
    }
    header = "Madoguchi device bundle: written by `madoguchi provision enroll`; do not edit."
    return dump_toml(data, header).encode("utf-8")


def _root_fields(central: CentralKeys) -> dict[str, object]:
    """The root key(s) of the newest installed root: what the terminal pins (none: no root)."""
    if central.root_chain is None:
        return {}
    anchor = central.bundle_trust.root_of(central.root_chain)
    role = anchor.roles["root"]
    return {
        "root_public": ",".join(b64(raw_public(anchor.keys[k])) for k in role.keyids),
        "root_threshold": role.threshold,
    }


def _write_bundle(
    out_dir: Path,
    device_id: str,
    center: str,
    city: str,
    endpoint: str,
    queues: dict[str, str],
    central: CentralKeys,
) -> DeviceBundle:
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise DeviceBundleError("bundle directory is not empty", path=str(out_dir))
    make_secret_dir(out_dir)
    _, curve_secret = new_curve_keypair()
    write_atomic(out_dir / CURVE_SECRET, curve_secret + b"\n")
    write_atomic(out_dir / SIGNING_KEY, private_pem(Ed25519PrivateKey.generate()))
    write_atomic(
        out_dir / DEVICE_TOML, _device_toml(device_id, center, city, endpoint, queues, central)
    )
    return load_device_bundle(out_dir)


def enroll_device(
    central_dir: Path,
    out_dir: Path,
    *,
    device_id: str,
    center: str,
    endpoint: str,
    city: str = "",
    printer_queues: dict[str, str] | None = None,
) -> DeviceBundle:
    """Create a device bundle in `out_dir` and record the device in the central registry."""
    check_device_id(device_id)
    central = load_central_keys(central_dir)
    registry = Registry(central.registry_path)
    if any(d.device_id == device_id for d in registry.devices()):
        raise DeviceBundleError("device id already enrolled", device_id=device_id)
    queues = printer_queues or {"receipt": "receipt", "document": "document"}
    bundle = _write_bundle(out_dir, device_id, center, city, endpoint, queues, central)
    registry.enroll(device_id, bundle.curve_public, bundle.signing_public, center=center)
    return bundle


def rotate_device(central_dir: Path, old_bundle_dir: Path, out_dir: Path) -> DeviceBundle:
    """New CURVE and signing keys for an enrolled device, same config, in a new bundle; the old
    keys are refused from the moment the registry is written."""
    old = load_device_bundle(old_bundle_dir)
    central = load_central_keys(central_dir)
    bundle = _write_bundle(
        out_dir,
        old.device_id,
        old.center,
        old.city,
        old.central_endpoint,
        old.printer_queues,
        central,
    )
    Registry(central.registry_path).replace_keys(
        old.device_id, bundle.curve_public, bundle.signing_public
    )
    return bundle


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


def export_bundle(bundle_dir: Path, tarball: Path, catalog_bundle: Path | None = None) -> Path:
    """Pack a bundle (and optionally a signed catalog bundle for first boot) into a 0600 .tar.gz.

    Members are `madoguchi-device/<file>`, regular files only, owned by 0:0, mode 0600."""
    bundle = load_device_bundle(bundle_dir)  # refuse to export a broken bundle
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        members = [(name, (bundle.directory / name).read_bytes()) for name in BUNDLE_FILES]
        if catalog_bundle is not None:
            members.append((TARBALL_CATALOG, Path(catalog_bundle).read_bytes()))
        for name, content in members:
            info = tarfile.TarInfo(f"{TARBALL_ROOT}/{name}")
            info.size, info.mode, info.uid, info.gid = len(content), 0o600, 0, 0
            tar.addfile(info, io.BytesIO(content))
    tarball = Path(tarball)
    tarball.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(tarball, buf.getvalue())
    os.chmod(tarball, 0o600)
    return tarball
