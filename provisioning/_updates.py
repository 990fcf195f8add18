"""Signed A/B system updates: the update signing keys, RAUC bundles, and the health decision.

Layout of the update key directory (made by `init_update_keys`, files 0600 in a 0700 dir):
    ca.key / ca.pem            the update CA (ECDSA P-256). ca.pem is the keyring every image
                               carries (/etc/rauc/update-ca.pem); ca.key belongs offline.
    signing.key / signing.pem  the bundle signing key, a certificate issued by the CA with the
                               code-signing extended key usage (RAUC's check-purpose=codesign).
Guarantees:
- A bundle is made only from an existing root filesystem image, with a version of dotted
  numbers; RAUC signs it (CMS) and the device refuses it unless it chains to ca.pem, is for
  this image's `compatible`, and is newer than the running version (image_build/rauc).
- `health_action` is pure: a trial boot (the booted slot is not the committed one) is committed
  only when every check passed, and rolled back otherwise; a committed boot is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provisioning._files import SECRET_FILE_MODE, make_secret_dir, private_pem
from provisioning.errors import UpdateError

__all__ = [
    "COMPATIBLE",
    "HealthChecks",
    "UpdateKeys",
    "health_action",
    "init_update_keys",
    "load_update_keys",
    "make_update_bundle",
]

COMPATIBLE = "madoguchi-kiosk-arm64"
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,3}$")
_FILES = ("ca.key", "ca.pem", "signing.key", "signing.pem")


@dataclass(frozen=True)
class UpdateKeys:
    directory: Path

    @property
    def keyring(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def cert(self) -> Path:
        return self.directory / "signing.pem"

    @property
    def key(self) -> Path:
        return self.directory / "signing.key"


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Madoguchi"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def init_update_keys(
    directory: Path, *, now: datetime | None = None, years: int = 10
) -> UpdateKeys:
    """Create the update CA and a signing certificate in DIRECTORY (refused if any exists)."""
    directory = Path(directory)
    if any((directory / f).exists() for f in _FILES):
        raise UpdateError("update keys already exist", directory=str(directory))
    make_secret_dir(directory)
    now = now or datetime.now(UTC)
    until = now + timedelta(days=365 * years)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Madoguchi update CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Madoguchi update signing"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    _write(directory / "ca.key", private_pem(ca_key), SECRET_FILE_MODE)
    _write(directory / "signing.key", private_pem(key), SECRET_FILE_MODE)
    _write(directory / "ca.pem", ca.public_bytes(Encoding.PEM), 0o644)
    _write(directory / "signing.pem", cert.public_bytes(Encoding.PEM), 0o644)
    return UpdateKeys(directory)


def load_update_keys(directory: Path) -> UpdateKeys:
    keys = UpdateKeys(Path(directory))
    for path in (keys.keyring, keys.cert, keys.key):
        if not path.is_file():
            raise UpdateError("update key file missing", path=str(path))
    if os.stat(keys.key).st_mode & 0o077:
        raise UpdateError(
            "signing key is accessible to group or others (chmod 600)", path=str(keys.key)
        )
    return keys


def make_update_bundle(
    keys: UpdateKeys,
    rootfs: Path,
    version: str,
    out: Path,
    *,
    compatible: str = COMPATIBLE,
    rauc: str = "rauc",
) -> Path:
    """Sign ROOTFS (an ext4 image of a root slot) into the RAUC bundle OUT."""
    if not _VERSION.match(version):
        raise UpdateError("version must be dotted numbers, e.g. 1.4.2", version=version)
    rootfs = Path(rootfs)
    if not rootfs.is_file():
        raise UpdateError("no root filesystem image", path=str(rootfs))
    with rootfs.open("rb") as f:
        f.seek(0x438)
        if f.read(2) != b"\x53\xef":
            raise UpdateError("root filesystem image is not ext4", path=str(rootfs))
    out = Path(out)
    if out.exists():
        raise UpdateError("bundle file exists", path=str(out))
    if shutil.which(rauc) is None:
        raise UpdateError("rauc is not installed (image_build/build-packages.txt)")
    work = out.with_name(out.name + ".d")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        os.link(rootfs, work / "rootfs.ext4")
    except OSError:
        shutil.copyfile(rootfs, work / "rootfs.ext4")
    (work / "manifest.raucm").write_text(
        f"[update]\ncompatible={compatible}\nversion={version}\n\n"
        "[bundle]\nformat=plain\n\n[image.rootfs]\nfilename=rootfs.ext4\n",
        encoding="utf-8",
    )
    try:
        r = subprocess.run(
            [rauc, "bundle", f"--cert={keys.cert}", f"--key={keys.key}", str(work), str(out)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if r.returncode != 0:
        raise UpdateError("rauc bundle failed", detail=(r.stderr.strip().splitlines() or [""])[-1])
    return out


@dataclass(frozen=True)
class HealthChecks:
    """What the health check saw on this boot."""

    agent_ready: bool  # madoguchi-sync-agent.service active (Type=notify: READY=1 was sent)
    kiosk_home: bool  # the kiosk unit running, its home screen drawn


def health_action(booted: str, committed: str, checks: HealthChecks | None) -> str:
    """`commit`, `rollback` or `none`. checks=None means the check timed out (= failed)."""
    if booted not in ("A", "B") or committed not in ("A", "B"):
        raise UpdateError("unknown slot", booted=booted, committed=committed)
    if booted == committed:
        return "none"
    if checks is not None and checks.agent_ready and checks.kiosk_home:
        return "commit"
    return "rollback"
