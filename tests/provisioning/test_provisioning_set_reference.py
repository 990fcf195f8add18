"""`madoguchi provision set-reference DEVICE C01B` (s3 review A3): the operator gives an enrolled
terminal its reference part in the central registry, read back by `central find-reference`;
a malformed one, one already given to another terminal, or a change is one line, exit 1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from madoguchi.cli import cli
from provisioning import Registry, enroll_device, init_central

pytestmark = pytest.mark.timeout(60)


def test_set_reference_from_the_command_line(tmp_path):
    keys = init_central(tmp_path / "central")
    for dev in ("t-001", "t-002"):
        enroll_device(keys.directory, tmp_path / dev, device_id=dev, center="中央",
                      endpoint="tcp://127.0.0.1:7001")  # fmt: skip

    def run(*args):
        return CliRunner().invoke(
            cli, ["provision", "set-reference", "--central", str(keys.directory), *args]
        )

    ok = run("t-001", "C01B")
    assert ok.exit_code == 0 and "C01B" in ok.output
    assert Registry(keys.registry_path).terminals() == {"C01B": "t-001"}
    for args in (("t-002", "C01B"), ("t-001", "C01C"), ("t-002", "c01"), ("t-009", "C02")):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
    assert Registry(keys.registry_path).terminals() == {"C01B": "t-001"}  # unchanged
