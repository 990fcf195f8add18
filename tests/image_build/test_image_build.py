"""The Debian image build's parts that run without the arm64 root (the full build and boot are
`make image` / `make image-check`, docs/image.md): every script under image_build/ parses and
passes shellcheck; the Python lock pins every dependency with a sha256; the package lists
carry the kernel, firmware and RAUC but never vsmartcard-vpcd; make-disk.sh lays a root out as
the A/B disk (partitions, labels, autoboot.txt, each boot slot's cmdline) and gives the same
bytes twice for the same SOURCE_DATE_EPOCH; the tryboot backend refuses bad input clearly."""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.support.paths import REPO

IMAGE = REPO / "image_build"
SCRIPTS = sorted(p for p in IMAGE.rglob("*.sh"))
BACKEND = IMAGE / "rauc" / "tryboot-backend.sh"


def _ids(paths):
    return [str(p.relative_to(REPO)) for p in paths]


@pytest.mark.parametrize("script", SCRIPTS, ids=_ids(SCRIPTS))
def test_scripts_parse_and_are_executable(script):
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
    assert script.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=_ids(SCRIPTS))
def test_shellcheck(script):
    r = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout


def test_lock_pins_every_dependency_with_a_hash():
    lines = [
        line
        for line in (IMAGE / "requirements-image.lock").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    names = set()
    for line in lines:
        m = re.fullmatch(r"([a-z0-9-]+)==(\S+) --hash=sha256:([0-9a-f]{64})  # (\S+)", line)
        assert m, line
        names.add(m.group(1))
        if m.group(1) in ("pyscard", "pycups"):
            assert m.group(4).endswith(".tar.gz"), "no aarch64 wheel: built from the sdist"
        else:
            assert m.group(4).endswith(".whl") and (
                "aarch64" in m.group(4) or m.group(4).endswith("-none-any.whl")
            ), m.group(4)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # The terminal image carries the base dependencies and the [kiosk] extra (docs/architecture.md).
    for dep in [*project["dependencies"], *project["optional-dependencies"]["kiosk"]]:
        name = re.match(r"[A-Za-z0-9_.-]+", dep).group(0).lower().replace("_", "-")
        assert name in names, f"{name} is not in requirements-image.lock (run image_build/lock.sh)"
    assert {"setuptools", "wheel"} <= names


def _packages(path):
    return {
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }


def test_package_lists():
    base = _packages(IMAGE / "debian" / "base-packages.txt")
    shared = _packages(IMAGE / "stage-madoguchi" / "00-packages" / "00-packages-nr")
    build = _packages(IMAGE / "build-packages.txt")
    assert {"linux-image-arm64", "raspi-firmware", "rauc", "systemd-sysv"} <= base
    assert {"pcscd", "cups-daemon", "python3-venv"} <= shared
    for name in base | shared:
        assert "vpcd" not in name and "vsmartcard" not in name
    assert {"mmdebstrap", "qemu-user-static", "qemu-system-arm", "rauc"} <= build
    # make test must not need the image tools.
    system = _packages(REPO / "scripts" / "system-packages.txt")
    assert not ({"mmdebstrap", "qemu-system-arm", "qemu-user-static"} & system)


NEED_DISK_TOOLS = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("mkfs.ext4", "mkfs.vfat", "mcopy", "sfdisk", "mtype")),
    reason="needs e2fsprogs, dosfstools, mtools, fdisk (image_build/build-packages.txt)",
)


def _fake_root(root: Path) -> Path:
    """What make-disk.sh reads from a built root, with small stand-in files."""
    for d in ("boot/firmware", "etc/madoguchi", "var/lib/madoguchi", "usr/bin"):
        (root / d).mkdir(parents=True)
    (root / "boot/firmware/start4.elf").write_bytes(b"firmware")
    (root / "boot/firmware/config.txt").write_text("arm_64bit=1\n")
    (root / "boot/vmlinuz-6.1.0-99-arm64").write_bytes(b"kernel")
    (root / "boot/initrd.img-6.1.0-99-arm64").write_bytes(b"initrd")
    (root / "usr/bin/madoguchi").write_text("#!/bin/sh\n")
    os.chmod(root / "var/lib/madoguchi", 0o2770)
    return root


def _make_disk(tmp: Path, name: str) -> Path:
    root = _fake_root(tmp / f"root-{name}")
    out = tmp / f"out-{name}"
    out.mkdir()
    env = dict(os.environ, SOURCE_DATE_EPOCH="1764720000")
    subprocess.run(
        ["bash", str(IMAGE / "debian" / "make-disk.sh"), str(root), str(out)],
        check=True,
        timeout=120,
        env=env,
    )
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mtype(img: Path, offset: int, name: str) -> str:
    r = subprocess.run(
        ["mtype", "-i", f"{img}@@{offset}", f"::/{name}"],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, MTOOLS_SKIP_CHECK="1"),
        check=True,
    )
    return r.stdout


