"""Signed A/B updates with the real RAUC: bundles made by `provisioning.make_update_bundle`
under keys from `init_update_keys`, installed by a real `rauc service` (on a private D-Bus
system bus of the test) into two loop-device root slots, with the image's own tryboot backend
(image_build/rauc/tryboot-backend.sh) editing a real autoboot.txt and the image's pre-install
handler refusing older versions. Then the boot into the new slot: mark-good commits it in
autoboot.txt, mark-bad rolls back. Bad bundles (tampered, wrong key, older, other
`compatible`) are refused and the inactive slot is left as it was.
Needs root, loop devices and rauc (image_build/build-packages.txt); skipped otherwise."""

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from provisioning._updates import COMPATIBLE, init_update_keys, make_update_bundle
from provisioning.errors import UpdateError
from tests.support.paths import REPO

RAUC_DIR = REPO / "image_build" / "rauc"
SLOT_MIB = 16

pytestmark = [
    pytest.mark.skipif(shutil.which("rauc") is None, reason="rauc not installed"),
    pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="dbus-daemon not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="loop devices need root"),
]

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path={sock}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="root"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
"""


def _ext4(path: Path, label: str, payload: str) -> Path:
    """A small ext4 root image holding one file (made with mkfs -d, no mount)."""
    src = path.with_suffix(".d")
    (src / "etc").mkdir(parents=True)
    (src / "etc" / "madoguchi-release").write_text(payload)
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-L", label, "-d", str(src), str(path), "8M"],
        check=True,
        timeout=60,
    )
    return path


def _digest(path: str | Path, size: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(size)).hexdigest()


class Rig:
    """Two loop slots, the image's RAUC config (devices swapped for the loops), a bus."""

    def __init__(self, tmp: Path, keyring: Path):
        self.tmp = tmp
        self.loops: list[str] = []
        self.procs: list[subprocess.Popen] = []
        for name in ("a", "b"):
            img = tmp / f"slot-{name}.img"
            with open(img, "wb") as f:
                f.truncate(SLOT_MIB * 1024 * 1024)
            out = subprocess.run(
                ["losetup", "-f", "--show", str(img)],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            )
            self.loops.append(out.stdout.strip())
        self.boot = tmp / "boot"
        self.boot.mkdir()
        # The image's initial autoboot.txt (make-disk.sh): A committed, nothing armed.
        (self.boot / "autoboot.txt").write_text(
            "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n"
        )
        self.cmdline = tmp / "cmdline"
        self.version = tmp / "image-version"
        self.version.write_text("1.0\n")
        conf = (RAUC_DIR / "system.conf").read_text()
        conf = conf.replace("/dev/mmcblk0p5", self.loops[0]).replace(
            "/dev/mmcblk0p6", self.loops[1]
        )
        conf = conf.replace("/etc/rauc/update-ca.pem", str(keyring))
        conf = conf.replace(
            "/usr/lib/madoguchi/tryboot-backend", str(RAUC_DIR / "tryboot-backend.sh")
        )
        conf = conf.replace("/usr/lib/madoguchi/rauc-pre-install", str(RAUC_DIR / "pre-install.sh"))
        conf = conf.replace("/var/lib/madoguchi-data/rauc", str(tmp / "rauc-data"))
        self.conf = tmp / "system.conf"
        self.conf.write_text(conf)
        sock = tmp / "bus.sock"
        (tmp / "bus.conf").write_text(BUS_CONF.format(sock=sock))
        self.env = dict(
            os.environ,
            DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={sock}",
            MADOGUCHI_AUTOBOOT=str(self.boot / "autoboot.txt"),
            MADOGUCHI_CMDLINE=str(self.cmdline),
            MADOGUCHI_IMAGE_VERSION_FILE=str(self.version),
        )
        self.procs.append(
            subprocess.Popen(["dbus-daemon", "--nofork", f"--config-file={tmp / 'bus.conf'}"])
        )
        deadline = time.monotonic() + 20
        while not sock.exists():
            assert time.monotonic() < deadline, "dbus-daemon did not start"
            time.sleep(0.05)
        self.service = None

    def boot_into(self, slot: str) -> None:
        """(Re)start rauc service as if the kernel had booted SLOT (rauc.slot= on the cmdline)."""
        self.stop_service()
        self.cmdline.write_text(f"console=ttyAMA0 root=/dev/x rauc.slot={slot}\n")
        (self.tmp / "mnt").mkdir(exist_ok=True)
        self.service = subprocess.Popen(
            [
                "rauc",
                "service",
                f"--conf={self.conf}",
                f"--mount={self.tmp / 'mnt'}",
                f"--override-boot-slot={slot}",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while self.rauc("status", check=False).returncode != 0:
            assert time.monotonic() < deadline, "rauc service did not come up"
            time.sleep(0.2)

    def stop_service(self) -> None:
        if self.service is not None:
            self.service.terminate()
            self.service.wait(timeout=20)
            self.service = None

    def rauc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run(
            ["rauc", *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        if check and r.returncode != 0:
            raise AssertionError(f"rauc {args} failed: {r.stdout}\n{r.stderr}")
        return r

    def autoboot(self) -> tuple[str, str]:
        text = (self.boot / "autoboot.txt").read_text()
        all_part = text.split("[tryboot]")[0].split("boot_partition=")[1].strip()
        try_part = text.split("[tryboot]")[1].split("boot_partition=")[1].strip()
        return all_part, try_part

    def close(self) -> None:
        self.stop_service()
        for p in self.procs:
            p.terminate()
            p.wait(timeout=20)
        for loop in self.loops:
            subprocess.run(["losetup", "-d", loop], timeout=30, check=False)


@pytest.fixture
def keys(tmp_path):
    return init_update_keys(tmp_path / "update-keys")


@pytest.fixture
def rig(tmp_path, keys):
    r = Rig(tmp_path, keys.keyring)
    try:
        r.boot_into("A")
        yield r
    finally:
        r.close()


@pytest.fixture
def rootfs(tmp_path):
    return _ext4(tmp_path / "rootfs-2.ext4", "root", "madoguchi 2.0\n")


def test_signed_bundle_goes_to_inactive_slot_then_commits_after_health(rig, keys, rootfs, tmp_path):
    bundle = make_update_bundle(keys, rootfs, "2.0", tmp_path / "u.raucb")
    slot_a_before = _digest(rig.loops[0], SLOT_MIB << 20)
    out = rig.rauc("install", str(bundle))
    assert "succeeded" in out.stdout + out.stderr
    size = rootfs.stat().st_size
    # The new root is in B, byte for byte; A (the running slot) is untouched.
    assert _digest(rig.loops[1], size) == _digest(rootfs, size)
    assert _digest(rig.loops[0], SLOT_MIB << 20) == slot_a_before
    # Only the one-time tryboot is armed: a plain reboot still boots A.
    assert rig.autoboot() == ("2", "3")
    # The firmware boots B by tryboot; the health check passes and marks it good: committed.
    rig.boot_into("B")
    rig.rauc("status", "mark-good")
    assert rig.autoboot() == ("3", "3")


def test_failed_health_check_rolls_back(rig, keys, rootfs, tmp_path):
    bundle = make_update_bundle(keys, rootfs, "2.0", tmp_path / "u.raucb")
    rig.rauc("install", str(bundle))
    assert rig.autoboot() == ("2", "3")
    rig.boot_into("B")
    rig.rauc("status", "mark-bad")
    # Disarmed: the next boot (tryboot or not) is A again, and B is recorded bad.
    assert rig.autoboot() == ("2", "2")
    rig.boot_into("A")
    status = rig.rauc("status", "--output-format=json").stdout
    assert '"bootname":"B"' in status.replace(" ", "") and '"boot_status":"bad"' in status.replace(
        " ", ""
    )


def test_trial_boot_that_never_comes_up_leaves_the_committed_slot(rig, keys, rootfs, tmp_path):
    # No mark-good ever happens (B hangs, the watchdog resets): the firmware's plain boot
    # reads [all], which still names A.
    rig.rauc("install", str(make_update_bundle(keys, rootfs, "2.0", tmp_path / "u.raucb")))
    all_part, _ = rig.autoboot()
    assert all_part == "2"


def _bad_bundles(keys, rootfs, tmp_path):
    other = init_update_keys(tmp_path / "other-keys")
    wrong_key = make_update_bundle(other, rootfs, "2.0", tmp_path / "wrong-key.raucb")
    tampered = make_update_bundle(keys, rootfs, "2.0", tmp_path / "tampered.raucb")
    data = bytearray(tampered.read_bytes())
    data[4096] ^= 0xFF  # inside the squashfs payload, covered by the signature
    tampered.write_bytes(bytes(data))
    older = make_update_bundle(keys, rootfs, "0.9", tmp_path / "older.raucb")
    same = make_update_bundle(keys, rootfs, "1.0", tmp_path / "same.raucb")
    foreign = make_update_bundle(
        keys, rootfs, "2.0", tmp_path / "foreign.raucb", compatible="someone-else"
    )
    unsigned = tmp_path / "unsigned.raucb"
    # A bundle whose signature was cut off: the squashfs alone, no CMS trailer.
    size = int.from_bytes(data[-8:], "big")
    unsigned.write_bytes(bytes(data[:size]))
    return {
        "wrong key": wrong_key,
        "tampered": tampered,
        "older version": older,
        "same version": same,
        "other compatible": foreign,
        "unsigned": unsigned,
    }


def test_bad_bundles_refused_and_slot_untouched(rig, keys, rootfs, tmp_path):
    before = _digest(rig.loops[1], SLOT_MIB << 20)
    for what, bundle in _bad_bundles(keys, rootfs, tmp_path).items():
        r = rig.rauc("install", str(bundle), check=False)
        assert r.returncode != 0, f"{what}: installed"
        assert _digest(rig.loops[1], SLOT_MIB << 20) == before, f"{what}: slot B changed"
        assert rig.autoboot() == ("2", "2"), f"{what}: tryboot armed"
    assert COMPATIBLE in (RAUC_DIR / "system.conf").read_text()


@pytest.mark.parametrize(
    "version, fault",
    [("2.0-beta", "dotted numbers"), ("", "dotted numbers"), ("1..2", "dotted numbers")],
)
def test_make_bundle_refuses_bad_versions(keys, rootfs, tmp_path, version, fault):
    with pytest.raises(UpdateError, match=fault):
        make_update_bundle(keys, rootfs, version, tmp_path / "x.raucb")
    assert not (tmp_path / "x.raucb").exists()


def test_make_bundle_refuses_bad_inputs(keys, tmp_path):
    not_ext4 = tmp_path / "zeros.img"
    not_ext4.write_bytes(bytes(4 << 20))
    with pytest.raises(UpdateError, match="not ext4"):
        make_update_bundle(keys, not_ext4, "2.0", tmp_path / "x.raucb")
    with pytest.raises(UpdateError, match="no root filesystem image"):
        make_update_bundle(keys, tmp_path / "missing.ext4", "2.0", tmp_path / "x.raucb")
    with pytest.raises(UpdateError, match="already exist"):
        init_update_keys(keys.directory)
    assert oct(keys.key.stat().st_mode & 0o777) == "0o600"
