"""A video consultation end to end, with real parts: `CallRig` (tests and `bench call`).

- Two network namespaces the rig creates, joined by a veth pair (10.77.x.1 / 10.77.x.2 inside
  them only; WebRTC skips loopback candidates, so the peers need real interfaces): the terminal's
  call worker runs in namespace A, the console (waitress) and Debian's chromium in namespace B.
- The central side in the calling process: the real receiver (CURVE, ZAP allowlist) on
  loopback, with the relay's `consult` request kind, over a SQLite central store; a device with
  real keys, outbox and sync agent whose request socket is an `ipc://` path (Unix sockets cross
  network namespaces, so the worker in A reaches the agent as a kiosk would).
- The console is `madoguchi consult serve` in B on 127.0.0.1 (a secure context for
  getUserMedia); chromium is driven by Playwright through a wrapper that enters B, with fake
  camera/microphone, no browser download, a fresh profile, no ICE servers anywhere.

- `CallRig(janus=True)`: a Janus of the rig's own (`madoguchi.rig.janus.JanusRig`, VideoRoom
  and its Unix-socket API only) runs in namespace B with ICE on the veth; the relay and the
  console reach it through that socket, and calls meet in a room, so a second specialist and an
  interpreter can join (more browser contexts: `console_page` again with other accounts).

Everything the rig started is stopped on exit, namespaces deleted, even after a failure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from madoguchi.rig._proc import RigError

__all__ = ["CHROMIUM_FLAGS", "CallRig", "FlowPump", "namespace_pair"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream=fps=30",  # 640x480 at 30 frames/s like a camera
    "--use-fake-ui-for-media-stream",
]
CONSOLE_PORT = 8090
SECRET = "rig-secret-" + "x" * 32


def _ip(*args: str, ns: str | None = None) -> None:
    argv = ["ip", *(("-n", ns) if ns else ()), *args]
    done = subprocess.run(argv, capture_output=True, timeout=10, text=True)
    if done.returncode != 0:
        raise RigError(f"{' '.join(argv)}: {done.stderr.strip()[:300]}")


@contextlib.contextmanager
def namespace_pair(prefix: str = "mdgc"):
    """Two fresh network namespaces A and B, loopback up, joined by a veth pair.
    Yields (a, b, a_address, b_address); both are deleted on exit."""
    tag = f"{prefix}{os.getpid() % 10000}{uuid.uuid4().hex[:4]}"
    a, b = f"{tag}a", f"{tag}b"
    subnet = 1 + os.getpid() % 250
    a_addr, b_addr = f"10.77.{subnet}.1", f"10.77.{subnet}.2"
    made: list[str] = []
    try:
        for ns in (a, b):
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("link", "set", "lo", "up", ns=ns)
        _ip("link", "add", "veth0", "netns", a, "type", "veth", "peer", "name", "veth1", "netns", b)
        _ip("addr", "add", f"{a_addr}/24", "dev", "veth0", ns=a)
        _ip("addr", "add", f"{b_addr}/24", "dev", "veth1", ns=b)
        _ip("link", "set", "veth0", "up", ns=a)
        _ip("link", "set", "veth1", "up", ns=b)
        yield a, b, a_addr, b_addr
    finally:
        for ns in made:  # deleting a namespace deletes its end of the veth, and so the pair
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True, timeout=10)


class CallRig:
    """`with CallRig(workdir) as rig:` → `rig.db`, `rig.console_url`, `rig.browser_page()`,
    `rig.call_port()`, `rig.revoke()`. Staff accounts: `rig.add_staff(name, *roles)`."""

    def __init__(self, workdir: Path | None = None, *, janus: bool = False) -> None:
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="madoguchi-call-")
            workdir = Path(self._tmp.name)
        self.workdir = Path(workdir)
        self.db = str(self.workdir / "central.db")
        self.agent_endpoint = f"ipc://{self.workdir / 'agent.sock'}"
        self.device_id = "term-call-1"
        self.janus = None
        self._want_janus = janus
        self._stack = contextlib.ExitStack()
        self._playwright = None
        self._browser = None

    # --- start / stop ---------------------------------------------------------------------
    def __enter__(self) -> CallRig:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def _start(self) -> None:
        import zmq
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        from sync.agent import Agent, AgentConfig
        from sync.central.consult import ConsultRelay
        from sync.central.receiver import Device, MemoryAllowlist, Receiver, ReceiverConfig
        from sync.central.stores import open_store
        from sync.outbox import Outbox, OutboxConfig

        self.a, self.b, self.a_addr, self.b_addr = self._stack.enter_context(namespace_pair())
        open_store(self.db).close()
        server_public, server_secret = zmq.curve_keypair()
        public, secret = zmq.curve_keypair()
        signing = Ed25519PrivateKey.generate()
        self.allowlist = MemoryAllowlist()
        self.allowlist.add(Device(self.device_id, public, signing.public_key(), False))
        rooms = None
        if self._want_janus:
            from madoguchi.rig.janus import JanusRig
            from sync.central.consult.janus import Rooms

            self.janus = self._stack.enter_context(
                JanusRig(self.workdir, netns=self.b, interface="veth1")
            )
            rooms = Rooms.connect(self.janus.socket)
        self.relay = ConsultRelay(
            self.db, lambda device_id: "東町コミュニティセンター", rooms=rooms
        )
        self._stack.callback(self.relay.close)
        receiver = Receiver(
            ReceiverConfig(bind="tcp://127.0.0.1:0"),
            lambda: open_store(self.db),
            self.allowlist,
            server_public,
            server_secret,
            handlers=self.relay.handlers(),
        ).start()
        self._stack.callback(receiver.stop)
        outbox = Outbox(
            OutboxConfig(self.workdir / "device.outbox", reserve_bytes=0),
            self.device_id,
            X25519PrivateKey.generate().public_key(),
            "k1",
        ).open()
        self._stack.callback(outbox.close)
        config = AgentConfig(
            endpoint=receiver.endpoint,
            server_public=server_public,
            request_endpoint=self.agent_endpoint,
            hello_timeout_s=2.0,
            heartbeat_interval_s=0.5,
            heartbeat_timeout_s=3.0,
            backoff_base_s=0.05,
            backoff_cap_s=0.5,
            idle_poll_s=0.05,
        )
        self.agent = Agent(config, outbox, self.device_id, public, secret, signing).start()
        self._stack.callback(self.agent.stop)
        self._wait(lambda: self.agent.status.connected, 15, "the agent's session")
        self._start_console()

    def _wait(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise RigError(f"{what} not ready within {timeout} s")
            time.sleep(0.05)

    def _start_console(self) -> None:
        madoguchi = str(Path(sys.executable).with_name("madoguchi"))
        log = open(self.workdir / "console.log", "w+b")  # noqa: SIM115 - closed by the stack
        self._stack.callback(log.close)
        proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.b,
                madoguchi,
                "consult",
                "serve",
                "--db",
                self.db,
                "--listen",
                f"127.0.0.1:{CONSOLE_PORT}",
                *(("--janus-socket", str(self.janus.socket)) if self.janus else ()),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MADOGUCHI_CONSULT_SECRET": SECRET},
        )

        def stop() -> None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

        self._stack.callback(stop)
        self.console_url = f"http://127.0.0.1:{CONSOLE_PORT}"

        def up() -> bool:
            if proc.poll() is not None:
                log.seek(0)
                raise RigError(f"consult serve exited: {log.read().decode()[-500:]}")
            log.seek(0)
            return b"consult console on" in log.read()

        self._wait(up, 20, "the consult console")

    # --- parts for the caller -------------------------------------------------------------
    def add_staff(self, username: str, password: str, *roles: str) -> None:
        from sync.central.consult import ConsultTables, hash_password
        from sync.central.stores import open_store

        store = open_store(self.db)
        try:
            ConsultTables(store).add_staff(username, hash_password(password), roles, username)
        finally:
            store.close()

    def browser(self):
        """Debian's chromium in namespace B, headless, driven by Playwright (started once)."""
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            wrapper = self.workdir / "chromium-in-ns"
            wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {self.b} {CHROMIUM} "$@"\n')
            wrapper.chmod(0o755)
            self._playwright = sync_playwright().start()
            self._stack.callback(self._playwright.stop)
            self._browser = self._playwright.chromium.launch(
                executable_path=str(wrapper),
                headless=True,
                args=[
                    *CHROMIUM_FLAGS,
                    f"--unsafely-treat-insecure-origin-as-secure={self.console_url}",
                ],
                timeout=30_000,
            )
            self._stack.callback(self._browser.close)
        return self._browser

    def console_page(self, username: str, password: str):
        """A new browser context (own cookies) logged in as `username`, on the queue page."""
        context = self.browser().new_context(
            viewport={"width": 1280, "height": 900}, locale="ja-JP"
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(self.console_url + "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#login-submit")
        page.wait_for_selector("#queue")
        return page

    def call_port(self, **kw):
        """A call worker (synthetic media) in namespace A, as the kiosk would start it."""
        from kiosk.call import CallPort

        port = CallPort(
            self.agent_endpoint,
            media="synthetic",
            launcher=["ip", "netns", "exec", self.a],
            **kw,
        )
        self._stack.callback(port.close)
        return port

    def room_of(self, consultation_id: str) -> int:
        """The Janus room of the consultation's current taker (after its last hand-over)."""
        from sync.central.consult import ConsultTables
        from sync.central.consult.janus import room_id
        from sync.central.stores import open_store

        store = open_store(self.db)
        try:
            c = ConsultTables(store).get(consultation_id)
        finally:
            store.close()
        return room_id(consultation_id, c.handovers)

    def revoke(self) -> None:
        self.allowlist.revoke(self.device_id)
        self._wait(lambda: not self.agent.status.connected, 15, "the revocation")


class FlowPump:
    """Hands the call worker's events to the resident's flow (`kiosk.call.flow.ConsultFlow`) in
    the caller's thread, as the kiosk does on its clock, until a step is reached. `port` is the
    CallPort the flow opened (`open_port` records it). Used by the tests, the demo and the
    benchmark."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.port = None
        self.seen = 0
        self.timeout = timeout

    def opener(self, make_port):
        """The flow's `open_port`: starts a worker with `make_port()` and follows it."""

        def open_port():
            self.port, self.seen = make_port(), 0
            return self.port

        return open_port

    def until(self, flow, predicate, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for event in self.port.events[self.seen :]:
                self.seen += 1
                flow.on_event(event)
            if predicate(flow.view()):
                return flow.view()
            if time.monotonic() > deadline:
                raise RigError(f"flow stuck at {flow.view()}; events {self.port.events[-6:]}")
            time.sleep(0.05)
