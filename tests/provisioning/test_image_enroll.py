"""Enrollment in one command (issue 24): `madoguchi provision enroll --center 中央公民館 --out DIR`
with the central directory and endpoint from the environment makes the bundle, registers the
device under the next free id, writes the first-boot tarball beside the bundle and says where
to copy it; the tarball installs with the first-boot installer. (Revocation taking effect on a
live receiver at once: tests/provisioning/test_provisioning_end_to_end.py.)"""

import os
import shutil
import stat
import subprocess

import pytest
from click.testing import CliRunner

from madoguchi.cli import cli
from provisioning import Registry, init_central, install_bundle, load_central_keys
from tests.support.paths import REPO


def _enroll(tmp_path, out, *extra, env=None):
    return CliRunner().invoke(
        cli,
        ["provision", "enroll", "--center", "中央公民館", "--out", str(out), *extra],
        env=env
        or {
            "MADOGUCHI_CENTRAL_KEYS": str(tmp_path / "central"),
            "MADOGUCHI_CENTRAL_ENDPOINT": "tcp://127.0.0.1:5555",
        },
    )


@pytest.mark.skipif(
    shutil.which("systemd-sysusers") is None or os.geteuid() != 0,
    reason="the image's users need systemd-sysusers and root",
)
def test_enroll_in_one_command(tmp_path):
    init_central(tmp_path / "central")
    first = _enroll(tmp_path, tmp_path / "t1")
    assert first.exit_code == 0, first.output
    second = _enroll(tmp_path, tmp_path / "t2")
    assert second.exit_code == 0, second.output
    assert "enrolled kiosk-0001 for 中央公民館" in first.output
    assert "enrolled kiosk-0002 for 中央公民館" in second.output
    tarball = tmp_path / "t1.madoguchi-device.tar.gz"
    assert f"copy {tarball} to the image's MADOGUCHI (boot) partition" in first.output
    assert stat.S_IMODE(os.stat(tarball).st_mode) == 0o600
    registry = Registry(load_central_keys(tmp_path / "central").registry_path)
    devices = {d.device_id: d for d in registry.devices()}
    assert set(devices) == {"kiosk-0001", "kiosk-0002"}
    assert not devices["kiosk-0001"].revoked
    # The tarball is what first boot installs.
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    subprocess.run(
        ["systemd-sysusers", f"--root={root}", str(REPO / "systemd/madoguchi.sysusers.conf")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    install_bundle(tarball, root=root, remove_tarball=False)
    toml = (root / "etc/madoguchi/device/device.toml").read_text()
    assert "kiosk-0001" in toml and "中央公民館" in toml and "tcp://127.0.0.1:5555" in toml


def test_enroll_without_endpoint_or_central_is_a_clear_error(tmp_path):
    init_central(tmp_path / "central")
    r = _enroll(
        tmp_path, tmp_path / "t1", env={"MADOGUCHI_CENTRAL_KEYS": str(tmp_path / "central")}
    )
    assert r.exit_code == 2 and "--endpoint" in r.output
    assert not (tmp_path / "t1").exists()
    r = _enroll(
        tmp_path, tmp_path / "t1", env={"MADOGUCHI_CENTRAL_ENDPOINT": "tcp://127.0.0.1:5555"}
    )
    assert r.exit_code == 2 and "--central" in r.output
    assert not (tmp_path / "t1").exists()
