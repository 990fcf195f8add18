"""`madoguchi provision ...`: a thin click layer over `provisioning` and `sync.bundles`.

No secret is ever printed; `list-devices` shows ids, centers and key fingerprints only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from provisioning import (
    Registry,
    enroll_device,
    export_bundle,
    init_central,
    install_bundle,
    load_central_keys,
    publish_config,
    rotate_device,
    rotate_sealing,
)
from provisioning._roles import rotate_role_key, sign_downlink
from provisioning._root_cli import parse_expiry, role_keys_cmd, root
from provisioning._update_cli import (
    update_bundle_cmd,
    update_ca_delegate_cmd,
    update_ca_verify_cmd,
    update_health_cmd,
    update_keys_cmd,
)
from provisioning.errors import ProvisioningError
from sync.bundles import BUNDLE_TYPES
from sync.trust import ONLINE_ROLES

_CENTRAL = click.option(
    "--central",
    "central_dir",
    envvar="MADOGUCHI_CENTRAL_KEYS",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Central key directory (env MADOGUCHI_CENTRAL_KEYS).",
)


@click.group("provision")
def provision() -> None:
    """Central keys, device enrollment and bundles (IT staff)."""


@provision.command("init-central")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def init_central_cmd(directory: Path) -> None:
    """Create the central keys (CURVE server, sealing, catalog signing) in DIRECTORY."""
    keys = init_central(directory)
    click.echo(f"central keys created in {directory}")
    click.echo(f"curve public: {keys.curve_public.decode()}")
    click.echo(f"sealing key id: {keys.sealing_key_id}")


@provision.command("enroll")
@_CENTRAL
@click.option("--center", required=True, help="Community center name.")
@click.option(
    "--device-id",
    default=None,
    help="Device id (A-Z a-z 0-9 . _ -); default: the next free kiosk-NNNN.",
)
@click.option(
    "--endpoint",
    envvar="MADOGUCHI_CENTRAL_ENDPOINT",
    required=True,
    help="Central endpoint, e.g. tcp://central:5555 (env MADOGUCHI_CENTRAL_ENDPOINT).",
)
@click.option("--city", default="", help="City name.")
@click.option("--receipt-queue", default="receipt", show_default=True, help="CUPS receipt queue.")
@click.option("--document-queue", default="document", show_default=True, help="CUPS A4 queue.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Directory for the new device bundle (created 0700).",
)
def enroll_cmd(
    central_dir, center, device_id, endpoint, city, receipt_queue, document_queue, out_dir
):
    """Enroll a terminal: write its device bundle and the first-boot tarball beside it, record it
    in the registry, and say what to copy where."""
    if device_id is None:
        taken = {
            d.device_id for d in Registry(load_central_keys(central_dir).registry_path).devices()
        }
        device_id = next(
            f"kiosk-{n:04d}" for n in range(1, 100000) if f"kiosk-{n:04d}" not in taken
        )
    bundle = enroll_device(
        central_dir,
        out_dir,
        device_id=device_id,
        center=center,
        endpoint=endpoint,
        city=city,
        printer_queues={"receipt": receipt_queue, "document": document_queue},
    )
    tarball = Path(out_dir).with_name(f"{Path(out_dir).name}.madoguchi-device.tar.gz")
    export_bundle(out_dir, tarball)
    click.echo(f"enrolled {bundle.device_id} for {center}; bundle in {out_dir}")
    click.echo(f"first boot: copy {tarball} to the image's MADOGUCHI (boot) partition")
    click.echo("  as madoguchi-device.tar.gz; the terminal installs it, then deletes it.")
    click.echo(f"revoke: madoguchi provision revoke {bundle.device_id}")


@provision.command("revoke")
@_CENTRAL
@click.argument("device_id")
def revoke_cmd(central_dir: Path, device_id: str) -> None:
    """Revoke DEVICE_ID: the receiver refuses its key from the next connection on."""
    Registry(load_central_keys(central_dir).registry_path).revoke(device_id)
    click.echo(f"revoked {device_id}")


@provision.command("set-reference")
@_CENTRAL
@click.argument("device_id")
@click.argument("reference")
def set_reference_cmd(central_dir: Path, device_id: str, reference: str) -> None:
    """Give DEVICE_ID the center code and terminal mark of its reference numbers (REFERENCE
    `C01` or `C01B`, as in the terminal's kiosk.toml [session] reference_center and
    reference_mark): never given to another device, never changed (sync.readable_reference)."""
    device = Registry(load_central_keys(central_dir).registry_path).set_reference(
        device_id, reference
    )
    click.echo(f"{device.device_id}: reference numbers {device.reference}-NNNN-C")


@provision.command("rotate")
@_CENTRAL
@click.option("--sealing", is_flag=True, help="New current sealing key (old ones are kept).")
@click.option("--device-bundle", type=click.Path(path_type=Path), help="Old bundle to re-key.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="New bundle directory.")
@click.option(
    "--role",
    type=click.Choice(ONLINE_ROLES),
    help="New online key for this role (needs a root; the root must then delegate it).",
)
def rotate_cmd(
    central_dir: Path,
    sealing: bool,
    device_bundle: Path | None,
    out_dir: Path | None,
    role: str | None,
):
    """Rotate the sealing key (--sealing), a device's keys (--device-bundle OLD --out NEW) or an
    online role key (--role ROLE)."""
    if sum([sealing, bool(device_bundle), bool(role)]) != 1:
        raise ProvisioningError("give exactly one of --sealing, --device-bundle or --role")
    if role:
        keyid = rotate_role_key(central_dir, role)
        click.echo(f"new {role} key id: {keyid}")
        click.echo(
            "next: `provision role-keys`, then on the offline root `provision root sign`, then"
            " `provision root install`; until then nothing is signed for this role"
        )
        return
    if sealing:
        keys = rotate_sealing(central_dir)
        click.echo(f"new sealing key id: {keys.sealing_key_id}")
        click.echo(
            "next: restart the central receiver (its processing stage loads the keys), then"
            " `madoguchi provision publish-config` so devices seal to the new key"
        )
        return
    if out_dir is None:
        raise ProvisioningError("--device-bundle needs --out")
    bundle = rotate_device(central_dir, device_bundle, out_dir)
    click.echo(f"rotated keys of {bundle.device_id}; new bundle in {out_dir}")


@provision.command("publish-config")
@_CENTRAL
@click.option(
    "--bundles-dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The directory `central serve --bundles-dir` offers to devices.",
)
@click.option(
    "--expires",
    default="90d",
    show_default=True,
    help="Expiry: 90d, 12h or an ISO date (publish again before it).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Device config (a JSON object) to publish; default: the config already published.",
)
@click.option(
    "--version",
    "version",
    type=int,
    default=None,
    help="Bundle version; default: the published one plus one.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def publish_config_cmd(
    central_dir: Path,
    bundles_dir: Path,
    expires: str,
    config_file: Path | None,
    version: int | None,
    as_json: bool,
) -> None:
    """Sign the device config bundle announcing the current sealing key into --bundles-dir.

    Devices receive it after their next HELLO and seal new records to that key."""
    payload = None
    if config_file is not None:
        try:
            payload = json.loads(config_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ProvisioningError(f"{config_file} is not JSON") from e
    done = publish_config(
        central_dir,
        bundles_dir,
        expires_at=parse_expiry(expires),
        payload=payload,
        version=version,
    )
    if as_json:
        out = {
            "path": str(done.path),
            "version": done.version,
            "sealing_key_id": done.sealing_key_id,
            "expires_at": done.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        click.echo(json.dumps(out))
        return
    click.echo(
        f"published config bundle version {done.version} (sealing key {done.sealing_key_id})"
        f" to {done.path}"
    )


@provision.command("list-devices")
@_CENTRAL
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_devices_cmd(central_dir: Path, as_json: bool) -> None:
    """List enrolled devices (ids, centers, revoked; no secrets)."""
    devices = Registry(load_central_keys(central_dir).registry_path).devices()
    rows = [
        {
            "device_id": d.device_id,
            "center": d.center,
            "curve_public": d.curve_public.decode(),
            "revoked": d.revoked,
        }
        for d in devices
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['device_id']}\t{r['center']}\t{'revoked' if r['revoked'] else 'active'}")


@provision.command("center-cert")
@click.option("--center", required=True, help="The center's id, as in [center] center.")
@click.option("--host-url", required=True, help="https://<address>:<port> of the queue host.")
@click.option("--name", "names", multiple=True, help="Another DNS name or address of the host.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
    help="New directory: host.pem (every terminal) and host-key.pem (the host only).",
)  # fmt: skip
def center_cert_cmd(center: str, host_url: str, names: tuple[str, ...], out_dir: Path) -> None:
    """Make a center queue host's TLS certificate at enrollment, for terminals to pin."""
    from provisioning._center_cert import make_center_cert

    cert, key, sha256 = make_center_cert(out_dir, center, host_url, names)
    click.echo(f"center {center}: {cert} (every terminal's host_cert) and {key} (the host's")
    click.echo(f"tls_dir only, never copied elsewhere); sha256 {sha256}")


