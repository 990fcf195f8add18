"""The image build (pi-gen stage): every script parses (bash -n) and passes shellcheck, the
package lists never carry vsmartcard-vpcd, the install script lays the units, users and
enablement into a temp root, the first-boot unit's own command installs a device bundle
there, and the vpcd check fails an image root that has the virtual reader in it.
(The ARM image itself cannot be built here.)"""

import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

STAGE = REPO / "image_build" / "stage-madoguchi"
INSTALL = STAGE / "01-madoguchi" / "files" / "install-madoguchi.sh"
SCRIPTS = sorted([REPO / "image_build" / "build.sh", *STAGE.rglob("*.sh")])
MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))
HAVE_SYSTEMD_TOOLS = all(
    shutil.which(t) for t in ("systemd-sysusers", "systemd-tmpfiles", "systemctl")
)


def _ids(paths):
    return [str(p.relative_to(REPO)) for p in paths]


@pytest.mark.parametrize("script", SCRIPTS, ids=_ids(SCRIPTS))
def test_scripts_parse_and_are_executable(script):
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
    assert script.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=_ids(SCRIPTS))
def test_shellcheck(script):
    result = subprocess.run(
        ["shellcheck", "-x", "-s", "bash", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=script.parent,
    )
    assert result.returncode == 0, result.stdout


def _packages():
    out = {}
    for path in (STAGE / "00-packages").glob("00-packages*"):
        out[path.name] = [ln.split("#")[0].strip() for ln in path.read_text().splitlines()]
    return out


def test_package_lists_never_ship_vpcd():
    lists = _packages()
    assert lists, "no package list"
    names = {n for names in lists.values() for line in names for n in line.split() if n}
    assert not any("vpcd" in n or "vsmartcard" in n for n in names)
    assert not any(n.startswith("postgresql") for n in names), "the central DB is not a kiosk's"
    assert {"pcscd", "libccid", "cups-daemon", "fonts-noto-cjk"} <= names
    # no other build step installs it either
    for script in SCRIPTS:
        text = script.read_text()
        for line in text.splitlines():
            if "apt-get install" in line or "apt install" in line:
                assert "vpcd" not in line and "vsmartcard" not in line


@pytest.fixture
def image_root(tmp_path):
    if not HAVE_SYSTEMD_TOOLS:
        pytest.skip("needs systemd-sysusers, systemd-tmpfiles and systemctl")
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    result = subprocess.run(
        ["bash", str(INSTALL), "system", str(root), str(REPO / "systemd")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return root


def test_system_files_users_and_enablement(image_root):
    root = image_root
    units = root / "usr/lib/systemd/system"
    for unit in (
        "madoguchi-kiosk.service",
        "madoguchi-sync-agent.service",
        "madoguchi-firstboot.service",
    ):
        assert (units / unit).read_bytes() == (REPO / "systemd" / unit).read_bytes()
        assert (root / "etc/systemd/system/multi-user.target.wants" / unit).is_symlink()
    assert not (units / "madoguchi-central.service").exists(), "no central unit on a kiosk"
    users = {ln.split(":")[0] for ln in (root / "etc/passwd").read_text().splitlines()}
    assert {"madoguchi-kiosk", "madoguchi-sync"} <= users and "madoguchi-central" not in users
    pin = (root / "etc/apt/preferences.d/madoguchi-no-vpcd").read_text()
    assert "Package: vsmartcard-vpcd" in pin and "Pin-Priority: -1" in pin
    assert (root / "var/lib/madoguchi").is_dir() and (root / "run/madoguchi").is_dir()
    # no escape from the kiosk to a console: no login prompt on any VT, no SysRq
    logind = (root / "etc/systemd/logind.conf.d/madoguchi-kiosk.conf").read_text()
    assert "NAutoVTs=0" in logind.splitlines() and "ReserveVT=0" in logind.splitlines()
    assert "kernel.sysrq = 0" in (root / "etc/sysctl.d/90-madoguchi-kiosk.conf").read_text()
    for unit in ("getty@tty1.service", "autovt@.service"):
        assert os.readlink(root / "etc/systemd/system" / unit) == "/dev/null", unit
    # idempotent
    subprocess.run(
        ["bash", str(INSTALL), "system", str(root), str(REPO / "systemd")],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to service users needs root")
def test_first_boot_unit_command_installs_the_bundle(image_root, tmp_path):
    from provisioning import enroll_device, export_bundle, init_central

    init_central(tmp_path / "central")
    enroll_device(
        tmp_path / "central",
        tmp_path / "bundle",
        device_id="nishi-03",
        center="西",
        endpoint="tcp://central:5570",
    )
    boot = image_root / "boot/firmware"
    export_bundle(tmp_path / "bundle", boot / "madoguchi-device.tar.gz")
    unit = (image_root / "usr/lib/systemd/system/madoguchi-firstboot.service").read_text()
    exec_line = next(ln for ln in unit.splitlines() if ln.startswith("ExecStart="))
    argv = shlex.split(exec_line.removeprefix("ExecStart="))
    argv = [MADOGUCHI] + [
        str(image_root / a.lstrip("/")) if a.startswith("/boot/") else a for a in argv[1:]
    ]
    argv[argv.index("--root") + 1] = str(image_root)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "nishi-03" in result.stdout
    assert not (boot / "madoguchi-device.tar.gz").exists()
    device = image_root / "etc/madoguchi/device"
    sync_uid = next(
        int(ln.split(":")[2])
        for ln in (image_root / "etc/passwd").read_text().splitlines()
        if ln.startswith("madoguchi-sync:")
    )
    assert (device / "signing.pem").stat().st_uid == sync_uid
    # second boot: the unit's condition is false (no tarball), nothing to do


def _dpkg_status(root, package, status):
    path = root / "var/lib/dpkg/status"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "Package: pcscd\nStatus: install ok installed\nVersion: 1\n\n"
        f"Package: {package}\nStatus: {status}\nVersion: 0.8\n\n"
    )


VPCD_CASES = [
    ("clean", lambda r: _dpkg_status(r, "libccid", "install ok installed"), True),
    ("vpcd installed", lambda r: _dpkg_status(r, "vsmartcard-vpcd", "install ok installed"), False),
    ("vpcd purged", lambda r: _dpkg_status(r, "vsmartcard-vpcd", "purge ok not-installed"), True),
    (
        "driver left behind",
        lambda r: _touch(r / "usr/lib/pcsc/drivers/serial/libifdvpcd.so"),
        False,
    ),
    ("reader.conf left behind", lambda r: _touch(r / "etc/reader.conf.d/vpcd"), False),
]


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


@pytest.mark.parametrize(("name", "make", "ok"), VPCD_CASES, ids=[c[0] for c in VPCD_CASES])
def test_vpcd_check(tmp_path, name, make, ok):
    root = tmp_path / "rootfs"
    root.mkdir()
    make(root)
    result = subprocess.run(
        ["bash", str(INSTALL), "check", str(root)], capture_output=True, text=True, timeout=30
    )
    assert (result.returncode == 0) == ok, result.stderr
    if not ok:
        assert "must not ship" in result.stderr


def test_build_host_has_vpcd_but_the_check_would_refuse_it():
    """This very machine runs tests with vpcd installed: the check must say so (sanity of the
    check against a real dpkg database), unless vpcd is absent here."""
    status = Path("/var/lib/dpkg/status")
    if not status.exists() or "Package: vsmartcard-vpcd\n" not in status.read_text():
        pytest.skip("no vsmartcard-vpcd on this host")
    result = subprocess.run(
        ["bash", str(INSTALL), "check", "/"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0 and "vsmartcard-vpcd" in result.stderr
