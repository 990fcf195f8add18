"""First-boot installer: place a device bundle tarball (from `provision export-bundle`) on the
image, under a root directory (`/` on the device, a temp dir in tests).

Placement (paths under `root`, owners resolved from `<root>/etc/passwd` and `<root>/etc/group`):
    etc/madoguchi/device/               0750 root:madoguchi
        device.toml                     0640 root:madoguchi   (public: kiosk and agent read it)
        curve_client.secret, signing.pem 0600 madoguchi-sync   (only the sync agent reads them)
    var/lib/madoguchi/bundles/catalog.bundle   the signed first catalog, if the tarball has one,
                                        verified with the catalog key of device.toml first
                                        (and applied-versions.json, its version floor), 0640
Invariants: the tarball is read entirely into memory and checked (only the expected regular
files, no links, no paths outside `madoguchi-device/`, size-bounded) before anything is written;
the bundle is assembled in a temp directory next to the target and renamed into place, so a
power cut leaves either no bundle or a complete one; an installed bundle of another device is
never overwritten without `force`; the tarball (on the world-readable FAT boot partition) is
overwritten with zeros, fsynced, and only then removed after a successful install, so its
clusters do not keep the device's keys for anyone who later images the card; every run (an
unchanged re-run too) re-asserts the owners and modes above, so a key loosened by hand is
readable by its service user only again after the next boot.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from madoguchi.core.durable import fsync_dir
from provisioning._device import (
    BUNDLE_FILES,
    DEVICE_TOML,
    TARBALL_CATALOG,
    TARBALL_ROOT,
    DeviceBundle,
    load_device_bundle,
    load_device_config,
)
from provisioning.errors import DeviceBundleError, InstallError
from sync.bundles import BundleError, BundleRollbackError, BundleStore

_MAX_MEMBER = 8 * 1024 * 1024
_MAX_TARBALL = 16 * 1024 * 1024


@dataclass(frozen=True)
class InstallLayout:
    """Where the installer puts things, relative to the root, and who owns them."""

    device_dir: str = "etc/madoguchi/device"
    bundles_dir: str = "var/lib/madoguchi/bundles"
    group: str = "madoguchi"
    secret_owner: str = "madoguchi-sync"
    bundles_owner: str = "madoguchi-sync"


@dataclass(frozen=True)
class InstallResult:
    device_id: str
    device_dir: Path
    catalog_version: int | None
    changed: bool


def _lookup(root: Path, table: str, name: str) -> int:
    try:
        lines = (root / "etc" / table).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name:
            return int(fields[2])
    raise InstallError(
        f"no such {'user' if table == 'passwd' else 'group'} on the image", name=name
    )


def _read_tarball(tarball: Path) -> dict[str, bytes]:
    try:
        size = tarball.stat().st_size
    except OSError as e:
        raise InstallError("bundle tarball not found", path=str(tarball)) from e
    if size > _MAX_TARBALL:
        raise InstallError("bundle tarball is too large", path=str(tarball))
    allowed = {f"{TARBALL_ROOT}/{n}" for n in (*BUNDLE_FILES, TARBALL_CATALOG)}
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(tarball, mode="r:gz") as tar:
            for info in tar:
                if info.isdir() and info.name.rstrip("/") == TARBALL_ROOT:
                    continue
                if not info.isreg() or info.name not in allowed or info.size > _MAX_MEMBER:
                    raise InstallError("unexpected member in bundle tarball", member=info.name)
                if info.name in members:
                    raise InstallError("duplicate member in bundle tarball", member=info.name)
                f = tar.extractfile(info)
                members[info.name] = f.read() if f else b""
    except (tarfile.TarError, EOFError, OSError) as e:
        raise InstallError("bundle tarball is unreadable", path=str(tarball)) from e
    missing = [n for n in BUNDLE_FILES if f"{TARBALL_ROOT}/{n}" not in members]
    if missing:
        raise InstallError("bundle tarball is incomplete", missing=",".join(missing))
    return {name.split("/", 1)[1]: data for name, data in members.items()}


def shred(path: Path) -> None:
    """Overwrite `path` with zeros in place (same clusters on FAT, which does not copy on write),
    fsync, then remove it and fsync its directory. A missing file is fine (already removed)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    try:
        size = os.fstat(fd).st_size
        zeros = bytes(min(size, 1 << 20))
        written = 0
        while written < size:
            written += os.write(fd, zeros[: size - written])
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _write(path: Path, data: bytes, mode: int, uid: int, gid: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chown(path, uid, gid)
    os.chmod(path, mode)


@dataclass(frozen=True)
class _Owners:
    group: int
    secret_uid: int
    bundles_uid: int


def install_bundle(
    tarball: Path,
    root: Path = Path("/"),
    layout: InstallLayout = InstallLayout(),
    *,
    force: bool = False,
    remove_tarball: bool = True,
    now: datetime | None = None,
) -> InstallResult:
    """Install the device bundle of `tarball` under `root`. Idempotent for the same bundle."""
    tarball, root = Path(tarball), Path(root)
    files = _read_tarball(tarball)
    owners = _Owners(
        group=_lookup(root, "group", layout.group),
        secret_uid=_lookup(root, "passwd", layout.secret_owner),
        bundles_uid=_lookup(root, "passwd", layout.bundles_owner),
    )
    target = root / layout.device_dir
    try:
        bundle, changed = _place_device_dir(files, target, owners, force)
        catalog_version = None
        if TARBALL_CATALOG in files:
            catalog_version = _place_catalog(
                files[TARBALL_CATALOG], root / layout.bundles_dir, bundle, owners, now
            )
        if remove_tarball:
            shred(tarball)
    except OSError as e:
        raise InstallError(f"cannot place the bundle: {e.strerror}", path=str(e.filename)) from e
    return InstallResult(bundle.device_id, target, catalog_version, changed)


def _place_device_dir(
    files: dict[str, bytes], target: Path, owners: _Owners, force: bool
) -> tuple[DeviceBundle, bool]:
    """Assemble the bundle in a staging dir next to `target`, check it, rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.installing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        for name in BUNDLE_FILES:
            public = name == DEVICE_TOML
            mode, uid = (0o640, 0) if public else (0o600, owners.secret_uid)
            _write(staging / name, files[name], mode, uid, owners.group)
        try:
            bundle = load_device_bundle(staging)
        except DeviceBundleError as e:
            raise InstallError(f"bundle in tarball is invalid: {e}") from e
        os.chown(staging, 0, owners.group)
        os.chmod(staging, 0o750)
        if target.exists():
            if all(
                (target / n).exists() and (target / n).read_bytes() == files[n]
                for n in BUNDLE_FILES
            ):
                _assert_modes(target, owners)
                return bundle, False
            try:
                installed = load_device_config(target).device_id
            except DeviceBundleError:
                installed = None
            if installed is not None and installed != bundle.device_id and not force:
                raise InstallError(
                    "another device's bundle is installed (use --force)",
                    installed=installed,
                    new=bundle.device_id,
                )
            retired = target.with_name(f".{target.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
        fsync_dir(target.parent)
        return bundle, True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _assert_modes(target: Path, owners: _Owners) -> None:
    """Owners and modes of an installed bundle, as the module docstring lists them."""
    os.chown(target, 0, owners.group)
    os.chmod(target, 0o750)
    for name in BUNDLE_FILES:
        public = name == DEVICE_TOML
        os.chown(target / name, 0 if public else owners.secret_uid, owners.group)
        os.chmod(target / name, 0o640 if public else 0o600)


def _place_catalog(
    data: bytes, bundles_dir: Path, bundle: DeviceBundle, owners: _Owners, now: datetime | None
) -> int:
    """Apply the first catalog bundle, verified with the catalog key of the device bundle."""
    bundles_dir.mkdir(parents=True, exist_ok=True)
    os.chown(bundles_dir, owners.bundles_uid, owners.group)
    os.chmod(bundles_dir, 0o750)
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    store = BundleStore(bundles_dir, bundle.catalog_public, clock=clock)
    try:
        version = store.apply(data).version
    except BundleRollbackError:  # re-run after a newer catalog arrived: keep the newer one
        version = store.versions()["catalog"]
    except BundleError as e:
        raise InstallError(f"first catalog bundle refused: {e}") from e
    for path in bundles_dir.iterdir():
        os.chown(path, owners.bundles_uid, owners.group)
        # bundles and their version floor are read by the kiosk (group); the lock is not
        os.chmod(path, 0o640 if path.suffix in (".bundle", ".json") else 0o600)
    return version
