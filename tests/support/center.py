"""Helpers for the center tests: a real queue host (SQLite, Flask on waitress on loopback) whose
events go to a real outbox, and headless Debian chromium through Playwright."""

from __future__ import annotations

import contextlib
from pathlib import Path

from kiosk.center import CenterQueue, HostClient
from kiosk.center.host import CenterHost, HostConfig, create_app
from kiosk.center.server import HostServer
from kiosk.session.config import hash_staff_pin
from tests.support.paths import screenshot_dir

STAFF_PIN = "246810"
TOKEN = "center-terminal-token-0123456789"
CHROMIUM = "/usr/bin/chromium"
SHOTS = screenshot_dir()


@contextlib.contextmanager
def running_host(
    tmp: Path, outbox, *, center="higashi", repeat_s=60.0, clock=None, places=(), city_notices=None
):
    kw = {"clock": clock} if clock else {}
    queue = CenterQueue(tmp / f"{center}-host.db", center, **kw)
    pin_hash = hash_staff_pin(STAFF_PIN, iterations=1000)
    host = CenterHost(
        HostConfig(center, "東町コミュニティセンター", TOKEN, counters=("1", "2", "3"),
                   staff_call_repeat_s=repeat_s, places=tuple(places)),
        queue,
        outbox.append,
        lambda: pin_hash,
        city_notices=city_notices,
    )  # fmt: skip
    server = HostServer(create_app(host)).start()
    try:
        yield host, server
    finally:
        server.stop()
        queue.close()


def terminal_queue(tmp_path: Path, server: HostServer, kit, terminal: str = "C01"):
    """The kiosk's queue port on `server`'s center (`higashi`), with its own fallback counter
    (mark 2) and `kit`'s outbox: what a terminal of the center uses."""
    from kiosk.center import TerminalQueue

    return TerminalQueue(
        client(server),
        CenterQueue(tmp_path / f"{terminal}-fallback.db", "higashi", mark="2"),
        kit.outbox.append,
        terminal=terminal,
    )


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


class CuttableLink:
    """A TCP forwarder on loopback between a terminal and the queue host: `cut()` closes every
    connection and refuses new ones (the center's LAN split), `restore()` forwards again."""

    def __init__(self, target_port: int) -> None:
        import socket
        import threading

        self.target_port = target_port
        self._srv = socket.create_server(("127.0.0.1", 0))
        self._srv.settimeout(0.2)
        self.port = self._srv.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._stop = threading.Event()
        self._conns: list = []
        self.refused = 0  # connections tried while cut
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        import socket
        import threading

        while not self._stop.is_set():
            try:
                client, _ = self._srv.accept()
            except (TimeoutError, OSError):
                continue
            if not self._up.is_set():
                self.refused += 1
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            conns, self._conns = self._conns, []
        import socket

        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self._stop.set()
        self._thread.join(timeout=5)
        self._srv.close()
