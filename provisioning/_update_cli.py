"""`madoguchi provision update-keys | update-bundle | update-health`: signed A/B updates.

update-health runs on the kiosk (madoguchi-update-health.service) after each boot: on a trial
boot (the slot booted by tryboot is not the one autoboot.txt commits) it waits for the sync
agent's READY and the kiosk's (sent once its home screen is drawn), then asks RAUC to mark the slot good (committed) or bad, and
reboots into the committed slot. A committed boot is left alone. Only slot names and unit
states are printed.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import click

from provisioning._update_trust import DELEGATION_FILE, delegate_update_ca, verify_update_ca
from provisioning._updates import (
    HealthChecks,
    health_action,
    init_update_keys,
    load_update_keys,
    make_update_bundle,
)
from provisioning.errors import UpdateError

__all__ = [
    "update_bundle_cmd",
    "update_ca_delegate_cmd",
    "update_ca_verify_cmd",
    "update_health_cmd",
    "update_keys_cmd",
]

_AGENT = "madoguchi-sync-agent.service"
_KIOSK = "madoguchi-kiosk.service"


@click.command("update-keys")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def update_keys_cmd(directory: Path) -> None:
    """Create the update CA and the bundle signing certificate in DIRECTORY."""
    try:
        keys = init_update_keys(directory)
    except UpdateError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"update keys created in {directory}")
    click.echo(f"keyring for images (MADOGUCHI_UPDATE_CA): {keys.keyring}")
    click.echo(f"keep offline: {directory / 'ca.key'}")


@click.command("update-ca-delegate")
@click.option(
    "--root",
    "root_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="The offline root directory (provision root init/sign).",
)
@click.option(
    "--keys",
    "keys_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="Update key directory (from update-keys): its ca.pem is named.",
)
def update_ca_delegate_cmd(root_dir: Path, keys_dir: Path) -> None:
    """Sign, with the offline root, a statement naming the update CA (KEYS/ca.delegation)."""
    out = keys_dir / DELEGATION_FILE
    try:
        grant = delegate_update_ca(root_dir, keys_dir / "ca.pem", out)
    except (OSError, UpdateError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"update CA sha256 {grant.ca_sha256} delegated by root version {grant.root_version}")
    click.echo(f"statement for images (MADOGUCHI_UPDATE_CA_DELEGATION): {out}")
    click.echo(f"valid until {grant.expires_at:%Y-%m-%d}; sign again after rotating the root")


@click.command("update-ca-verify")
@click.option(
    "--chain",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="The root chain the central side installed (root.chain).",
)
@click.option(
    "--delegation",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The root's statement (default: ca.delegation beside the CA).",
)
@click.option("--anchor", default=None, help="Key id the chain must start from (root show).")
@click.argument("ca_pem", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def update_ca_verify_cmd(chain: Path, delegation: Path | None, anchor: str | None, ca_pem: Path):
    """Check that the root of trust vouches for the update CA CA_PEM (exit 1 if not)."""
    delegation = delegation or ca_pem.with_name(DELEGATION_FILE)
    try:
        grant = verify_update_ca(
            chain.read_bytes(), delegation.read_bytes(), ca_pem.read_bytes(), anchor_keyid=anchor
        )
    except OSError as e:
        raise click.ClickException(f"cannot read {e.filename}: {e.strerror}") from e
    except UpdateError as e:
        raise click.ClickException(f"update CA refused: {e}") from e
    click.echo(
        f"update CA sha256 {grant.ca_sha256} vouched for by root version {grant.root_version}"
        f" (anchor {grant.anchor_keyid}) until {grant.expires_at:%Y-%m-%d}"
    )


@click.command("update-bundle")
@click.option(
    "--keys",
    "keys_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="Update key directory (from update-keys).",
)
@click.option("--version", "version", required=True, help="Image version, dotted numbers.")
@click.argument("rootfs", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
def update_bundle_cmd(keys_dir: Path, version: str, rootfs: Path, out: Path) -> None:
    """Sign ROOTFS (image-out/rootfs.ext4) into the RAUC bundle OUT."""
    try:
        make_update_bundle(load_update_keys(keys_dir), rootfs, version, out)
    except UpdateError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"bundle {out} (version {version})")


def _slot_from_cmdline(text: str) -> str:
    slots = [w.split("=", 1)[1] for w in text.split() if w.startswith("rauc.slot=")]
    if not slots:
        raise UpdateError("no rauc.slot= on the kernel command line")
    return slots[-1]


def _committed(autoboot: str) -> str:
    section, part = "", ""
    for line in autoboot.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[all]" and line.startswith("boot_partition="):
            part = line.split("=", 1)[1]
    slot = {"2": "A", "3": "B"}.get(part)
    if slot is None:
        raise UpdateError("autoboot.txt names no slot in [all]", boot_partition=part)
    return slot


def _unit(name: str, *props: str) -> dict[str, str]:
    out = subprocess.run(
        ["systemctl", "show", name, *(f"--property={p}" for p in props)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _checks() -> HealthChecks:
    agent = _unit(_AGENT, "ActiveState")
    kiosk = _unit(_KIOSK, "ActiveState", "SubState", "NRestarts")
    return HealthChecks(
        # Type=notify: the agent is "active" only once it sent READY=1.
        agent_ready=agent.get("ActiveState") == "active",
        # Type=notify too: the kiosk sends READY=1 once its home screen is drawn (kiosk/_cli.py).
        kiosk_home=kiosk.get("ActiveState") == "active"
        and kiosk.get("SubState") == "running"
        and kiosk.get("NRestarts", "0") == "0",
    )


@click.command("update-health")
@click.option(
    "--timeout", "timeout_s", type=click.IntRange(10, 3600), default=180, show_default=True
)
@click.option(
    "--settle",
    "settle_s",
    type=click.IntRange(0, 600),
    default=20,
    show_default=True,
    help="Seconds the kiosk must stay up without a restart.",
)
@click.option(
    "--cmdline", type=click.Path(path_type=Path), default=Path("/proc/cmdline"), show_default=True
)
@click.option(
    "--autoboot",
    type=click.Path(path_type=Path),
    default=Path("/boot/firmware/autoboot.txt"),
    show_default=True,
)
def update_health_cmd(timeout_s: int, settle_s: int, cmdline: Path, autoboot: Path) -> None:
    """After a trial boot: mark this slot good when the agent and kiosk are up, else roll back."""
    try:
        booted = _slot_from_cmdline(cmdline.read_text())
        committed = _committed(autoboot.read_text())
    except (OSError, UpdateError) as e:
        raise click.ClickException(f"cannot tell the boot slots: {e}") from e
    if health_action(booted, committed, HealthChecks(True, True)) == "none":
        click.echo(f"slot {booted} is committed: nothing to check")
        return
    deadline = time.monotonic() + timeout_s
    checks: HealthChecks | None = None
    passed_since: float | None = None
    while time.monotonic() < deadline:
        seen = _checks()
        if seen.agent_ready and seen.kiosk_home:
            passed_since = passed_since or time.monotonic()
            if time.monotonic() - passed_since >= settle_s:
                checks = seen
                break
        else:
            passed_since = None
        time.sleep(2)
    action = health_action(booted, committed, checks)
    click.echo(f"trial boot of slot {booted} (committed {committed}): {action}")
    verb = "mark-good" if action == "commit" else "mark-bad"
    r = subprocess.run(["rauc", "status", verb], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise click.ClickException(f"rauc status {verb} failed: {r.stderr.strip()[-200:]}")
    if action == "rollback":
        subprocess.run(["systemctl", "reboot"], timeout=60, check=False)
        raise click.ClickException(
            f"slot {booted} failed its health check: rolled back to {committed}"
        )
