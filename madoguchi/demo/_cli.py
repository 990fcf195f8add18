"""`madoguchi demo`: the whole appliance on this machine (what `make demo` runs)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import click

DEMO_STAFF_PIN = "258000"


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _wait_synced(stack, last_seq: int, timeout: float) -> dict:
    """Wait (bounded) until the agent reports `last_seq` acked; returns its last status. The
    target comes from the outbox itself: the agent's status file may not have seen the newest
    records yet."""
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        try:
            status = json.loads(stack.paths.agent_status.read_text())
        except (OSError, ValueError):
            status = {}
        if (status.get("acked_seq") or 0) >= last_seq:
            return status
        time.sleep(0.2)
    return status


def _central_report(stack) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "madoguchi.cli",
            "central",
            "report",
            "--db",
            str(stack.paths.central_db),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        return {"error": result.stderr.strip()}
    return json.loads(result.stdout)


def _console(stack, password: str) -> dict:
    """The consultation console over the demo's store; offscreen, its login page is fetched
    once to show it serves (a person opens it with a display: see `demo`)."""
    from urllib.request import urlopen

    from madoguchi.demo._call import DEMO_SPECIALIST

    url = stack.start_console(DEMO_SPECIALIST, password)
    with urlopen(url + "/login", timeout=10) as response:  # loopback only
        return {"url": url, "login_page": response.status, "user": DEMO_SPECIALIST}


def _offscreen(stack, kiosk_config: Path) -> None:
    from kiosk.config import load_kiosk_config
    from kiosk.services import open_services
    from madoguchi.demo._journey import run_journey

    click.echo("demo: saving a screenshot of every kiosk screen in every language", err=True)
    subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "kiosk", "--screenshots", str(stack.paths.screens)],
        check=True,
        timeout=900,
        env={**os.environ, **stack.env},
        stdout=sys.stderr,  # our stdout is the one JSON summary
    )
    click.echo(
        "demo: a resident's visit through the real card, printer, outbox and agent", err=True
    )
    config = load_kiosk_config(kiosk_config)
    services, device = open_services(config)
    try:
        outcome = run_journey(services, device.device_id)
        last_seq = services.outbox.stats().last_seq
    finally:
        services.close()
        services.outbox.close()
    status = _wait_synced(stack, last_seq, timeout=60)
    report = _central_report(stack)
    console = _console(stack, secrets.token_urlsafe(12))
    click.echo("demo: a video consultation, terminal to a specialist's console", err=True)
    from madoguchi.demo._call import run_call

    consultation = run_call(stack.paths.out)
    summary = {
        "visit": outcome,
        "outbox_last_seq": last_seq,
        "agent": {k: status.get(k) for k in ("state", "last_seq", "acked_seq", "backlog")},
        "central": report,
        "prints": sorted(p.name for p in stack.paths.prints.glob("*.pdf")),
        "print_server": stack.print_server_audit(),
        "consult_console": console,
        "consultation": consultation,
        "screenshots": len(list(stack.paths.screens.glob("*.png"))),
        "out": str(stack.paths.out),
    }
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="Where keys, logs, prints, screenshots and stores go.",
)
@click.option(
    "--window/--offscreen",
    "window",
    default=None,
    help="A kiosk window (default when a display exists) or a scripted visit offscreen.",
)
@click.option(
    "--card-profile",
    default="ordinary",
    show_default=True,
    help="Which simulated My Number card is in the reader (see `card-sim profiles`).",
)
def demo(out: Path, window: bool | None, card_profile: str) -> None:
    """Run the kiosk with central, sync agent, simulated card and a PDF printer, all here.

    With a display, the kiosk opens in a window (staff PIN 258000, card PIN 1234) and runs until
    you press Ctrl-C here. Without one, it saves screenshots of every screen, walks a resident's
    visit through the real parts, and prints what reached the central store.
    """
    from kiosk.session import hash_staff_pin
    from madoguchi.demo._stack import DemoStack

    if window is None:
        window = _has_display()
    with DemoStack(out, card_profile=card_profile) as stack:
        kiosk_config = stack.write_kiosk_config(hash_staff_pin(DEMO_STAFF_PIN))
        if not window:
            _offscreen(stack, kiosk_config)
            return
        password = secrets.token_urlsafe(9)
        console = _console(stack, password)
        click.echo(
            f"demo: consultation console {console['url']} (user {console['user']}, password "
            f"{password}): open it in a browser, then tap 相談する on the kiosk",
            err=True,
        )
        click.echo(
            f"demo: kiosk window; staff PIN {DEMO_STAFF_PIN}, card PIN 1234; Ctrl-C stops", err=True
        )
        kiosk = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "madoguchi.cli",
                "kiosk",
                "--config",
                str(kiosk_config),
                "--windowed",
            ],
            env={**os.environ, **stack.env},
        )
        try:
            kiosk.wait()
        except KeyboardInterrupt:
            kiosk.terminate()
            kiosk.wait(timeout=15)


commands = [demo]
