"""Writing device bundles: everything one terminal needs to talk to the central side, in one
directory. The layout and its readers (`load_device_config`, `load_device_bundle`) are
`sync.keyfiles`'s: the agent and the kiosk read what this module writes.

Layout (directory 0700, every file 0600):
    device.toml            device id, center, city, central endpoint, printer queues, and the
                           central PUBLIC keys (CURVE server, sealing + key id, catalog, and,
                           once the central side has a root, `root_public`: the root key(s)
                           this terminal pins; bundles must then chain up to it, `sync.trust`)
    curve_client.secret    the device's CURVE secret key, z85 (its public half is recomputed)
    signing.pem            the device's Ed25519 key that signs chain heads, PKCS#8 PEM

Invariants: a bundle holds no central secret; enrolling writes the bundle before the registry
entry, so a crash leaves at worst an unregistered bundle (refused by the receiver), never a
registered key without its bundle; an export is refused unless `load_device_bundle` accepts it.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from madoguchi.core.durable import write_atomic
from provisioning._files import dump_toml, make_secret_dir, private_pem
from provisioning.errors import DeviceBundleError
from sync.keyfiles import (
    BUNDLE_FILES,
    CURVE_SECRET,
    DEVICE_TOML,
    SIGNING_KEY,
    CentralKeys,
    DeviceBundle,
    DeviceConfig,
    Registry,
    b64,
    check_device_id,
    load_central_keys,
    load_device_bundle,
    load_device_config,
    new_curve_keypair,
    raw_public,
)

__all__ = [
    "BUNDLE_FILES",
    "DEVICE_TOML",
    "TARBALL_CATALOG",
    "TARBALL_ROOT",
    "DeviceBundle",
    "DeviceConfig",
    "enroll_device",
    "export_bundle",
    "load_device_bundle",
    "load_device_config",
    "rotate_device",
]

TARBALL_ROOT = "madoguchi-device"
TARBALL_CATALOG = "catalog.bundle"


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
