"""The update health check's decision (`health_action`, pure) as a table, and the
`madoguchi provision update-health` command's reading of the boot state: a committed boot is
left alone, an unreadable boot state is a one-line error with exit code 1. The RAUC side of
commit and rollback (mark-good / mark-bad through the tryboot backend) is in
test_update_rauc.py."""

import pytest
from click.testing import CliRunner

from madoguchi.cli import cli
from provisioning._updates import HealthChecks, health_action
from provisioning.errors import UpdateError

OK = HealthChecks(agent_ready=True, kiosk_home=True)


@pytest.mark.parametrize(
    "booted, committed, checks, action",
    [
        ("A", "A", OK, "none"),
        ("B", "B", None, "none"),  # a committed slot is never rolled back by a failed check
        ("B", "A", OK, "commit"),
        ("A", "B", OK, "commit"),
        ("B", "A", HealthChecks(agent_ready=False, kiosk_home=True), "rollback"),
        ("B", "A", HealthChecks(agent_ready=True, kiosk_home=False), "rollback"),
        ("B", "A", HealthChecks(agent_ready=False, kiosk_home=False), "rollback"),
        ("B", "A", None, "rollback"),  # timed out
    ],
)
def test_health_action(booted, committed, checks, action):
    assert health_action(booted, committed, checks) == action


@pytest.mark.parametrize("booted, committed", [("C", "A"), ("A", ""), ("", "")])
def test_health_action_refuses_unknown_slots(booted, committed):
    with pytest.raises(UpdateError, match="unknown slot"):
        health_action(booted, committed, OK)


AUTOBOOT_A = "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n"


def _run(tmp_path, cmdline, autoboot):
    (tmp_path / "cmdline").write_text(cmdline)
    (tmp_path / "autoboot.txt").write_text(autoboot)
    return CliRunner().invoke(
        cli,
        [
            "provision",
            "update-health",
            "--cmdline",
            str(tmp_path / "cmdline"),
            "--autoboot",
            str(tmp_path / "autoboot.txt"),
        ],
    )


def test_committed_boot_is_left_alone(tmp_path):
    r = _run(tmp_path, "console=ttyAMA0 root=/dev/mmcblk0p5 rauc.slot=A\n", AUTOBOOT_A)
    assert r.exit_code == 0, r.output
    assert "slot A is committed" in r.output
    assert (tmp_path / "autoboot.txt").read_text() == AUTOBOOT_A


@pytest.mark.parametrize(
    "cmdline, autoboot, fault",
    [
        ("console=ttyAMA0 root=/dev/vda5\n", AUTOBOOT_A, "no rauc.slot="),
        ("rauc.slot=A\n", "[all]\ntryboot_a_b=1\n", "names no slot"),
        ("rauc.slot=A\n", "[all]\nboot_partition=7\n", "names no slot"),
    ],
)
def test_unreadable_boot_state_is_a_clear_error(tmp_path, cmdline, autoboot, fault):
    r = _run(tmp_path, cmdline, autoboot)
    assert r.exit_code == 1
    assert "cannot tell the boot slots" in r.output and fault in r.output
    assert (tmp_path / "autoboot.txt").read_text() == autoboot
