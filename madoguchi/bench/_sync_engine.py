"""The engine of `madoguchi bench sync`: outbox drain through the real agent and receiver, side by
side with a raw pyzmq baseline and a naive HTTP baseline; `--devices D` adds a fan-in run. A tool
on top of the product (it drives the outbox, the agent and the central side together), so it
lives with the benchmarks, not in `sync/` (it was `sync.benchmark`).

- sync: N sealed ~1 KB records in a real outbox, one `Agent` (DEALER + CURVE) → `Receiver`
  (ROUTER + CURVE + ZAP) → SQLite store (WAL, synchronous=FULL). Timed from agent start until the
  outbox is fully acked (every ACK is after a COMMIT).
- raw: the same record bytes over plain pyzmq DEALER/ROUTER (no CURVE, no protocol, no
  verification), 500 per message, `executemany` into the same `records` table under the same
  pragmas, commit, then ack; records/s.
- http: one `requests.post` per record to a minimal `http.server` that inserts and commits per
  request into SQLite (same pragmas); time-boxed, its rate reported.
- fan-in (`--devices D`): D agents (threads in this process, one shared ZeroMQ context) with
  `--records` records each, all started at once against one receiver; every record must be
  stored exactly once.

The outbox is filled with `bulk_fill` (`Outbox.append_many`, one transaction per chunk):
filling is not what is measured.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable


def _quiet(message: str) -> None:
    """No progress output (tests)."""


def bulk_fill(outbox, n: int, *, pad: int = 900, kind: str = "survey", chunk: int = 2000) -> None:
    """Append `n` sealed ~1 KB records with `Outbox.append_many`, `chunk` per transaction
    (filling is not what is measured; `append` is one durable transaction per record)."""
    done = 0
    while done < n:
        count = min(chunk, n - done)
        outbox.append_many((kind, {"i": done + i, "pad": "x" * pad}) for i in range(count))
        done += count


# --- the run ---------------------------------------------------------------------------------


def _kit(tmp, central, device_id: str, ctx=None):
    import zmq
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync.central.receiver import Device
    from sync.outbox import Outbox, OutboxConfig

    public, secret = zmq.curve_keypair()
    signing = Ed25519PrivateKey.generate()
    outbox = Outbox(
        OutboxConfig(tmp / f"{device_id}.outbox", reserve_bytes=0, quick_check=False),
        device_id,
        central["sealing"].public_key(),
        "bench",
    ).open()
    central["allowlist"].add(Device(device_id, public, signing.public_key(), False))
    return {
        "id": device_id,
        "public": public,
        "secret": secret,
        "signing": signing,
        "outbox": outbox,
        "path": str(outbox.config.path),
    }


def _central(tmp):
    import zmq
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from sync.central.receiver import MemoryAllowlist

    public, secret = zmq.curve_keypair()
    return {
        "public": public,
        "secret": secret,
        "sealing": X25519PrivateKey.generate(),
        "allowlist": MemoryAllowlist(),
    }


def _receiver(central, db: str):
    from sync.central.receiver import Receiver, ReceiverConfig
    from sync.central.stores import open_store

    return Receiver(
        ReceiverConfig(bind="tcp://127.0.0.1:0", rate_messages_per_s=1e5, rate_message_burst=1e5),
        lambda: open_store(db),
        central["allowlist"],
        central["public"],
        central["secret"],
    ).start()


def _agent_config(endpoint: str, server_public: bytes, window: int):
    from sync.agent import AgentConfig

    return AgentConfig(
        endpoint=endpoint,
        server_public=server_public,
        window=window,
        hello_timeout_s=30.0,
        ack_timeout_s=120.0,
        heartbeat_interval_s=5.0,
        heartbeat_timeout_s=120.0,
        idle_poll_s=0.2,
        backoff_base_s=0.2,
        backoff_cap_s=5.0,
        progress_interval_s=3600.0,
    )


def _agents_child(spec: dict, results) -> None:
    """Child process: the device side. Agents (threads, one ZeroMQ context) drain their outboxes;
    reports (seconds from start until every record is acked, reconnects)."""
    import zmq
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync.agent import Agent
    from sync.outbox import Outbox, OutboxConfig

    ctx = zmq.Context()
    ctx.max_sockets = max(4096, 4 * len(spec["devices"]))
    config = _agent_config(spec["endpoint"], spec["server_public"], spec["window"])
    outboxes, agents = [], []
    for d in spec["devices"]:
        outbox = Outbox(
            OutboxConfig(d["path"], reserve_bytes=0, quick_check=False), d["id"], None, "bench"
        ).open()
        outboxes.append(outbox)
        signing = Ed25519PrivateKey.from_private_bytes(d["signing"])
        agents.append(
            Agent(config, outbox, d["id"], d["public"], d["secret"], signing, context=ctx)
        )
    t0 = time.perf_counter()
    for agent in agents:
        agent.start()
    ok = _wait_acked(agents, spec["total"], spec["timeout"])
    seconds = time.perf_counter() - t0
    reconnects = sum(a.status.reconnects for a in agents)
    for agent in agents:
        agent.stop()
    for outbox in outboxes:
        outbox.close()
    ctx.term()
    results.put((ok, seconds, reconnects))


def _run_agents(kits, central, endpoint: str, total: int, window: int, timeout: float):
    """Run the agents of `kits` in a child process (the device side is not the central's
    process, as in production); returns (seconds, reconnects)."""
    import multiprocessing

    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    devices = []
    for k in kits:
        k["outbox"].close()
        raw = k["signing"].private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        devices.append(
            {
                "id": k["id"],
                "public": k["public"],
                "secret": k["secret"],
                "signing": raw,
                "path": k["path"],
            }
        )
    spec = {
        "endpoint": endpoint,
        "server_public": central["public"],
        "devices": devices,
        "total": total,
        "window": window,
        "timeout": timeout,
    }
    mp = multiprocessing.get_context("spawn")
    results = mp.Queue()
    child = mp.Process(target=_agents_child, args=(spec, results))
    child.start()
    try:
        ok, seconds, reconnects = results.get(timeout=timeout + 60)
    finally:
        child.join(30)
        if child.is_alive():
            child.kill()
    if not ok:
        raise RuntimeError("the agents did not drain in time")
    return seconds, reconnects


def _wait_acked(agents, total: int, timeout: float) -> bool:
    """Until the agents have marked `total` records acked in their outboxes (no outbox query:
    polling `Outbox.stats()` would compete with the drain)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(a.acked_seq for a in agents) >= total:
            return True
        time.sleep(0.01)
    return False


