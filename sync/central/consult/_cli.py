"""`madoguchi consult ...`: the specialist console (serve), its staff accounts (add-staff,
list-staff), the consultation records (report) and the video room server (janus). Flask, waitress and aiortc load only when a command runs."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import signal
import sys
import threading

import click

from sync.central.consult.errors import ConsultConfigError, StaffExistsError

_DB_HELP = "Central store: a SQLite path or a postgresql:// URI (as `central serve --db`)."
_SECRET_ENV = "MADOGUCHI_CONSULT_SECRET"


@click.group("consult")
def consult() -> None:
    """オンライン窓口: the specialist console and its staff accounts."""


@consult.command("add-staff")
@click.option("--db", required=True, help=_DB_HELP)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="specialist, front_desk, interpreter or supervisor (repeat for several).",
)
@click.option(
    "--name", "display_name", default="", help="Name shown to colleagues (not to residents)."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin instead of prompting.",
)
@click.argument("username")
def add_staff(db: str, roles, display_name: str, password_stdin: bool, username: str) -> None:
    """Add a staff account (the password is stored as an scrypt hash only)."""
    from sync.central.consult.accounts import check_roles, check_username, hash_password
    from sync.central.consult.tables import ConsultTables
    from sync.central.stores import open_store

    check_username(username)
    roles = check_roles(roles)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    digest = hash_password(password)
    store = open_store(db)
    try:
        if not ConsultTables(store).add_staff(username, digest, roles, display_name or username):
            raise StaffExistsError(username)
    finally:
        store.close()
    click.echo(f"staff account {username}: {' '.join(roles)}")


@consult.command("disable-staff")
@click.option("--db", required=True, help=_DB_HELP)
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@click.argument("username")
def disable_staff(db: str, enable: bool, username: str) -> None:
    """Disable a staff account (its open console sessions end within 10 s), or --enable it."""
    from sync.central.consult.errors import ConsultError
    from sync.central.consult.tables import ConsultTables
    from sync.central.stores import open_store

    store = open_store(db)
    try:
        found = ConsultTables(store).set_disabled(username, not enable)
    finally:
        store.close()
    if not found:
        raise ConsultError(f"no staff account {username[:40]!r}")
    click.echo(f"staff account {username}: {'enabled' if enable else 'disabled'}")


@consult.command("list-staff")
@click.option("--db", required=True, help=_DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def list_staff(db: str, as_json: bool) -> None:
    """List staff accounts and their roles (never a password or hash)."""
    from sync.central.consult.tables import ConsultTables
    from sync.central.stores import open_store

    store = open_store(db)
    try:
        staff = ConsultTables(store).staff_list()
    finally:
        store.close()
    if as_json:
        rows = [{"username": s.username, "roles": list(s.roles)} for s in staff]
        click.echo(json.dumps({"staff": rows}))
        return
    for s in staff:
        click.echo(f"{s.username:24} {' '.join(s.roles)}")


@consult.command("report")
@click.option("--db", required=True, help=_DB_HELP)
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660), help="Window.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def report(db: str, days: int, as_json: bool) -> None:
    """Consultation records of the last DAYS: counts per topic, center, outcome and ender,
    hand-overs, median wait and call duration (no media, no chat, no staff names)."""
    import time

    from sync.central.consult.records import summarize
    from sync.central.consult.tables import ConsultTables
    from sync.central.stores import open_store

    store = open_store(db)
    try:
        records = ConsultTables(store).records(since=time.time() - days * 86400)
    finally:
        store.close()
    data = summarize(records)
    if as_json:
        click.echo(json.dumps(data, sort_keys=True, ensure_ascii=False))
        return
    click.echo(
        f"consultations   {data['total']} ({data['ended']} ended, {data['waiting']} waiting)"
    )
    click.echo(f"median wait     {data['wait_s_median']} s; median call {data['call_s_median']} s")
    click.echo(f"hand-overs      {data['handovers']}")
    for key in ("by_topic", "by_center", "by_outcome", "by_ended_by", "by_role"):
        for name, n in sorted(data[key].items()):
            click.echo(f"{key[3:]:9} {name:24} {n}")


def _ice_servers(urls) -> tuple[dict, ...]:
    out = []
    for url in urls:
        if not url.startswith(("turn:", "turns:", "stun:")) or len(url) > 200:
            raise ConsultConfigError(
                f"--ice-server must be a turn:, turns: or stun: URL, not {url[:80]!r}"
            )
        server = {"urls": url}
        if url.startswith(("turn:", "turns:")):
            username = os.environ.get("MADOGUCHI_TURN_USERNAME")
            credential = os.environ.get("MADOGUCHI_TURN_CREDENTIAL")
            if not username or not credential:
                raise ConsultConfigError(
                    "a TURN server needs MADOGUCHI_TURN_USERNAME and MADOGUCHI_TURN_CREDENTIAL"
                )
            server.update(username=username, credential=credential)
        out.append(server)
    return tuple(out)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@consult.command("serve")
@click.option("--db", required=True, help=_DB_HELP)
@click.option("--listen", default="127.0.0.1:8090", show_default=True, help="HOST:PORT.")
@click.option(
    "--behind-tls",
    is_flag=True,
    help="A TLS proxy fronts the console: allow a non-loopback address; cookies marked Secure.",
)
@click.option(
    "--ice-server",
    "ice_servers",
    multiple=True,
    help="A TURN/STUN URL for the browser (e.g. turn:turn.city.example:3478); repeat for "
    "several. Credentials from MADOGUCHI_TURN_USERNAME / MADOGUCHI_TURN_CREDENTIAL. "
    "None by default: host candidates only (one LAN).",
)
@click.option(
    "--janus-socket",
    type=click.Path(dir_okay=False),
    default=None,
    help="Janus's Unix-socket API (pfunix): calls meet in a VideoRoom so a second specialist "
    "or an interpreter can join. Without it: two parties, peer to peer.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level to stderr.")
def serve(db: str, listen: str, behind_tls: bool, ice_servers, janus_socket, verbose: bool) -> None:
    """Serve the specialist console until SIGTERM. The session secret comes from the environment
    variable MADOGUCHI_CONSULT_SECRET (32+ characters; several processes share logins), or is
    random per process."""
    from waitress.server import create_server

    from sync.central.consult.app import ConsoleConfig, create_app
    from sync.central.stores import open_store

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ConsultConfigError(f"--listen must be HOST:PORT, not {listen[:80]!r}")
    if not behind_tls and not _loopback(host):
        raise ConsultConfigError(
            f"refusing to serve staff logins on {host} in plain HTTP: listen on 127.0.0.1 "
            "behind a TLS proxy and pass --behind-tls"
        )
    secret = os.environ.get(_SECRET_ENV)
    if secret is not None and len(secret) < 32:
        raise ConsultConfigError(f"{_SECRET_ENV} must be at least 32 characters")
    open_store(db).close()  # create/migrate once, and fail early with one line
    kwargs = {
        "secure_cookies": behind_tls,
        "ice_servers": _ice_servers(ice_servers),
        "janus_socket": janus_socket,
    }
    if secret:
        kwargs["secret_key"] = secret.encode()
    app = create_app(ConsoleConfig(db, **kwargs))
    try:
        server = create_server(
            app,
            listen=f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            threads=16,  # a room's subscribe waits on Janus; the queue polls must not starve
            connection_limit=64,
            channel_timeout=30,
            max_request_body_size=64 * 1024,
            ident="madoguchi-consult",
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )
    except (OSError, ValueError) as e:
        raise ConsultConfigError(f"cannot listen on {listen}: {e}") from e
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    click.echo(f"consult console on http://{listen}", err=True)
    thread = threading.Thread(target=server.run, name="consult-console", daemon=True)
    thread.start()
    stopped.wait()
    server.close()
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)


@consult.command("janus")
@click.option(
    "--config-dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Where to write Janus's configuration (replaced at every start).",
)
@click.option(
    "--socket",
    "socket_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Janus's Unix-socket API, for `central serve` and `consult serve --janus-socket`.",
)
@click.option("--rtp-ports", default="40000-40999", show_default=True, help="LOW-HIGH UDP ports.")
@click.option(
    "--interface",
    default=None,
    help="Gather ICE candidates on this interface only (the city LAN's). Default: every one.",
)
def janus(config_dir: str, socket_path: str, rtp_ports: str, interface: str | None) -> None:
    """Run Janus (Debian's `janus`) as the consultations' video room server: write the
    configuration they need (VideoRoom and the Unix-socket API only; no HTTP, WebSocket or admin
    port), then become Janus. What the madoguchi-janus service runs."""
    from pathlib import Path

    from sync.central.consult.janus_config import janus_argv, write_config

    folder = Path(config_dir)
    write_config(folder, socket=Path(socket_path), rtp_ports=rtp_ports, interface=interface)
    argv = janus_argv(folder)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


commands = [consult]
