"""Helpers for the sync/central tests: real keys, real outboxes, a real receiver on loopback.

No mocks: a `CentralRig` runs the real `Receiver` (ROUTER + CURVE + ZAP) on tcp://127.0.0.1 with a
real store (SQLite file or the PostgreSQL fixture); a `DeviceKit` holds a real outbox and keys.
"""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import zmq
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.agent import Agent, AgentConfig
from sync.agent import enrolled_agent as _enrolled_agent
from sync.central.receiver import Device, MemoryAllowlist, Receiver, ReceiverConfig
from sync.central.stores import open_store
from sync.outbox import Outbox, OutboxConfig, system_clock

KEY_ID = "k1"


@dataclass
class CentralKit:
    curve_public: bytes
    curve_secret: bytes
    sealing_key: X25519PrivateKey
    allowlist: MemoryAllowlist = field(default_factory=MemoryAllowlist)


@dataclass
class DeviceKit:
    device_id: str
    curve_public: bytes
    curve_secret: bytes
    signing_key: Ed25519PrivateKey
    outbox: Outbox

    def fill(self, n: int, kind: str = "survey", pad: int = 900) -> None:
        for i in range(n):
            self.outbox.append(kind, {"i": i, "score": i % 11, "pad": "x" * pad})


def central_kit() -> CentralKit:
    public, secret = zmq.curve_keypair()
    return CentralKit(public, secret, X25519PrivateKey.generate())


def device_kit(
    tmp: Path, central: CentralKit, device_id: str | None = None, enroll=True, clock=system_clock
) -> DeviceKit:
    """A device with a real outbox sealing to `central` (records stamped by `clock`)."""
    device_id = device_id or f"dev-{uuid.uuid4().hex[:8]}"
    public, secret = zmq.curve_keypair()
    signing = Ed25519PrivateKey.generate()
    outbox = Outbox(
        OutboxConfig(tmp / f"{device_id}.outbox", reserve_bytes=0),
        device_id,
        central.sealing_key.public_key(),
        KEY_ID,
        clock=clock,
    ).open()
    kit = DeviceKit(device_id, public, secret, signing, outbox)
    if enroll:
        central.allowlist.add(Device(device_id, public, signing.public_key(), False))
    return kit


def start_receiver(central: CentralKit, db: str, *, bind="tcp://127.0.0.1:0", **kw) -> Receiver:
    config_kw = {k: kw.pop(k) for k in list(kw) if k in ReceiverConfig.__dataclass_fields__}
    receiver = Receiver(
        ReceiverConfig(bind=bind, **config_kw),
        lambda: open_store(db),
        central.allowlist,
        central.curve_public,
        central.curve_secret,
        **kw,
    )
    return receiver.start()


def agent_for(kit: DeviceKit, central: CentralKit, endpoint: str, **kw) -> Agent:
    agent_kw = {k: kw.pop(k) for k in list(kw) if k in ("on_bundle", "catalog_version", "rng")}
    config = AgentConfig(
        endpoint=endpoint,
        server_public=central.curve_public,
        **{
            "hello_timeout_s": 2.0,
            "ack_timeout_s": 5.0,
            "heartbeat_interval_s": 0.5,
            "heartbeat_timeout_s": 3.0,
            "backoff_base_s": 0.05,
            "backoff_cap_s": 0.5,
            "idle_poll_s": 0.05,
            **kw,
        },
    )
    return Agent(
        config,
        kit.outbox,
        kit.device_id,
        kit.curve_public,
        kit.curve_secret,
        kit.signing_key,
        **agent_kw,
    )


