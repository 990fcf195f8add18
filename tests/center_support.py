"""Helpers for the center tests: a real queue host (SQLite, Flask on waitress on loopback) whose
events go to a real outbox, and headless Debian chromium through Playwright."""

from __future__ import annotations

import contextlib
from pathlib import Path

from kiosk.center import CenterQueue, HostClient
from kiosk.center.host import CenterHost, HostConfig, create_app
from kiosk.center.server import HostServer
from kiosk.session.config import hash_staff_pin

STAFF_PIN = "246810"
TOKEN = "center-terminal-token-0123456789"
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@contextlib.contextmanager
def running_host(tmp: Path, outbox, *, center="higashi", repeat_s=60.0, clock=None):
    kw = {"clock": clock} if clock else {}
    queue = CenterQueue(tmp / f"{center}-host.db", center, **kw)
    pin_hash = hash_staff_pin(STAFF_PIN, iterations=1000)
    host = CenterHost(
        HostConfig(center, "東町コミュニティセンター", TOKEN, counters=("1", "2", "3"),
                   staff_call_repeat_s=repeat_s),
        queue,
        outbox.append,
        lambda: pin_hash,
    )  # fmt: skip
    server = HostServer(create_app(host)).start()
    try:
        yield host, server
    finally:
        server.stop()
        queue.close()


def client(server: HostServer) -> HostClient:
    return HostClient(server.url, TOKEN, timeout_s=3.0)


@contextlib.contextmanager
def chromium(tmp: Path):
    from playwright.sync_api import sync_playwright

    profile = tmp / "chromium-profile"
    profile.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
            ],
            viewport={"width": 1280, "height": 800},
            bypass_csp=True,  # lets Playwright evaluate its waits; the pages never eval
            locale="ja-JP",
        )  # fmt: skip
        try:
            yield browser
        finally:
            browser.close()


def opened(kit, central, kind: str) -> list[dict]:
    """The bodies of `kind` in a device's outbox, opened with the central key (as central would)."""
    from sync.sealing import open_record

    records = kit.outbox.records_from(1, 100_000, 1 << 30)
    return [open_record(r, central.sealing_key) for r in records if r.header.kind == kind]