@provision.command("export-bundle")
@click.argument("bundle_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("tarball", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--catalog", type=click.Path(path_type=Path, exists=True), help="Signed catalog bundle."
)
def export_bundle_cmd(bundle_dir: Path, tarball: Path, catalog: Path | None) -> None:
    """Pack BUNDLE_DIR into TARBALL (0600) for the image's first boot."""
    export_bundle(bundle_dir, tarball, catalog)
    click.echo(f"wrote {tarball}")


@provision.command("install-bundle")
@click.argument("tarball", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default="/",
    show_default=True,
    help="Root of the target filesystem.",
)
@click.option("--force", is_flag=True, help="Replace another device's installed bundle.")
@click.option("--keep-tarball", is_flag=True, help="Do not delete the tarball afterwards.")
def install_bundle_cmd(tarball: Path, root: Path, force: bool, keep_tarball: bool) -> None:
    """First boot: install a device bundle TARBALL under --root."""
    result = install_bundle(tarball, root, force=force, remove_tarball=not keep_tarball)
    state = "installed" if result.changed else "already installed"
    click.echo(f"{state}: device {result.device_id} in {result.device_dir}")


@provision.command("sign-catalog")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_CENTRAL
@click.option(
    "--version",
    "version",
    type=int,
    default=None,
    help="Bundle version (must grow); default: the document's own `version`.",
)
@click.option(
    "--expires",
    default=None,
    help="Expiry: 90d, 12h or an ISO date; default: the end of the document's `expires` day.",
)
@click.option(
    "--type",
    "bundle_type",
    type=click.Choice(sorted(BUNDLE_TYPES)),
    default="catalog",
    show_default=True,
    help="Bundle type.",
)
@click.option(
    "--with-sealing-key",
    is_flag=True,
    help="Config bundles: announce the current sealing key (after rotate --sealing).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Output bundle file.",
)
def sign_catalog_cmd(
    source: Path,
    central_dir: Path,
    version: int | None,
    expires: str | None,
    bundle_type: str,
    with_sealing_key: bool,
    out: Path,
) -> None:
    """Sign SOURCE (a JSON object: catalog or config) into a downlink bundle.

    A catalog document carries its own `version` (the kiosk requires it to equal the bundle
    version) and `expires` (YYYY-MM-DD); they are used when --version/--expires are not given."""
    try:
        payload = json.loads(source.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ProvisioningError(f"{source} is not JSON") from e
    if not isinstance(payload, dict):
        raise ProvisioningError(f"{source} must hold a JSON object")
    version, expires_at = _version_and_expiry(payload, version, expires)
    keys = load_central_keys(central_dir)
    if with_sealing_key and bundle_type != "config":
        raise ProvisioningError("--with-sealing-key is for --type config")
    data = sign_downlink(
        keys,
        bundle_type,
        version,
        payload,
        expires_at=expires_at,
        announce_sealing=with_sealing_key,
    )
    out.write_bytes(data)
    click.echo(f"wrote {bundle_type} bundle version {version} to {out}")


def _version_and_expiry(
    payload: dict, version: int | None, expires: str | None
) -> tuple[int, datetime]:
    own_version = payload.get("version")
    if version is None:
        if type(own_version) is not int:
            raise ProvisioningError("give --version (the document has no integer `version`)")
        version = own_version
    elif own_version is not None and own_version != version:
        raise ProvisioningError(
            f"--version {version} differs from the document's version {own_version}"
        )
    if expires is None:
        own = payload.get("expires")
        if not isinstance(own, str):
            raise ProvisioningError("give --expires (the document has no `expires` date)")
        return version, parse_expiry(own) + timedelta(days=1)
    return version, parse_expiry(expires)


provision.add_command(root)
provision.add_command(role_keys_cmd)

commands = [provision]
provision.add_command(update_keys_cmd)
provision.add_command(update_bundle_cmd)
provision.add_command(update_health_cmd)
provision.add_command(update_ca_delegate_cmd)
provision.add_command(update_ca_verify_cmd)