def drain(tmp, n: int, progress: Callable[[str], None] = _quiet) -> tuple[float, list]:

    central = _central(tmp)
    kit = _kit(tmp, central, "bench-dev")
    progress(f"bench sync: sealing {n} records into the outbox")
    bulk_fill(kit["outbox"], n)
    records = kit["outbox"].records_from(1, n, 1 << 40)
    receiver = _receiver(central, str(tmp / "central.db"))
    progress("bench sync: draining through agent (child process) → receiver → SQLite")
    try:
        seconds, _ = _run_agents([kit], central, receiver.endpoint, n, 4, 600)
    finally:
        receiver.stop()
    return n / seconds, records


def _sqlite_table(path: str) -> sqlite3.Connection:
    """The central `records` table (created by the real store), opened with the same pragmas."""
    from sync.central.store_sqlite import SqliteStore

    SqliteStore(path).close()
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


_INSERT = (
    "INSERT INTO records (device_id, seq, record_hash, prev_hash, record_id, kind, created_at,"
    " header, ciphertext, received_at, state) VALUES (?, ?, ?, ?, '', '', 0, ?, ?, ?, 0)"
    " ON CONFLICT (device_id, seq) DO NOTHING"
)


def raw(tmp, records: list, batch: int = 500, window: int = 4) -> float:
    """Plain pyzmq DEALER/ROUTER (no CURVE, no protocol, no checks) into the same table."""
    import struct
    import threading

    import zmq

    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.linger = 0
    port = router.bind_to_random_port("tcp://127.0.0.1")
    db = _sqlite_table(str(tmp / "raw.db"))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            if not router.poll(100):
                continue
            frames = router.recv_multipart()
            ident, first = frames[0], struct.unpack(">Q", frames[1])[0]
            body = frames[2:]
            now = time.time()
            rows = [
                ("raw", first + i, body[3 * i + 2], b"", body[3 * i], body[3 * i + 1], now)
                for i in range(len(body) // 3)
            ]
            db.execute("BEGIN IMMEDIATE")
            db.executemany(_INSERT, rows)
            db.execute("COMMIT")
            router.send_multipart([ident, struct.pack(">Q", first + len(rows) - 1)])

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.connect(f"tcp://127.0.0.1:{port}")
    chunks = [records[i : i + batch] for i in range(0, len(records), batch)]
    t0 = time.perf_counter()
    in_flight = acked = 0
    sent = 0
    last = len(records)
    while acked < last:
        while in_flight < window and sent < len(chunks):
            chunk = chunks[sent]
            frames = [struct.pack(">Q", chunk[0].seq)]
            for r in chunk:
                frames += [r.header_bytes, r.ciphertext, r.record_hash]
            dealer.send_multipart(frames)
            sent += 1
            in_flight += 1
        if not dealer.poll(60_000):
            raise RuntimeError("raw baseline stalled")
        acked = struct.unpack(">Q", dealer.recv())[0]
        in_flight -= 1
    seconds = time.perf_counter() - t0
    stop.set()
    server.join(5)
    dealer.close()
    router.close()
    ctx.term()
    db.close()
    return len(records) / seconds


def http(tmp, records: list, max_records: int, max_seconds: float) -> float:
    """One `requests.post` per record to a minimal http.server inserting + committing each."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import requests

    db = _sqlite_table(str(tmp / "http.db"))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seq = int(self.headers["X-Seq"])
            hlen = int(self.headers["X-Header-Length"])
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                _INSERT, ("http", seq, body[-32:], b"", body[:hlen], body[hlen:-32], time.time())
            )
            db.execute("COMMIT")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/records"
    t0 = time.perf_counter()
    done = 0
    for r in records[:max_records]:
        response = requests.post(
            url,
            data=r.header_bytes + r.ciphertext + r.record_hash,
            headers={"X-Seq": str(r.seq), "X-Header-Length": str(len(r.header_bytes))},
            timeout=10,
        )
        response.raise_for_status()
        done += 1
        if time.perf_counter() - t0 > max_seconds:
            break
    seconds = time.perf_counter() - t0
    server.shutdown()
    server.server_close()
    db.close()
    return done / seconds


def fanin(tmp, devices: int, per_device: int, progress: Callable[[str], None] = _quiet) -> dict:
    """`devices` agents (threads of one child process) start at once against one receiver."""
    from sync.central.stores import open_store

    central = _central(tmp)
    progress(f"bench sync: fan-in, sealing {per_device} records for each of {devices} devices")
    kits = []
    for i in range(devices):
        kit = _kit(tmp, central, f"fan-{i:04d}")
        bulk_fill(kit["outbox"], per_device, chunk=per_device)
        kits.append(kit)
    db = str(tmp / "fanin.db")
    receiver = _receiver(central, db)
    progress(f"bench sync: fan-in, {devices} agents (one child process) connecting at once")
    total = devices * per_device
    try:
        seconds, reconnects = _run_agents(kits, central, receiver.endpoint, total, 2, 900)
    finally:
        receiver.stop()
    store = open_store(db)
    try:
        rows = store._execute(
            "SELECT COUNT(*), COUNT(DISTINCT device_id || ':' || seq) FROM records"
        )
        stored, distinct = (int(x) for x in rows[0])
        held = sum(store.device_state(k["id"]).committed_seq for k in kits)
    finally:
        store.close()
    return {
        "fanin_devices": devices,
        "fanin_records_sent": total,
        "fanin_records_stored": stored,
        "fanin_duplicates": stored - distinct,
        "fanin_committed_total": held,
        "fanin_resends_absorbed": receiver.stats["duplicates"],
        "fanin_reconnects": reconnects,
        "fanin_seconds": round(seconds, 3),
        "fanin_records_per_s": round(total / seconds, 1),
    }
