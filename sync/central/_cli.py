"""`madoguchi central serve`: the central receiver (+ processing stage) as a thin click layer.

Keys come from the central key directory written by `madoguchi provision init-central`
(curve_server.secret, sealing/<key id>.pem, catalog_signing.pem, registry.json); the registry of
enrolled devices is the ZAP allowlist and is re-read when it changes, so a revocation takes effect
at once. Signed downlink bundles placed in `--bundles-dir` (`<type>.bundle`) are offered to each
device after its HELLO. SIGTERM/SIGINT stop cleanly.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from pathlib import Path

import click

from sync.central._cli_options import db_option
from sync.central.dashboard.command import dashboard
from sync.central.verify import verify_serve

# What `central forward` sends by default: the record kinds that need the city's action.
FORWARDED_KINDS = ("application", "certificate_request", "booking")


@click.group("central")
def central() -> None:
    """The central side: receiver, store, processing, forwarder and dashboard."""


@central.command("serve")
@click.option(
    "--keys",
    "keys_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Central key directory (from `provision init-central`).",
)
@db_option()
@click.option(
    "--bind",
    default="tcp://127.0.0.1:5570",
    show_default=True,
    help="ZeroMQ endpoint of the receiver.",
)
@click.option(
    "--bundles-dir",
    default=None,
    type=click.Path(path_type=Path),
    help="Directory of signed downlink bundles to offer devices.",
)
@click.option(
    "--no-processing", is_flag=True, help="Do not open records here (another process does)."
)
@click.option(
    "--max-message-bytes",
    default=8 * 1024 * 1024,
    show_default=True,
    type=int,
    help="ZMQ_MAXMSGSIZE: larger frames drop the connection.",
)
@click.option(
    "--lag-every",
    default=30.0,
    show_default=True,
    type=float,
    help="Log the processing lag this often (seconds).",
)
@click.option(
    "--janus-socket",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Janus's Unix-socket API: consultations meet in VideoRooms, so more staff can join.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level to stderr.")
def serve(
    keys_dir,
    db,
    bind,
    bundles_dir,
    no_processing,
    max_message_bytes,
    lag_every,
    janus_socket,
    verbose,
) -> None:
    """Run the receiver until SIGTERM."""
    from sync.central.bookings import BookingApplier
    from sync.central.processing import Processor
    from sync.central.receiver import Receiver, ReceiverConfig
    from sync.central.receiver_bundles import directory_bundle_source
    from sync.central.stores import open_store
    from sync.keyfiles import Registry, load_central_keys

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    keys = load_central_keys(keys_dir)
    open_store(db).close()  # create/migrate once, and fail early with one line
    receiver = Receiver(
        ReceiverConfig(bind=bind, max_message_bytes=max_message_bytes),
        lambda: open_store(db),
        Registry(keys.registry_path),
        keys.curve_public,
        keys.curve_secret,
        handlers=_handlers(keys, db, janus_socket, bundles_dir),
        bundle_source=(
            directory_bundle_source(bundles_dir, keys.catalog_public) if bundles_dir else None
        ),
    )
    processor = applier = None
    if not no_processing:  # a rotation made while it runs: new key ids reload the keys
        processor = Processor(
            lambda: open_store(db),
            keys.sealing_keys,
            key_loader=lambda: load_central_keys(keys_dir).sealing_keys,
        )
        # Bookings made offline are applied to central's slots (docs/center.md)
        applier = BookingApplier(lambda: open_store(db))
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    receiver.start()
    if processor is not None:
        processor.start()
    if applier is not None:
        applier.start()
    click.echo(f"central receiver on {receiver.endpoint}", err=True)
    log = logging.getLogger("sync.central")
    next_lag = time.monotonic() + lag_every
    try:
        while not stopped.wait(0.5):
            if receiver.error is not None:
                raise receiver.error
            if processor is not None and time.monotonic() >= next_lag:
                next_lag = time.monotonic() + lag_every
                waiting, age = processor.lag()
                log.info("processing lag: %d record(s) waiting, oldest %.1f s", waiting, age)
    finally:
        receiver.stop()
        if processor is not None:
            processor.stop()
        if applier is not None:
            applier.stop()


def _quarantine_by_device(rows) -> dict:
    """{device_id: {reason: {"records": n, "bytes": b}}} for the report."""
    out: dict = {}
    for device_id, reason, n, size in rows:
        out.setdefault(device_id, {})[reason] = {"records": n, "bytes": size}
    return out


@central.command("report")
@db_option()
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def report(db: str, as_json: bool) -> None:
    """Completeness per device, gaps and chain breaks, quarantine, processing lag."""
    from collections import Counter

    from sync.central.stores import open_store

    store = open_store(db)
    try:
        waiting, age = store.lag()
        data = {
            "devices": [
                {"device_id": d, "committed_seq": c, "max_seq": m, "last_seen": s}
                for d, c, m, s in store.devices()
            ],
            "events": [
                {"device_id": d, "kind": k, "first_seq": a, "last_seq": b, "detail": t}
                for d, k, a, b, t in store.events()
            ],
            "quarantine": dict(Counter(reason for _, _, reason in store.quarantined())),
            "quarantine_by_device": _quarantine_by_device(store.quarantine_counts()),
            "lag": {"waiting": waiting, "oldest_s": round(age, 3)},
        }
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(data, sort_keys=True))
        return
    for d in data["devices"]:
        behind = d["max_seq"] - d["committed_seq"]
        click.echo(
            f"{d['device_id']:24} committed {d['committed_seq']:>8}"
            + (f"  ({behind} beyond a gap)" if behind else "")
        )
    for e in data["events"]:
        click.echo(
            f"{e['kind']:12} {e['device_id']} seq {e['first_seq']}-{e['last_seq']}: {e['detail']}"
        )
    for device_id, reasons in sorted(data["quarantine_by_device"].items()):
        for reason, q in sorted(reasons.items()):
            click.echo(f"quarantine   {device_id} {reason}: {q['records']} ({q['bytes']} bytes)")
    click.echo(f"lag          {waiting} waiting, oldest {age:.1f} s")


@central.command("find-reference")
@click.argument("reference")
@click.option(
    "--keys",
    "keys_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Central key directory: its device registry maps C01B to a device.",
)
@db_option()
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def find_reference(reference: str, keys_dir: Path, db: str, as_json: bool) -> None:
    """The submission a resident's reference number names (C01B-0017-3, or the former
    <device>-<seq>-<check>): device, seq, kind, when received; never its content."""
    from sync.central.stores import open_store
    from sync.keyfiles import Registry
    from sync.readable_reference import locate_reference

    where = locate_reference(reference, Registry(keys_dir).terminals())
    if where is None:
        raise click.ClickException(
            "not a reference number, a wrong check digit, or a terminal the registry does not know"
        )
    device_id, seq = where
    store = open_store(db)
    try:
        rows = store._read(
            "find_reference",
            "SELECT kind, created_at, record_id FROM records WHERE device_id = ? AND seq = ?",
            (device_id, seq),
        )
    finally:
        store.close()
    if not rows:
        raise click.ClickException(f"{device_id} seq {seq}: not received from the terminal yet")
    kind, created_at, record_id = rows[0]
    data = {"device_id": device_id, "seq": seq, "kind": kind, "created_at": int(created_at),
            "record_id": record_id}  # fmt: skip
    if as_json:
        click.echo(json.dumps(data, sort_keys=True))
        return
    click.echo(f"{device_id} seq {seq}: {kind}, created at {int(created_at)}, record {record_id}")


@central.command("center-report")
@db_option()
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def center_report(db: str, as_json: bool) -> None:
    """Queue waits and handling times per center, day and service; staff call response times;
    shelter occupancy (in − out). From the opened records; no personal data (docs/center.md)."""
    from sync.central.center_report import center_times, shelter_occupancy
    from sync.central.stores import open_store

    store = open_store(db)
    try:
        data = {**center_times(store), "shelters": shelter_occupancy(store)}
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(data, sort_keys=True, ensure_ascii=False))
        return

    def minutes(s: float | None) -> str:
        return "-" if s is None else f"{s / 60:.1f} min"

    for q in data["queues"]:
        click.echo(
            f"{q['center']} {q['day']} {q['service']:12} issued {q['issued']:>4}  called "
            f"{q['called']:>4}  served {q['served']:>4}  no-show {q['no_show']:>3}  "
            f"wait {minutes(q['median_wait_s'])}  handling {minutes(q['median_handling_s'])}"
        )
    for c in data["staff_calls"]:
        click.echo(
            f"{c['center']} {c['day']} staff calls {c['calls']}  answered {c['answered']}  "
            f"response {'-' if c['median_response_s'] is None else c['median_response_s']} s"
        )
    for shelter, row in sorted(data["shelters"].items()):
        click.echo(f"shelter {shelter}: in {row['in']}  out {row['out']}  present {row['present']}")


@central.command("forward")
@db_option()
@click.option(
    "--url",
    required=True,
    envvar="MADOGUCHI_BACKOFFICE_URL",
    help="Back-office endpoint receiving each application (JSON POST); or from the environment "
    "variable MADOGUCHI_BACKOFFICE_URL.",
)
@click.option(
    "--token-env",
    default=None,
    help="Name of an environment variable holding the back-office bearer token "
    "(secrets never go on the command line).",
)
@click.option(
    "--once",
    is_flag=True,
    help="Forward what is pending and exit; exit 1 if the back-office did not take it all.",
)
@click.option(
    "--attempts",
    default=6,
    show_default=True,
    help="Tries per application and pass before the pass stops and waits.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(sorted(FORWARDED_KINDS)),
    default=FORWARDED_KINDS,
    show_default=True,
    help="Record kinds to forward (repeatable): what needs the city's action. Queued "
    "certificate requests are collected at the counter with the claim slip; offline bookings "
    "are callback requests.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level to stderr.")
def forward(
    db: str,
    url: str,
    token_env: str | None,
    once: bool,
    attempts: int,
    kinds: tuple[str, ...],
    verbose: bool,
):
    """Push opened applications, certificate requests and bookings to the city back-office over
    HTTP, at least once, until SIGTERM.

    Each POST is `{"record_id", "kind", "body"}` with `Idempotency-Key: <record id>`, so the
    back-office can route by kind and drop a resend. Each kind keeps its own order."""
    import os

    from sync.central.forwarder import ForwarderConfig, ForwarderError, store_forwarder
    from sync.central.stores import open_store

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    headers = {}
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise ForwarderError(f"environment variable {token_env} is not set")
        headers["Authorization"] = f"Bearer {token}"
    config = ForwarderConfig(url=url, headers=headers, max_attempts=attempts)
    pairs, stores = [], []
    try:
        for kind in dict.fromkeys(kinds):  # one store connection per forwarding thread
            stores.append(open_store(db))
            pairs.append(store_forwarder(config, stores[-1], kind))
        if once:
            for forwarder, _source in pairs:
                while True:  # passes until nothing is pending or the back-office stops a pass
                    report = forwarder.forward_once()
                    if report.stopped_on is not None:
                        raise ForwarderError("the back-office did not take every pending record")
                    if report.forwarded + report.rejected == 0:
                        break
            done = pairs[0][1].forwarded_count() if pairs else 0  # the ledger is shared
            click.echo(f"forwarded {done} record(s) in all", err=True)
            return
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
        for forwarder, _source in pairs:
            forwarder.start()
        click.echo(f"forwarding {', '.join(dict.fromkeys(kinds))} to {url}", err=True)
        stopped.wait()
    finally:
        for forwarder, source in pairs:
            forwarder.stop()
            source.close()
        for store in stores:
            store.close()


@central.command("retain")
@db_option()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Central TOML config; its [retention] section sets retention_days (default 30) and "
    "forwarded_kinds.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def retain(db: str, config_path: Path | None, as_json: bool) -> None:
    """Remove opened personal data that was forwarded and is older than retention_days (run it
    daily, e.g. from a systemd timer): bodies keep only catalog ids, counts, times and a hash."""
    from sync.central.config_files import load_retention_config
    from sync.central.retention import apply_retention
    from sync.central.stores import open_store

    config = load_retention_config(config_path)
    store = open_store(db)
    try:
        purged = apply_retention(store, config)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"purged": purged, "retention_days": config.retention_days}))
    else:
        click.echo(f"purged personal data of {purged} record(s)", err=True)


@central.command("grant-read-only")
@click.option("--db", required=True, help="The central store's PostgreSQL URI (as the owner).")
@click.option(
    "--role",
    default="madoguchi-dashboard",
    show_default=True,
    help="The database role the dashboard logs in as (peer authentication: its Unix user).",
)
def grant_read_only(db: str, role: str) -> None:
    """Give the dashboard a PostgreSQL role that can read every table and write none."""
    from sync.central.errors import StoreError
    from sync.central.stores import open_store

    if not db.startswith(("postgresql:", "postgres:")):
        raise click.ClickException(
            "grant-read-only is for a PostgreSQL store; the dashboard opens a SQLite store "
            "read-only itself (mode=ro, query_only) under the unit's ReadOnlyPaths="
        )
    store = open_store(db)
    try:
        store.grant_read_only(role)
    except StoreError as e:
        raise click.ClickException(f"cannot grant read-only access to {role!r}: {e}") from None
    finally:
        store.close()
    click.echo(f"role {role!r} may now read the central store and write nothing")


central.add_command(dashboard)  # Flask and waitress load only when it runs
central.add_command(verify_serve)  # the public certificate check (sync.central.verify)


def _center_of(registry_path):
    """device id -> its center from the device registry (None when unknown or unreadable)."""
    from sync.keyfiles import Registry

    registry = Registry(registry_path)

    def center_of(device_id: str) -> str | None:
        try:
            return registry.get(device_id).center or None
        except Exception:  # noqa: BLE001 - unknown device or unreadable registry: no center
            return None

    return center_of


def _handlers(keys, db, janus_socket=None, bundles_dir=None) -> dict:
    """Online-request handlers of `sync.central.issuer` (its config read from the key directory
    by `sync.central.config_files`) and the consultation signaling relay (`consult`, centers
    from the device registry, hours from the signed config bundle the devices are offered)."""
    from sync.central.bookings import booking_conflicts_handler, booking_status_handler
    from sync.central.consult import consult_handlers
    from sync.central.receiver_bundles import config_entry_source
    from sync.central.stores import open_store

    hours_entry = (
        config_entry_source(bundles_dir, keys.catalog_public, "consult_hours")
        if bundles_dir
        else None
    )
    handlers = {
        **consult_handlers(
            db, keys.registry_path, janus_socket=janus_socket, hours_entry=hours_entry
        ),
        # The booking's own terminal, or its center's queue host (staff reprint a slip).
        "consultation.booking_status": booking_status_handler(
            lambda: open_store(db), center_of=_center_of(keys.registry_path)
        ),
        "consultation.booking_conflicts": booking_conflicts_handler(
            lambda: open_store(db), _center_of(keys.registry_path)
        ),
    }
    from sync.central.config_files import default_handlers, issuer_config_from_dir
    from sync.central.slot_admin import slot_admin_handlers

    # Staff open and close slots from the center's console (through its queue host terminal).
    issuer_config = issuer_config_from_dir(keys.directory)
    handlers.update(
        slot_admin_handlers(lambda: open_store(db), topics=issuer_config.topics,
                            utc_offset_minutes=issuer_config.utc_offset_minutes)
    )  # fmt: skip
    return {**handlers, **default_handlers(keys, db)}


commands = [central]
