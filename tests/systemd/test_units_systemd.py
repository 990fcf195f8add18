"""The systemd units: `systemd-analyze verify` accepts them without a single warning, their
offline security exposure stays low, a strict parser finds the hardening every unit must have,
their ExecStart lines parse against the real `madoguchi` CLI, and the sysusers/tmpfiles files
build a root where the first-boot installer places a bundle with the right owners."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from madoguchi.cli import cli
from tests.support.units import UNITS_DIR, parse_unit

UNITS = sorted(p.name for p in UNITS_DIR.glob("*.service"))
MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))
LONG_RUNNING = [
    "madoguchi-kiosk.service",
    "madoguchi-sync-agent.service",
    "madoguchi-central.service",
    "madoguchi-forwarder.service",
    "madoguchi-consult.service",
    "madoguchi-janus.service",
]


def _one(section, key):
    values = section.get(key, [])
    assert len(values) == 1, f"{key} set {len(values)} times"
    return values[0]


def test_units_exist():
    assert set(LONG_RUNNING) <= set(UNITS)
    assert "madoguchi-firstboot.service" in UNITS


@pytest.mark.parametrize("name", UNITS)
def test_hardening_keys(name):
    unit = parse_unit(UNITS_DIR / name)
    service = unit["Service"]
    for key, value in [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("StandardOutput", "journal"),
        ("StandardError", "journal"),
        ("SystemCallArchitectures", "native"),
    ]:
        assert _one(service, key) == value, (name, key)
    assert _one(service, "RestrictAddressFamilies")
    assert "@system-service" in service["SystemCallFilter"]
    assert "WantedBy" in unit["Install"]
    if name in LONG_RUNNING:
        assert _one(service, "User").startswith("madoguchi-")
        assert _one(service, "CapabilityBoundingSet") == ""
        assert _one(service, "StateDirectory") == _one(service, "User")
        assert _one(service, "SyslogIdentifier") == name.removesuffix(".service")
        assert _one(service, "Restart") == "always"
    else:  # the first-boot installer runs as root, with only the capabilities to chown files
        assert set(_one(service, "CapabilityBoundingSet").split()) <= {
            "CAP_CHOWN",
            "CAP_FOWNER",
            "CAP_DAC_OVERRIDE",
        }
        assert _one(service, "PrivateNetwork") == "yes"


def test_users_are_separate():
    users = {n: _one(parse_unit(UNITS_DIR / n)["Service"], "User") for n in LONG_RUNNING}
    # The forwarder and the consultation console read the central store, so they run as the
    # central user; the rest differ (Janus has its own user: it never sees the store).
    assert users["madoguchi-forwarder.service"] == users["madoguchi-central.service"]
    assert users["madoguchi-consult.service"] == users["madoguchi-central.service"]
    assert len(set(users.values())) == 4
    central = parse_unit(UNITS_DIR / "madoguchi-central.service")["Service"]
    assert _one(central, "Group") == "madoguchi-central"


def test_janus_socket_reaches_the_central_group_only():
    janus = parse_unit(UNITS_DIR / "madoguchi-janus.service")["Service"]
    assert _one(janus, "Group") == "madoguchi-central"
    assert _one(janus, "RuntimeDirectoryMode") == "0750" and _one(janus, "UMask") == "0007"
    argv = _exec_args("madoguchi-janus.service")
    socket = argv[argv.index("--socket") + 1]
    assert socket.startswith(f"/run/{_one(janus, 'RuntimeDirectory')}/")
    console = _exec_args("madoguchi-consult.service")
    assert console[console.index("--janus-socket") + 1] == socket
    assert "--behind-tls" in console and "127.0.0.1:8090" in console


def test_sync_agent_is_notify_with_watchdog():
    service = parse_unit(UNITS_DIR / "madoguchi-sync-agent.service")["Service"]
    assert _one(service, "Type") == "notify"
    assert _one(service, "NotifyAccess") == "main"
    assert int(_one(service, "WatchdogSec")) >= 10


def test_kiosk_has_no_network_beyond_localhost_and_no_secret():
    service = parse_unit(UNITS_DIR / "madoguchi-kiosk.service")["Service"]
    assert _one(service, "IPAddressDeny") == "any"
    assert _one(service, "IPAddressAllow") == "localhost"
    assert _one(service, "DevicePolicy") == "closed"


def _exec_args(name):
    line = _one(parse_unit(UNITS_DIR / name)["Service"], "ExecStart")
    argv = [a for a in shlex.split(line) if not a.startswith("$")]
    assert argv[0] == "/opt/madoguchi/bin/madoguchi"
    return argv[1:]


@pytest.mark.parametrize("name", UNITS)
def test_exec_start_parses_against_the_cli(name, monkeypatch):
    # What each unit's EnvironmentFile provides at run time.
    monkeypatch.setenv("MADOGUCHI_BACKOFFICE_URL", "https://backoffice.example/applications")
    args = _exec_args(name)
    command, path = cli, []
    ctx = click.Context(cli)
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.get_command(ctx, args[0])
        if sub is None:
            pytest.skip(f"`madoguchi {' '.join([*path, args[0]])}` is not provided yet")
        path.append(args.pop(0))
        command = sub
    # A group the unit names must run by itself (the kiosk's and the dashboard's do: they serve
    # when no subcommand is given).
    assert not isinstance(command, click.Group) or command.invoke_without_command, (name, path)
    command.make_context(" ".join(path), list(args), resilient_parsing=False)


def _verify_copy(tmp_path, name):
    text = (UNITS_DIR / name).read_text().replace("/opt/madoguchi/bin/madoguchi", MADOGUCHI)
    (tmp_path / name).write_text(text)
    return tmp_path / name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verify_is_silent(tmp_path, name):
    unit = _verify_copy(tmp_path, name)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("name", UNITS)
def test_security_exposure_is_low(tmp_path, name):
    unit = _verify_copy(tmp_path, name)
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=25", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert m and float(m.group(1)) <= 2.5, result.stdout[-500:]


@pytest.mark.skipif(
    shutil.which("systemd-sysusers") is None
    or shutil.which("systemd-tmpfiles") is None
    or os.geteuid() != 0,
    reason="needs systemd-sysusers/-tmpfiles and root",
)
def test_sysusers_tmpfiles_and_first_boot_install(tmp_path):
    from provisioning import enroll_device, export_bundle, init_central, install_bundle

    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    subprocess.run(
        [
            "systemd-sysusers",
            f"--root={root}",
            str(UNITS_DIR / "madoguchi.sysusers.conf"),
            str(UNITS_DIR / "madoguchi-central.sysusers.conf"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [
            "systemd-tmpfiles",
            "--create",
            f"--root={root}",
            str(UNITS_DIR / "madoguchi.tmpfiles.conf"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    passwd = {
        ln.split(":")[0]: int(ln.split(":")[2])
        for ln in (root / "etc/passwd").read_text().splitlines()
    }
    groups = {
        ln.split(":")[0]: (int(ln.split(":")[2]), ln.split(":")[3])
        for ln in (root / "etc/group").read_text().splitlines()
    }
    assert {"madoguchi-kiosk", "madoguchi-sync", "madoguchi-central"} <= set(passwd)
    shared = root / "var/lib/madoguchi"
    assert (
        shared.stat().st_gid == groups["madoguchi"][0] and shared.stat().st_mode & 0o2070 == 0o2070
    )

    init_central(tmp_path / "central")
    enroll_device(
        tmp_path / "central",
        tmp_path / "bundle",
        device_id="minami-02",
        center="南",
        endpoint="tcp://c:5570",
    )
    tarball = export_bundle(tmp_path / "bundle", root / "boot/firmware/madoguchi-device.tar.gz")
    result = install_bundle(tarball, root)
    assert result.device_id == "minami-02" and not tarball.exists()
    secret = root / "etc/madoguchi/device/curve_client.secret"
    assert secret.stat().st_uid == passwd["madoguchi-sync"]
    assert secret.stat().st_mode & 0o777 == 0o600
    toml = root / "etc/madoguchi/device/device.toml"
    assert toml.stat().st_gid == groups["madoguchi"][0] and toml.stat().st_mode & 0o777 == 0o640
