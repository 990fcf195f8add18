"""`madoguchi central dashboard`: the read-only web dashboard as a thin click layer.

Flask and waitress are imported only when the command runs, so `madoguchi --help` stays light.
The token comes from an environment variable named by `--token-env` (secrets never go on the
command line); without one the dashboard serves loopback addresses only. SIGTERM/SIGINT stop
cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

import click

from sync.central._cli_options import db_option

__all__ = ["dashboard"]


@click.group("dashboard", invoke_without_command=True)
@db_option("opened read-only")
@click.option(
    "--listen",
    default="127.0.0.1:8600",
    show_default=True,
    help="HOST:PORT or [IPv6]:PORT to serve, or `systemd` for the sockets systemd passes.",
)
@click.option(
    "--token-env",
    default="MADOGUCHI_DASHBOARD_TOKEN",
    show_default=True,
    help="Environment variable holding the access token (Bearer, or the Basic password). "
    "Without it only loopback addresses are served.",
)
@click.option(
    "--registry",
    type=click.Path(dir_okay=True, path_type=Path),
    default=None,
    help="registry.json of enrolled devices (or the central key directory): shows center "
    "names and lists devices never heard from.",
)
@click.option(
    "--offline-hours",
    default=24.0,
    show_default=True,
    type=click.FloatRange(min=0.01, max=8760),
    help="A device not seen for longer is highlighted as offline.",
)
@click.option(
    "--min-cell",
    default=3,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Survey groups with fewer responses show their count only.",
)
@click.option(
    "--refresh",
    default=60,
    show_default=True,
    type=click.IntRange(0, 86400),
    help="Pages reload themselves this often (seconds; 0: never).",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker threads answering requests.",
)
@click.option(
    "--min-residents",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help='Counts of residents below this show as "<N" on every page.',
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="A host name (or name:port) browsers use to reach the dashboard; repeatable. "
    "Loopback names and the listen address are always allowed; any other Host is refused "
    "(DNS rebinding).",
)
@click.option(
    "--target-wait",
    default=15.0,
    show_default=True,
    type=click.FloatRange(min=0.1, max=1440),
    help="Minutes: the front page shows the share of queue tickets called within this wait.",
)
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Catalog JSON: procedures, certificates, topics and reasons are shown by their names "
    "(without it, by their ids).",
)
@click.option(
    "--staff-login",
    is_flag=True,
    help="Staff log in with their city-hall accounts (roles dashboard or dashboard:<center>, "
    "granted with `consult add-staff --role`); the token still admits machine access. The "
    "cookie secret comes from MADOGUCHI_DASHBOARD_SECRET (32+ characters) or is random.",
)
@click.option(
    "--behind-tls",
    is_flag=True,
    help="A TLS proxy fronts the dashboard: login cookies are marked Secure.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level to stderr.")
@click.pass_context
def dashboard(
    ctx: click.Context,
    db: str,
    listen: str,
    token_env: str,
    registry: Path | None,
    offline_hours: float,
    min_cell: int,
    refresh: int,
    threads: int,
    min_residents: int,
    allowed_hosts: tuple[str, ...],
    target_wait: float,
    catalog: Path | None,
    staff_login: bool,
    behind_tls: bool,
    verbose: bool,
) -> None:
    """Serve the read-only web dashboard (devices, satisfaction, procedures, shelters).

    With a subcommand (rebuild-summaries) only that runs."""
    if ctx.invoked_subcommand is not None:
        return
    from sync.central.dashboard.app import DashboardConfig, create_app
    from sync.central.dashboard.auth import check_token, default_allowed_hosts
    from sync.central.dashboard.centers import registry_centers
    from sync.central.dashboard.readonly_store import open_readonly
    from sync.central.dashboard.server import (
        DashboardServer,
        parse_listen,
        socket_hosts,
        systemd_sockets,
    )
    from sync.central.dashboard.today import load_labels
    from sync.central.errors import StoreError

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    token = check_token(os.environ.get(token_env), token_env)
    address = parse_listen(listen)
    sockets = systemd_sockets() if address is None else None
    listen_hosts = [address.host] if address is not None else socket_hosts(sockets or [])
    config = DashboardConfig(
        db=db,
        token=token,
        offline_after_hours=offline_hours,
        min_cell=min_cell,
        refresh_s=refresh,
        min_residents=min_residents,
        allowed_hosts=default_allowed_hosts(listen_hosts) + tuple(allowed_hosts),
        target_wait_min=target_wait,
        staff_login=staff_login,
        secure_cookies=behind_tls,
        secret_key=_secret(),
    )
    app = create_app(config, centers=registry_centers(registry), labels=load_labels(catalog))
    server = DashboardServer(
        app,
        token=token,
        token_env=token_env,
        listen=address,
        sockets=sockets,
        threads=threads,
    )
    try:
        open_readonly(db, config.query_timeout_s).close()
    except StoreError as e:
        click.echo(
            f"warning: the store cannot be read yet ({e}); pages answer 503 until it can", err=True
        )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    click.echo(f"dashboard on {server.url}", err=True)
    server.serve(stopped)


@dashboard.command("rebuild-summaries")
@db_option("opened read-write: the summaries are rewritten")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def rebuild_summaries(db: str, as_json: bool) -> None:
    """Recompute the dashboard's per-day summaries from the stored records (after a restore,
    or to check them); the processing stage keeps them current otherwise."""
    import json
    import time

    from sync.central.errors import StoreError
    from sync.central.store_summaries import analyze, rebuild
    from sync.central.stores import open_store

    if not db.startswith(("postgresql://", "postgres://")) and not Path(db).is_file():
        raise click.ClickException(f"summaries not rebuilt: no store at {db}")
    started = time.monotonic()
    try:
        store = open_store(db)
        try:
            days = rebuild(store)
            analyze(store)
        finally:
            store.close()
    except StoreError as e:
        raise click.ClickException(f"summaries not rebuilt: {e}") from e
    seconds = round(time.monotonic() - started, 2)
    if as_json:
        click.echo(json.dumps({"days": days, "seconds": seconds}))
    else:
        click.echo(f"summaries rebuilt: {days} day(s) in {seconds} s")


_SECRET_ENV = "MADOGUCHI_DASHBOARD_SECRET"


def _secret() -> bytes | None:
    """The login cookies' signing secret (several processes share logins), or None: random."""
    from sync.central.dashboard.errors import DashboardConfigError

    secret = os.environ.get(_SECRET_ENV)
    if secret is None:
        return None
    if len(secret) < 32:
        raise DashboardConfigError(f"{_SECRET_ENV} must be at least 32 characters")
    return secret.encode()
