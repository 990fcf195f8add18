"""`madoguchi card-sim ...`: the card simulator's command line (test CA, profiles, run a card).

Thin layer: every action is a library call; errors are `CardError`s, which the CLI prints as one
line. `revoke` puts a card's auth certificate on the test CA's list and `crl` writes the CA's
CRL (DER). `run` keeps the simulated card in the vpcd reader until Ctrl-C / SIGTERM, then removes it.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from devices.card.errors import CardError

__all__ = ["commands"]


@click.group("card-sim")
def card_sim() -> None:
    """Simulated My Number card behind pcscd (vpcd), for tests and the demo."""


@card_sim.command("make-ca")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def make_ca(directory: Path) -> None:
    """Create (or keep) a test CA in DIRECTORY (and its kenhojo authority) for simulated cards."""
    from devices.card.simulator.ca import kenhojo_authority, make_test_ca

    ca = make_test_ca(directory)
    kenhojo_authority(ca)  # kenhojo-authority.cert.pem: what a terminal's config trusts
    click.echo(f"test CA in {directory} ({ca.certificate.subject.rfc4514_string()})")


@card_sim.command("profiles")
def profiles() -> None:
    """List the bundled card profiles with their descriptions."""
    import tomllib

    from devices.card.simulator.profile import PROFILE_DIR, bundled_profiles

    for name in bundled_profiles():
        doc = tomllib.loads((PROFILE_DIR / f"{name}.toml").read_text(encoding="utf-8"))
        click.echo(f"{name:20} {doc.get('description', '')}")


@card_sim.command("run")
@click.option(
    "--profile",
    "profile",
    default="ordinary",
    show_default=True,
    help="Bundled profile name or path to a profile TOML file.",
)
@click.option("--port", default=35963, show_default=True, help="vpcd port (reader slot 0).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Host where vpcd listens.")
@click.option(
    "--ca-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Test CA directory (created if absent); default: a throwaway in-memory CA.",
)
@click.option(
    "--connect-timeout",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 600),
    help="Seconds to keep trying to reach vpcd (while pcscd starts).",
)
def run(profile: str, port: int, host: str, ca_dir: Path | None, connect_timeout: float) -> None:
    """Insert a simulated card into vpcd and keep it there until Ctrl-C or SIGTERM."""
    from devices.card.simulator.card import MyNumberCardSim
    from devices.card.simulator.profile import load_profile
    from devices.card.simulator.vpcd import VirtualCardLink

    card = load_profile(profile, ca_dir)
    link = VirtualCardLink(MyNumberCardSim(card), host=host, port=port)
    try:
        link.insert(timeout=connect_timeout)
    except OSError as e:
        raise CardError(f"cannot reach vpcd on {host}:{port} ({e.strerror or e})") from None
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"card '{card.name}' inserted at vpcd {host}:{port}; Ctrl-C removes it", err=True)
    try:
        while not stop.is_set() and link.inserted:
            stop.wait(0.2)
    finally:
        link.remove()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if not stop.is_set():
        raise CardError("vpcd closed the connection (pcscd stopped?)")
    click.echo("card removed", err=True)


@card_sim.command("revoke")
@click.option(
    "--ca-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Test CA directory whose card is revoked (its revoked.txt is updated).",
)
@click.option(
    "--profile",
    "profile",
    required=True,
    help="Bundled profile name or profile TOML whose auth certificate this CA revokes.",
)
def revoke_command(ca_dir: Path, profile: str) -> None:
    """Revoke a simulated card's JPKI auth certificate (it is on every CRL issued afterwards)."""
    from devices.card.simulator.ca import make_test_ca, revoke
    from devices.card.simulator.profile import load_profile

    card = load_profile(profile, ca_dir)
    revoke(make_test_ca(ca_dir), card.auth_certificate.serial_number)
    click.echo(
        f"revoked the auth certificate of '{card.name}' (serial {card.auth_certificate.serial_number:x})"
    )


@card_sim.command("crl")
@click.option(
    "--ca-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Test CA directory that signs the CRL.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the CRL (DER).",
)
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(1, 366),
    help="Days until the CRL's next update.",
)
def crl_command(ca_dir: Path, out: Path, days: int) -> None:
    """Write a CRL (DER) of every card this test CA revoked."""
    import datetime

    from cryptography.hazmat.primitives.serialization import Encoding

    from devices.card.simulator.ca import issue_crl, make_test_ca
    from madoguchi.core.durable import write_atomic

    crl = issue_crl(make_test_ca(ca_dir), next_update=datetime.timedelta(days=days))
    write_atomic(out, crl.public_bytes(Encoding.DER), mode=0o644)
    click.echo(f"CRL with {len(crl)} revoked certificate(s) written to {out}")


commands = [card_sim]