@NEED_DISK_TOOLS
def test_make_disk_layout_and_same_bytes_twice(tmp_path):
    one = _make_disk(tmp_path, "one")
    two = _make_disk(tmp_path, "two")
    for f in ("rootfs.ext4", "madoguchi.img", "bootfs.vfat", "data.ext4"):
        assert _sha(one / f) == _sha(two / f), f"{f} differs between two builds"
    assert (one / "rootfs.sha256").read_text().split()[0] == _sha(one / "rootfs.ext4")

    img = one / "madoguchi.img"
    table = json.loads(
        subprocess.run(
            ["sfdisk", "-J", str(img)], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    )["partitiontable"]
    parts = {int(p["node"].removeprefix(str(img))): p for p in table["partitions"]}
    assert sorted(parts) == [1, 2, 3, 4, 5, 6, 7]
    assert [parts[n]["type"] for n in (1, 2, 3)] == ["c", "c", "c"]
    assert parts[4]["type"] == "5" and [parts[n]["type"] for n in (5, 6, 7)] == ["83"] * 3
    off = {n: parts[n]["start"] * 512 for n in parts}
    autoboot = _mtype(img, off[1], "autoboot.txt")
    assert autoboot == "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n"
    cmd_a = _mtype(img, off[2], "cmdline.txt")
    cmd_b = _mtype(img, off[3], "cmdline.txt")
    assert "root=/dev/mmcblk0p5" in cmd_a and "rauc.slot=A" in cmd_a
    assert "root=/dev/mmcblk0p6" in cmd_b and "rauc.slot=B" in cmd_b
    assert _mtype(img, off[2], "vmlinuz") == "kernel"
    assert _mtype(img, off[2], "start4.elf") == "firmware"
    # Both root slots hold the root image; the data partition has the bind-mount sources.
    root = (one / "rootfs.ext4").read_bytes()
    with open(img, "rb") as f:
        for n in (5, 6):
            f.seek(off[n])
            assert f.read(len(root)) == root
    listing = subprocess.run(
        ["debugfs", "-R", "ls -l /", str(one / "data.ext4")],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    for d in ("etc-madoguchi", "madoguchi", "madoguchi-sync", "madoguchi-kiosk"):
        assert f" {d}" in listing
    assert "42770" in listing  # /var/lib/madoguchi keeps its setgid 2770 mode


def _backend(tmp_path, *args, autoboot=None, cmdline="rauc.slot=A"):
    ab = tmp_path / "autoboot.txt"
    if autoboot is not None:
        ab.write_text(autoboot)
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    env = dict(os.environ, MADOGUCHI_AUTOBOOT=str(ab), MADOGUCHI_CMDLINE=str(tmp_path / "cmdline"))
    return subprocess.run(
        ["sh", str(BACKEND), *args], capture_output=True, text=True, timeout=30, env=env
    )


AB = "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n"


@pytest.mark.parametrize(
    "args, autoboot, cmdline, fault",
    [
        (["set-primary", "C"], AB, "rauc.slot=A", "unknown slot: C"),
        (["get-state", "../x"], AB, "rauc.slot=A", "unknown slot"),
        (["set-state", "B", "maybe"], AB, "rauc.slot=A", "good or bad"),
        (["get-primary"], None, "rauc.slot=A", "missing"),
        (["get-primary"], "[all]\ntryboot_a_b=1\n", "rauc.slot=A", "no boot_partition"),
        (
            ["get-primary"],
            "[all]\nboot_partition=9\n[tryboot]\nboot_partition=9\n",
            "",
            "names no slot",
        ),
        (["get-current"], AB, "root=/dev/vda5", "no rauc.slot="),
        (["reboot-now"], AB, "rauc.slot=A", "usage"),
    ],
)
def test_backend_bad_input(tmp_path, args, autoboot, cmdline, fault):
    r = _backend(tmp_path, *args, autoboot=autoboot, cmdline=cmdline)
    assert r.returncode == 1 and fault in r.stderr, r.stderr
    if autoboot is not None:
        assert (tmp_path / "autoboot.txt").read_text() == autoboot  # nothing half-written


def test_backend_set_primary_of_the_booted_slot_commits_it(tmp_path):
    assert (
        _backend(tmp_path, "set-primary", "B", autoboot=AB, cmdline="rauc.slot=B").returncode == 0
    )
    text = (tmp_path / "autoboot.txt").read_text()
    assert text == "[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=3\n"
    assert _backend(tmp_path, "get-primary", cmdline="rauc.slot=B").stdout.strip() == "B"
