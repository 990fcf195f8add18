"""The residents' workload of the fault harness: N simulated terminals, each a real outbox and a
real sync agent over CURVE on loopback, feeding a real central receiver and store.

Guarantees: every submission is of one of the record kinds of docs/record-format.md and carries a
random `nonce` (the checker's handle) and no personal data (coded answers only); a receipt is
written to the receipt log only after `Outbox.append` returned, i.e. exactly when a kiosk would
print it, and holds (device, seq, record id, kind, nonce, SHA-256 of the canonical body) and no
content. Endpoints are loopback only. Nothing here decides whether a run was correct: that is
`madoguchi.faults.checker`'s job, which shares no code with this module.
"""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cbor2

from madoguchi.rig import free_port
from provisioning import enroll_device, init_central, load_central_keys
from sync.agent import Agent, AgentConfig
from sync.outbox import Clock, Outbox, OutboxConfig, system_clock

# sync.central is imported where the central side is used: a terminal process never loads it.

__all__ = [
    "KINDS",
    "CentralSide",
    "ReceiptLog",
    "Terminal",
    "fast_agent_config",
    "resident_body",
]

KINDS = (
    "application",
    "certificate_request",
    "booking",
    "survey",
    "metric",
    "device_health",
    "shelter_checkin",
    "queue_ticket",
)


def resident_body(kind: str, rng: random.Random) -> dict:
    """One resident's submission of `kind`: coded fields only, a fresh nonce, a little padding
    so records have a realistic size."""
    body: dict = {"nonce": uuid.UUID(int=rng.getrandbits(128)).hex, "form": kind}
    if kind == "application":
        body |= {"procedure": rng.choice(["moving_in", "child_allowance", "seal"]), "n": 1}
    elif kind == "certificate_request":
        body |= {"certificate": rng.choice(["resident_record", "tax"]), "copies": rng.randint(1, 3)}
    elif kind == "booking":
        body |= {"topic": rng.choice(["welfare", "tax", "care"]), "slot": rng.randint(1, 99)}
    elif kind == "survey":
        body |= {"score": rng.randint(0, 10), "reasons": ["fast"] if rng.random() < 0.5 else []}
    elif kind == "metric":
        body |= {"name": "session_seconds", "value": rng.randint(10, 900)}
    elif kind == "device_health":
        body |= {"disk_free_mb": rng.randint(10, 9000), "printer": "ok"}
    elif kind == "shelter_checkin":
        body |= {"party": rng.randint(1, 6), "needs": rng.choice([[], ["medical"], ["infant"]])}
    else:
        body |= {"queue": rng.choice(["A", "B"]), "ticket": rng.randint(1, 999)}
    body["pad"] = "x" * rng.randint(100, 1500)
    return body


class ReceiptLog:
    """Append-only JSON-lines file of printed receipts (flushed per line)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.count = 0

    def write(self, device_id: str, seq: int, record_id: str, kind: str, body: dict) -> None:
        import hashlib

        line = json.dumps(
            {
                "device": device_id,
                "seq": seq,
                "record_id": record_id,
                "kind": kind,
                "nonce": body["nonce"],
                "digest": hashlib.sha256(cbor2.dumps(body, canonical=True)).hexdigest(),
            }
        )
        with self._lock, open(self.path, "a") as f:
            f.write(line + "\n")
            f.flush()
            self.count += 1


def fast_agent_config(endpoint: str, server_public: bytes, **kw) -> AgentConfig:
    """Agent timings for a test box (every other setting the production default)."""
    timings = {
        "hello_timeout_s": 2.0,
        "ack_timeout_s": 5.0,
        "heartbeat_interval_s": 0.5,
        "heartbeat_timeout_s": 3.0,
        "backoff_base_s": 0.05,
        "backoff_cap_s": 0.5,
        "idle_poll_s": 0.05,
    }
    return AgentConfig(endpoint=endpoint, server_public=server_public, **{**timings, **kw})


class CentralSide:
    """Central keys (written by `provisioning`) and a real receiver on 127.0.0.1 over `db`."""

    def __init__(self, directory: Path, db: str, port: int | None = None) -> None:
        self.directory = Path(directory)
        self.db = db
        self.keys_dir = self.directory / "central-keys"
        if not self.keys_dir.exists():
            init_central(self.keys_dir)
        self.keys = load_central_keys(self.keys_dir)
        self.port = port or free_port(host="127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{self.port}"
        self.receiver = None

    def sealing_keys(self):
        return dict(self.keys.sealing_keys)

    def start(self, **config) -> CentralSide:
        from provisioning import Registry
        from sync.central import open_store
        from sync.central.receiver import Receiver, ReceiverConfig

        self.receiver = Receiver(
            ReceiverConfig(bind=self.endpoint, **config),
            lambda: open_store(self.db),
            Registry(self.keys.registry_path),
            self.keys.curve_public,
            self.keys.curve_secret,
        ).start()
        return self

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()
            self.receiver = None

    def committed(self, device_id: str) -> int:
        from sync.central import open_store

        store = open_store(self.db)
        try:
            return store.device_state(device_id).committed_seq
        finally:
            store.close()


@dataclass
class Terminal:
    """One kiosk: an enrolled device bundle, its outbox and its agent (in this process)."""

    device_id: str
    bundle_dir: Path
    outbox_path: Path
    device: object
    outbox: Outbox | None = None
    agent: Agent | None = None

    @classmethod
    def enroll(cls, central: CentralSide, directory: Path, device_id: str) -> Terminal:
        directory = Path(directory)
        bundle_dir = directory / device_id / "bundle"
        if bundle_dir.exists():
            from provisioning import load_device_bundle

            device = load_device_bundle(bundle_dir)
        else:
            device = enroll_device(
                central.keys_dir,
                bundle_dir,
                device_id=device_id,
                center="faults",
                endpoint=central.endpoint,
            )
        return cls(device_id, bundle_dir, directory / device_id / "data" / "outbox.sqlite3", device)

    def open(self, clock: Clock = system_clock, **config) -> Outbox:
        self.outbox = Outbox(
            OutboxConfig(self.outbox_path, **{"reserve_bytes": 0, **config}),
            self.device_id,
            self.device.sealing_public,
            self.device.sealing_key_id,
            clock,
        ).open()
        return self.outbox

    def start_agent(self, **config) -> Agent:
        self.agent = Agent(
            fast_agent_config(
                self.device.central_endpoint, self.device.central_curve_public, **config
            ),
            self.outbox,
            self.device_id,
            self.device.curve_public,
            self.device.curve_secret,
            self.device.signing_key,
        ).start()
        return self.agent

    def submit(self, receipts: ReceiptLog, rng: random.Random, kind: str | None = None):
        """One resident's submission; the receipt is written once the append returned."""
        kind = kind or rng.choice(KINDS)
        body = resident_body(kind, rng)
        result = self.outbox.append(kind, body)
        receipts.write(self.device_id, result.seq, result.record_id, kind, body)
        return result

    def close(self) -> None:
        if self.agent is not None:
            self.agent.stop()
            self.agent = None
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until true or `timeout` seconds passed (a bounded wait)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def tree_size(path: Path) -> int:
    """Bytes under `path` (reports only)."""
    return sum(os.path.getsize(p) for p in Path(path).rglob("*") if p.is_file())
