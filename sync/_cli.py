"""`madoguchi sync-agent run|status`: the device agent as a thin click layer.

Keys come from the device bundle written by `madoguchi provision enroll` (device.toml,
curve_client.secret, signing.pem), the outbox is the kiosk's outbox file, downlink bundles are
applied into the bundles directory with `sync.bundles.BundleStore`. SIGTERM/SIGINT stop the loop
cleanly (in-flight ACKs are awaited briefly; unacknowledged records simply stay in the outbox).
"""

from __future__ import annotations

import json
import logging
import signal
from pathlib import Path

import click

from sync.errors import AgentConfigError

_DEFAULT_BUNDLE = "/etc/madoguchi/device"
_DEFAULT_OUTBOX = "/var/lib/madoguchi/outbox.sqlite3"
_DEFAULT_BUNDLES = "/var/lib/madoguchi/bundles"
_DEFAULT_STATUS = "/run/madoguchi/sync-agent.json"
_DEFAULT_SOCKET = "ipc:///run/madoguchi/sync-agent.sock"


@click.group("sync-agent")
def sync_agent() -> None:
    """The device's sync agent: sends the outbox to the central side over ZeroMQ CURVE."""


@sync_agent.command("run")
@click.option(
    "--bundle",
    "bundle_dir",
    default=_DEFAULT_BUNDLE,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Device bundle directory (keys, device.toml).",
)
@click.option(
    "--outbox",
    "outbox_path",
    default=_DEFAULT_OUTBOX,
    show_default=True,
    type=click.Path(path_type=Path),
    help="The outbox SQLite file.",
)
@click.option(
    "--bundles-dir",
    default=_DEFAULT_BUNDLES,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where signed downlink bundles are applied.",
)
@click.option(
    "--status",
    "status_path",
    default=_DEFAULT_STATUS,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Status file read by the UI and `status`.",
)
@click.option(
    "--request-socket",
    default=_DEFAULT_SOCKET,
    show_default=True,
    help="Local endpoint where the kiosk sends online requests ('' to disable).",
)
@click.option("--endpoint", default=None, help="Override the central endpoint of the bundle.")
@click.option(
    "--backoff-cap",
    default=60.0,
    show_default=True,
    type=float,
    help="Longest reconnect delay in seconds (full jitter below it).",
)
@click.option(
    "--batch-records", default=500, show_default=True, type=int, help="Most records per batch."
)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level to stderr.")
def run(
    bundle_dir,
    outbox_path,
    bundles_dir,
    status_path,
    request_socket,
    endpoint,
    backoff_cap,
    batch_records,
    verbose,
) -> None:
    """Run the agent until SIGTERM."""
    from sync import sdnotify
    from sync.agent import AgentConfig, enrolled_agent
    from sync.bundles import BundleStore
    from sync.keyfiles import load_device_bundle
    from sync.outbox import Outbox, OutboxConfig

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    device = load_device_bundle(bundle_dir)
    if device.catalog_public is None:
        raise AgentConfigError("device bundle lacks the catalog public key")
    try:
        status_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AgentConfigError(f"cannot create {status_path.parent}: {e.strerror}") from e
    bundles = BundleStore(bundles_dir, device.catalog_public)
    config = AgentConfig(
        endpoint=endpoint or device.central_endpoint,
        server_public=device.central_curve_public,
        backoff_cap_s=max(backoff_cap, 0.5),
        batch_max_records=batch_records,
        request_endpoint=request_socket or None,
        status_path=status_path,
    )
    outbox = Outbox(OutboxConfig(outbox_path), device.device_id, None, device.sealing_key_id)
    outbox.open()
    agent = enrolled_agent(config, device, outbox, bundles, on_tick=_watchdog(sdnotify))

    def _stop(signum, frame) -> None:
        sdnotify.stopping()
        agent.stop(timeout=0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sdnotify.ready()
    try:
        agent.run()
    finally:
        outbox.close()


def _watchdog(sdnotify):
    """A tick that pings the systemd watchdog at half its interval (no-op outside systemd)."""
    import time

    interval = sdnotify.watchdog_interval()
    if not interval:
        return None
    last = [0.0]

    def tick() -> None:
        now = time.monotonic()
        if now - last[0] >= interval / 2:
            last[0] = now
            sdnotify.watchdog()

    return tick


@sync_agent.command("status")
@click.option(
    "--status",
    "status_path",
    default=_DEFAULT_STATUS,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Status file the agent writes.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def status(status_path: Path, as_json: bool) -> None:
    """Show whether the agent is connected, its backlog and its last success."""
    from sync.agent import read_status

    st = read_status(status_path)
    if st is None:
        raise AgentConfigError(f"no status at {status_path}: the agent has not run")
    if as_json:
        click.echo(json.dumps(st.to_dict(), sort_keys=True))
        return
    for key, value in st.to_dict().items():
        click.echo(f"{key:24} {value}")


commands = [sync_agent]
