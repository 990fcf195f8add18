"""`madoguchi provision root ...` and `provision role-keys`: the offline root's commands (a thin
click layer over `provisioning._roles`). No private key is ever printed; the root commands
take `--root` (the offline directory) and never `--central`, except `root install`, which reads
only the chain file it is given."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from provisioning._roles import (
    anchor_of,
    export_role_keys,
    init_root,
    install_root_chain,
    read_role_keys_file,
    sign_root_version,
)
from provisioning.errors import ProvisioningError
from sync.bundles import bundle_key_id
from sync.trust import chain_from_bytes

__all__ = ["parse_expiry", "role_keys_cmd", "root"]

_ROOT_DIR = click.option(
    "--root",
    "root_dir",
    envvar="MADOGUCHI_ROOT_KEYS",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Offline root directory (env MADOGUCHI_ROOT_KEYS); never on the central server.",
)


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """`90d`, `12h`, or an ISO date/time (UTC unless it names a zone)."""
    now = now or datetime.now(UTC)
    m = re.fullmatch(r"(\d+)([dh])", text.strip())
    if m:
        n = int(m.group(1))
        return now + (timedelta(days=n) if m.group(2) == "d" else timedelta(hours=n))
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ProvisioningError("--expires must be like 90d, 12h or 2027-04-01") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@click.group("root")
def root() -> None:
    """The offline root key that delegates to the online role keys (IT staff, offline machine)."""


@root.command("init")
@_ROOT_DIR
def root_init_cmd(root_dir: Path) -> None:
    """Create the root key in --root (0700 directory, 0600 key)."""
    public = init_root(root_dir)
    click.echo(f"root key created in {root_dir}; key id {bundle_key_id(public)}")
    click.echo("next: `provision role-keys` on the central server, then `provision root sign`")


@root.command("sign")
@_ROOT_DIR
@click.option(
    "--role-keys",
    "role_keys_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="Public role keys from `provision role-keys` on the central server.",
)
@click.option("--expires", default="365d", show_default=True, help="Root expiry: 365d or a date.")
@click.option(
    "--role-expires",
    default="90d",
    show_default=True,
    help="Expiry of each role's delegation (sign again before it).",
)
@click.option("--rotate-root", is_flag=True, help="Replace the root key (old key signs too).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the root chain to carry to the central server.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def root_sign_cmd(
    root_dir: Path,
    role_keys_file: Path,
    expires: str,
    role_expires: str,
    rotate_root: bool,
    out: Path,
    as_json: bool,
) -> None:
    """Sign the next root version delegating every online role to the keys in --role-keys."""
    now = datetime.now(UTC)
    done = sign_root_version(
        root_dir,
        read_role_keys_file(role_keys_file.read_bytes()),
        expires_at=parse_expiry(expires, now),
        role_expires_at=parse_expiry(role_expires, now),
        rotate_root=rotate_root,
        now=now,
    )
    out.write_bytes(done.chain)
    if as_json:
        click.echo(json.dumps({"version": done.version, "root_keyid": done.root_keyid}))
        return
    click.echo(f"root version {done.version} (root key {done.root_keyid}) written to {out}")
    click.echo("next: `provision root install` on the central server, then publish bundles")


@root.command("install")
@click.option(
    "--central",
    "central_dir",
    envvar="MADOGUCHI_CENTRAL_KEYS",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="Central key directory (env MADOGUCHI_CENTRAL_KEYS).",
)
@click.argument("chain", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def root_install_cmd(central_dir: Path, chain: Path) -> None:
    """Install a root CHAIN (from `provision root sign`) on the central server."""
    version = install_root_chain(central_dir, chain.read_bytes())
    click.echo(f"root version {version} installed")
    click.echo(
        "next: `provision publish-config` and `provision sign-catalog` so terminals receive"
        " the new root with their next bundles"
    )


@click.command("role-keys")
@click.option(
    "--central",
    "central_dir",
    envvar="MADOGUCHI_CENTRAL_KEYS",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="Central key directory (env MADOGUCHI_CENTRAL_KEYS).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File of public role keys to carry to the offline root.",
)
def role_keys_cmd(central_dir: Path, out: Path) -> None:
    """Write the public online role keys (creating missing ones) for `provision root sign`."""
    data = export_role_keys(central_dir)
    out.write_bytes(data)
    for role, b64 in sorted(json.loads(data)["keys"].items()):
        click.echo(f"{role}: {b64}")


@root.command("show")
@click.argument("chain", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def root_show_cmd(chain: Path, as_json: bool) -> None:
    """Show the newest root of CHAIN (a root.chain file): version, expiry, each role's key ids
    and until when they may sign (renew with `root sign` before then). Public data only."""
    data = chain.read_bytes()
    roots = chain_from_bytes(data)
    newest = anchor_of(roots).root_of(roots)
    out = {
        "version": newest.version,
        "expires_at": _iso(newest.expires_at),
        "roles": {
            name: {
                "keyids": list(d.keyids),
                "threshold": d.threshold,
                "expires_at": _iso(d.expires_at) if d.expires_at else _iso(newest.expires_at),
            }
            for name, d in sorted(newest.roles.items())
        },
    }
    if as_json:
        click.echo(json.dumps(out))
        return
    click.echo(f"root version {out['version']}, expires {out['expires_at']}")
    for name, role in out["roles"].items():
        click.echo(f"  {name}: {', '.join(role['keyids'])} until {role['expires_at']}")


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
