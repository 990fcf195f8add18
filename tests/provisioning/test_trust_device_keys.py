"""Issue 16 item 6 (device part): a device's secret keys are readable by the sync agent's user
only, every first-boot run re-asserts that (a key loosened by hand is tightened again), the
agent refuses keys that group or others may read, and the enrollment tarball on the FAT boot
partition is overwritten with zeros before it is removed. Real users (uids of a temp root's
/etc/passwd), real file modes checked by reading as those uids."""

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from provisioning import (
    DeviceBundleError,
    enroll_device,
    export_bundle,
    init_central,
    install_bundle,
    load_device_bundle,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chown to service users needs root")

SYNC_UID, KIOSK_UID, GID, OTHER_UID = 9401, 9402, 9400, 9403


@pytest.fixture
def world(tmp_path):
    """A root the service uids can traverse (pytest's tmp_path is 0700 root)."""
    base = Path(tempfile.mkdtemp(prefix="madoguchi-keys-"))
    os.chmod(base, 0o755)
    root = base / "root"
    (root / "etc").mkdir(parents=True)
    for d in (base, root, root / "etc"):
        os.chmod(d, 0o755)
    (root / "etc/passwd").write_text(
        "root:x:0:0::/root:/bin/sh\n"
        f"madoguchi-sync:x:{SYNC_UID}:{GID}::/nonexistent:/usr/sbin/nologin\n"
        f"madoguchi-kiosk:x:{KIOSK_UID}:{GID}::/nonexistent:/usr/sbin/nologin\n"
    )
    (root / "etc/group").write_text(f"root:x:0:\nmadoguchi:x:{GID}:madoguchi-kiosk\n")
    init_central(tmp_path / "central")
    enroll_device(
        tmp_path / "central",
        tmp_path / "bundle",
        device_id="kita-02",
        center="北",
        endpoint="tcp://127.0.0.1:5571",
    )
    boot = root / "boot/firmware"
    boot.mkdir(parents=True)
    tarball = export_bundle(tmp_path / "bundle", boot / "madoguchi-device.tar.gz")
    yield root, tarball, tmp_path
    shutil.rmtree(base, ignore_errors=True)


def _can_read(path: Path, uid: int, gid: int = GID) -> bool:
    # cat, not this interpreter: the test's Python may live where the service uids cannot go
    result = subprocess.run(
        [shutil.which("cat") or "/bin/cat", str(path)],
        user=uid,
        group=gid,
        extra_groups=[gid],
        capture_output=True,
        timeout=30,
    )
    return result.returncode == 0


@pytest.mark.timeout(120)
def test_secret_keys_are_readable_by_the_sync_user_only(world):
    root, tarball, _ = world
    install_bundle(tarball, root)
    device = root / "etc/madoguchi/device"
    for secret in ("curve_client.secret", "signing.pem"):
        st = (device / secret).stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, SYNC_UID)
        assert _can_read(device / secret, SYNC_UID)
        assert not _can_read(device / secret, KIOSK_UID)  # same group, still refused
        assert not _can_read(device / secret, OTHER_UID, gid=OTHER_UID)
    # the public config is for both service users, nobody else
    assert _can_read(device / "device.toml", KIOSK_UID)
    assert not _can_read(device / "device.toml", OTHER_UID, gid=OTHER_UID)


@pytest.mark.timeout(120)
def test_every_run_reasserts_modes_and_owners(world):
    root, tarball, tmp_path = world
    install_bundle(tarball, root, remove_tarball=False)
    device = root / "etc/madoguchi/device"
    os.chmod(device / "signing.pem", 0o644)
    os.chown(device / "curve_client.secret", KIOSK_UID, GID)
    os.chmod(device, 0o755)
    result = install_bundle(tarball, root, remove_tarball=False)
    assert result.changed is False  # same bundle: nothing re-written, modes repaired
    assert stat.S_IMODE((device / "signing.pem").stat().st_mode) == 0o600
    assert (device / "curve_client.secret").stat().st_uid == SYNC_UID
    assert stat.S_IMODE(device.stat().st_mode) == 0o750
    assert not _can_read(device / "signing.pem", KIOSK_UID)


@pytest.mark.parametrize("name", ["signing.pem", "curve_client.secret"])
@pytest.mark.timeout(60)
def test_the_agent_refuses_keys_others_can_read(tmp_path, name):
    init_central(tmp_path / "central")
    enroll_device(
        tmp_path / "central", tmp_path / "b", device_id="d1", center="c", endpoint="tcp://x:1"
    )
    os.chmod(tmp_path / "b" / name, 0o640)
    with pytest.raises(DeviceBundleError, match="group or others"):
        load_device_bundle(tmp_path / "b")


@pytest.mark.timeout(120)
def test_tarball_is_overwritten_before_it_is_removed(world):
    root, tarball, _ = world
    original = tarball.read_bytes()
    assert original.strip(b"\0")
    # a second name for the same inode sees what is left in its blocks after the removal
    held = tarball.with_name("held-link")
    os.link(tarball, held)
    install_bundle(tarball, root)
    assert not tarball.exists()
    left = held.read_bytes()
    assert len(left) == len(original)
    assert left == bytes(len(original)), "the tarball's bytes survived its removal"


@pytest.mark.timeout(120)
def test_cli_install_shreds_and_keep_tarball_keeps_it(world):
    from click.testing import CliRunner

    from madoguchi.cli import cli

    root, tarball, _ = world
    kept = CliRunner().invoke(
        cli, ["provision", "install-bundle", str(tarball), "--root", str(root), "--keep-tarball"]
    )
    assert kept.exit_code == 0, kept.output
    assert tarball.read_bytes().strip(b"\0")
    held = tarball.with_name("held-link")
    os.link(tarball, held)
    done = CliRunner().invoke(
        cli, ["provision", "install-bundle", str(tarball), "--root", str(root)]
    )
    assert done.exit_code == 0, done.output
    assert not tarball.exists() and not held.read_bytes().strip(b"\0")
