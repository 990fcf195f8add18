"""`madoguchi card-sim ...`: the card simulator's command line (test CA, profiles, run a card).

Thin layer: every action is a library call; errors are `CardError`s, which the CLI prints as one
line. `run` keeps the simulated card in the vpcd reader until Ctrl-C / SIGTERM, then removes it.
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
    """Create (or keep) a test CA in DIRECTORY that issues the simulated cards' certificates."""
    from devices.card.simulator.ca import make_test_ca

    ca = make_test_ca(directory)
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


commands = [card_sim]