def enrolled_agent(device, outbox: Outbox, bundles, **config) -> Agent:
    """The agent of an enrolled device bundle (`provisioning.load_device_bundle`), applying
    downlink bundles into the `BundleStore` `bundles` as `madoguchi sync-agent run` wires it;
    fast test timings unless `config` says otherwise. Not started."""
    timings = {
        "hello_timeout_s": 2.0,
        "heartbeat_interval_s": 0.3,
        "heartbeat_timeout_s": 3.0,
        "backoff_base_s": 0.05,
        "backoff_cap_s": 0.5,
        "idle_poll_s": 0.05,
    }
    config = AgentConfig(
        endpoint=device.central_endpoint,
        server_public=device.central_curve_public,
        **{**timings, **config},
    )
    return _enrolled_agent(config, device, outbox, bundles)


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def write_private_pem(path: Path, key) -> Path:
    """`key` as an unencrypted PKCS#8 PEM file, for a child process to load."""
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def kill_while_writing(argv: list[str], delay: float) -> None:
    """Start `argv` (a writer that prints "ready" once, then writes in a loop), SIGKILL it
    `delay` seconds later (mid-write: any instant must be safe) and reap it."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stdout.close()


def committed(db: str, device_id: str) -> int:
    store = open_store(db)
    try:
        return store.device_state(device_id).committed_seq
    finally:
        store.close()


def stored_count(db: str, device_id: str | None = None, table: str = "records") -> int:
    store = open_store(db)
    try:
        return store.count(table, device_id)
    finally:
        store.close()


def fresh_central_db(kind: str, tmp: Path, request) -> str:
    """A fresh central database: `tmp`/central.db for "sqlite", else a new database in the
    PostgreSQL fixture."""
    if kind == "sqlite":
        return str(tmp / "central.db")
    pg = request.getfixturevalue("postgres")
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg.dsn.replace("/postgres?", f"/{name}?")


@pytest.fixture(params=["sqlite", "postgres"])
def central_db(request, tmp_path) -> str:
    """A fresh central database per test, on each backend."""
    return fresh_central_db(request.param, tmp_path, request)


@pytest.fixture
def central():
    return central_kit()


class DropAckProxy:
    """A real TCP relay between agent and central that, once armed, cuts both connections the
    moment the central side answers an upload of at least `min_upload` bytes: the batch reached
    the central (and is committed) but its ACK never reaches the agent."""

    def __init__(self, target_port: int, min_upload: int = 20_000) -> None:
        import socket
        import threading

        self._socket, self._threading = socket, threading
        self.target_port = target_port
        self.min_upload = min_upload
        self.armed = threading.Event()
        self.dropped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._conns: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = self._socket.create_connection(("127.0.0.1", self.target_port))
            self._conns += [client, server]
            state = {"up": 0}
            self._threading.Thread(
                target=self._pump, args=(client, server, state, True), daemon=True
            ).start()
            self._threading.Thread(
                target=self._pump, args=(server, client, state, False), daemon=True
            ).start()

    def _pump(self, src, dst, state, upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                if upstream:
                    state["up"] += len(data)
                elif self.armed.is_set() and state["up"] >= self.min_upload:
                    self.armed.clear()
                    self.dropped.set()
                    for s in (src, dst):
                        s.close()
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for s in self._conns:
            try:
                s.close()
            except OSError:
                pass


class RawPeer:
    """A bare DEALER speaking the protocol by hand (hostile or precise cases)."""

    def __init__(
        self, ctx: zmq.Context, endpoint: str, server_public: bytes, public: bytes, secret: bytes
    ) -> None:
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.curve_publickey, self.sock.curve_secretkey = public, secret
        self.sock.curve_serverkey = server_public
        self.sock.connect(endpoint)

    def send(self, message) -> None:
        from sync.protocol import encode

        self.sock.send(encode(message))

    def recv(self, timeout: float = 5.0):
        from sync.protocol import decode

        if not self.sock.poll(int(timeout * 1000)):
            return None
        return decode(self.sock.recv())

    def ask(self, message, timeout: float = 5.0):
        self.send(message)
        return self.recv(timeout)

    def close(self) -> None:
        self.sock.close(linger=0)


def signed_batch(kit: DeviceKit, first: int, count: int, batch_id: int = 1, records=None):
    from sync.protocol import Batch
    from sync.sealing import sign_chain_head

    records = records or kit.outbox.records_from(first, count, 1 << 30)
    last = records[-1]
    sig = sign_chain_head(kit.signing_key, kit.device_id, last.seq, last.record_hash)
    return Batch(
        batch_id, records[0].seq, tuple((r.header_bytes, r.ciphertext) for r in records), sig
    )
