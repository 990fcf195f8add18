"""`madoguchi bench sync --hostile`: honest devices drain while one enrolled device attacks.

Three processes besides the bench itself, so each one's CPU and memory is its own: the central
receiver (production `ReceiverConfig` defaults, SQLite store), the honest agents (threads of one
child, as in `madoguchi.bench._sync_engine`), and the hostile device. The honest drain runs twice on fresh
stores: alone, then with the hostile device sending as fast as its limits allow: several
connections of its one key, each keeping a window of frames in flight and pausing only as long
as a `rate_limited` reply asks. Its frames cycle through the hostile inputs of issue 15: value
sharing (tags 28/29) and cyclic CBOR, nesting past the depth bound, garbage, payloads over
`max_payload_bytes`, forged batches (bad signature, quarantined until the device's quota is
full), a HELLO for another device and unknown requests.

Reported: `honest_records_per_s_alone`, `honest_records_per_s` (under attack), their ratio
`honest_under_attack_ratio`, the receiver process's peak RSS (`VmHWM`) in each run, what the
hostile device sent and how it was answered, and whether every honest record is stored once.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from madoguchi.bench._sync_engine import _central, _kit, _quiet, _run_agents, bulk_fill

__all__ = ["hostile"]


def _peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _receiver_child(spec: dict, ready, stop, results) -> None:
    """Child process: the central receiver with default limits; reports stats and peak RSS."""
    import logging

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from sync.central.receiver import Device, MemoryAllowlist, Receiver, ReceiverConfig
    from sync.central.stores import open_store

    logging.basicConfig(level=logging.ERROR)  # a warning per hostile frame would measure stderr
    allowlist = MemoryAllowlist(
        [
            Device(d, public, Ed25519PublicKey.from_public_bytes(signing), False)
            for d, public, signing in spec["devices"]
        ]
    )
    db = spec["db"]
    receiver = Receiver(
        ReceiverConfig(bind="tcp://127.0.0.1:0"),
        lambda: open_store(db),
        allowlist,
        spec["public"],
        spec["secret"],
    ).start()
    ready.put(receiver.endpoint)
    stop.wait(3600)
    receiver.stop()
    results.put({"stats": dict(receiver.stats), "peak_rss_mb": round(_peak_rss_mb(), 1)})


def _frames(device_id: str, records: list[tuple[bytes, bytes]]) -> list[Callable[[int], bytes]]:
    """The hostile frames, each a function of a running counter (so batches differ)."""
    import cbor2

    from sync.protocol import Batch, Hello, Request, encode

    dag: object = [1]
    for _ in range(12):
        dag = [dag] * 4
    sharing = cbor2.dumps(
        [1, "request", {"request_id": 1, "kind": "slots", "payload": {"a": dag}, "timeout_ms": 9}],
        value_sharing=True,
    )
    cyclic = (
        b"\x83\x01\x67request\xa4\x6arequest_id\x01\x64kind\x65slots\x6atimeout_ms\x09"
        b"\x67payload\xd8\x1c\xa1\x64self\xd8\x1d\x00"
    )
    deep = b"\x83\x01\x67request" + b"\x81" * 2000 + b"\x01"
    oversize = encode(Request(2, "slots", {"blob": b"x" * (1024 * 1024 + 64)}, 100))
    wrong_hello = encode(Hello("not-" + device_id, 0, 0, 0.0))
    unknown = encode(Request(3, "no.such.kind", {"x": 1}, 100))
    per = 50

    def forged(n: int) -> bytes:
        start = (n * per) % max(1, len(records) - per)
        chunk = tuple(records[start : start + per])
        return encode(Batch(n + 1, start + 1, chunk, bytes(64)))

    fixed = [sharing, cyclic, deep, oversize, wrong_hello, unknown]
    return [*(lambda n, f=f: f for f in fixed), lambda n: os.urandom(200), forged]


def _hostile_child(spec: dict, ready, stop, results) -> None:
    """Child process: the hostile enrolled device, `connections` DEALERs of its one key."""
    import zmq

    from sync.errors import ProtocolError
    from sync.protocol import ErrorMessage, Hello, decode, encode

    # The attacker is another machine in real life: its own CPU must not be taken from the
    # receiver and honest agents sharing this one, so it runs at the lowest priority.
    os.nice(19)
    ctx = zmq.Context()
    frames = _frames(spec["id"], spec["records"])
    hello = encode(Hello(spec["id"], 0, 0, time.time()))
    socks = []
    for _ in range(spec["connections"]):
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.curve_publickey, s.curve_secretkey = spec["public"], spec["secret"]
        s.curve_serverkey = spec["server_public"]
        s.connect(spec["endpoint"])
        socks.append({"sock": s, "out": 0, "paused": 0.0, "hello": True})
    poller = zmq.Poller()
    for c in socks:
        poller.register(c["sock"], zmq.POLLIN)
    by_sock = {c["sock"]: c for c in socks}
    sent, replies, n = 0, Counter(), 0
    ready.put(True)
    while not stop.is_set():
        now = time.monotonic()
        for c in socks:
            while c["out"] < spec["window"] and c["paused"] <= now:
                if c["hello"]:
                    frame, c["hello"] = hello, False
                else:
                    frame = frames[n % len(frames)](n)
                    n += 1
                try:
                    c["sock"].send(frame, flags=zmq.NOBLOCK)
                except zmq.Again:
                    break
                c["out"] += 1
                sent += 1
        for sock, _ in poller.poll(10):
            c = by_sock[sock]
            while True:
                try:
                    data = sock.recv(flags=zmq.NOBLOCK)
                except zmq.Again:
                    break
                c["out"] = max(0, c["out"] - 1)
                try:
                    reply = decode(data)
                except ProtocolError:
                    replies["undecodable"] += 1
                    continue
                code = reply.code if isinstance(reply, ErrorMessage) else type(reply).__name__
                replies[code] += 1
                if code == "rate_limited":  # as fast as its limits allow, and no faster
                    c["paused"] = time.monotonic() + reply.retry_after_ms / 1000
                elif code in ("hello_required", "too_many_connections"):
                    c["hello"] = True
    for c in socks:
        c["sock"].close(linger=0)
    ctx.term()
    results.put({"sent": sent, "replies": dict(replies)})


def _drain(tmp: Path, devices: int, per_device: int, attack: bool, progress) -> dict:
    import multiprocessing

    from sync.central.stores import open_store

    tmp.mkdir(parents=True, exist_ok=True)
    central = _central(tmp)
    kits = []
    for i in range(devices):
        kit = _kit(tmp, central, f"honest-{i:02d}")
        bulk_fill(kit["outbox"], per_device, chunk=min(per_device, 2000))
        kits.append(kit)
    bad = _kit(tmp, central, "hostile")
    bulk_fill(bad["outbox"], 2000)
    bad_records = [
        (r.header_bytes, r.ciphertext) for r in bad["outbox"].records_from(1, 2000, 1 << 40)
    ]
    bad["outbox"].close()
    enrolled = [
        (k["id"], k["public"], k["signing"].public_key().public_bytes_raw()) for k in [*kits, bad]
    ]
    db = str(tmp / "central.db")
    mp = multiprocessing.get_context("spawn")
    ready, results, stop = mp.Queue(), mp.Queue(), mp.Event()
    spec = {"db": db, "devices": enrolled, "public": central["public"], "secret": central["secret"]}
    receiver = mp.Process(target=_receiver_child, args=(spec, ready, stop, results))
    receiver.start()
    attacker = None
    out: dict = {}
    try:
        endpoint = ready.get(timeout=60)
        if attack:
            h_ready, h_results, h_stop = mp.Queue(), mp.Queue(), mp.Event()
            h_spec = {
                "id": bad["id"],
                "public": bad["public"],
                "secret": bad["secret"],
                "server_public": central["public"],
                "endpoint": endpoint,
                "records": bad_records,
                "connections": 4,  # the per-key bound: more only evict each other
                "window": 16,
            }
            attacker = mp.Process(target=_hostile_child, args=(h_spec, h_ready, h_stop, h_results))
            attacker.start()
            h_ready.get(timeout=60)
            time.sleep(1.0)  # the attack is under way before the honest devices connect
        total = devices * per_device
        progress(
            f"bench sync --hostile: {devices} honest agents, attack={'on' if attack else 'off'}"
        )
        seconds, reconnects = _run_agents(kits, central, endpoint, total, 4, 900)
        out.update(seconds=seconds, reconnects=reconnects, total=total)
        if attacker is not None:
            h_stop.set()
            out["hostile"] = h_results.get(timeout=60)
    finally:
        if attacker is not None:
            attacker.join(30)
            if attacker.is_alive():
                attacker.kill()
        stop.set()
        try:
            out_receiver = results.get(timeout=60)
        finally:
            receiver.join(30)
            if receiver.is_alive():
                receiver.kill()
    out["receiver"] = out_receiver
    store = open_store(db)
    try:
        rows = store._execute(
            "SELECT COUNT(*), COUNT(DISTINCT device_id || ':' || seq) FROM records "
            "WHERE device_id LIKE 'honest-%'"
        )
        out["stored"], out["distinct"] = (int(x) for x in rows[0])
        out["hostile_quarantined_bytes"] = store.quarantined_bytes(bad["id"])
    finally:
        store.close()
    return out


def hostile(
    tmp: Path,
    devices: int,
    per_device: int,
    progress: Callable[[str], None] = _quiet,
    rounds: int = 2,
) -> dict:
    """Alone and attacked runs, interleaved `rounds` times on fresh stores; the best rate of each
    kind is kept (the machine's other load only ever slows a run down), the attacked figures
    of the rest come from the attacked round with the best rate."""
    alone_runs, attacked_runs = [], []
    for r in range(max(1, rounds)):
        alone_runs.append(_drain(tmp / f"alone-{r}", devices, per_device, False, progress))
        attacked_runs.append(_drain(tmp / f"attacked-{r}", devices, per_device, True, progress))
    alone = min(alone_runs, key=lambda run: run["seconds"])
    attacked = min(attacked_runs, key=lambda run: run["seconds"])
    rate_alone = alone["total"] / alone["seconds"]
    rate = attacked["total"] / attacked["seconds"]
    stats = attacked["receiver"]["stats"]
    return {
        "rounds": max(1, rounds),
        "honest_devices": devices,
        "honest_records": attacked["total"],
        "honest_records_per_s_alone": round(rate_alone, 1),
        "honest_records_per_s": round(rate, 1),
        "honest_under_attack_ratio": round(rate / rate_alone, 3),
        "honest_records_stored_once": attacked["stored"]
        == attacked["distinct"]
        == attacked["total"],
        "honest_reconnects": attacked["reconnects"],
        "receiver_peak_rss_mb_alone": max(run["receiver"]["peak_rss_mb"] for run in alone_runs),
        "receiver_peak_rss_mb": max(run["receiver"]["peak_rss_mb"] for run in attacked_runs),
        "hostile_connections": 4,
        "hostile_frames_sent": attacked["hostile"]["sent"],
        "hostile_replies": attacked["hostile"]["replies"],
        "hostile_quarantined_bytes": attacked["hostile_quarantined_bytes"],
        "receiver_rate_limited": stats["rate_limited"],
        "receiver_quarantine_full": stats["quarantine_full"],
        "receiver_sessions_evicted": stats["sessions_evicted"],
        "receiver_errors_sent": stats["errors_sent"],
    }
