"""Partitions: many centers cut off from city hall for days, then all coming back at once.

`run_partition(workdir, terminals=35, hours=72)` enrolls the terminals with a real central side,
starts their real agents while the receiver is down (they retry with their exponential backoff
and jitter, as in the field), runs `hours` simulated hours of residents' traffic and shelter
check-ins on each terminal (a simulated clock stamps the records; no real hours pass), then
starts the receiver and measures the reconnection storm: handshake attempts per second (the
agents' own connection attempts, recorded by a thin subclass that only timestamps `_connect`),
time until every terminal is reconciled, and the central side's gap and chain view.

Guarantees: every wait is bounded (`reconcile_timeout_s`); loopback only; every agent and the
receiver are stopped before returning; the report holds counts and times only. The verdict on
the receipts is the independent checker's (`madoguchi.faults.checker`).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

from madoguchi.faults.checker import check, read_receipts
from madoguchi.faults.workload import KINDS, CentralSide, ReceiptLog, Terminal, resident_body
from sync.agent import Agent
from sync.central import open_store

__all__ = ["run_partition"]

_START = 1_796_000_000  # simulated time at the cut (2026-12-01)


class _TimedAgent(Agent):
    """The real agent; each connection attempt (new socket: TCP, CURVE handshake, HELLO) and
    each session the central side accepted (HELLO answered) is timestamped."""

    attempts: list[float]
    sessions: list[float]
    lock: threading.Lock

    def _connect(self) -> None:
        with self.lock:
            self.attempts.append(time.monotonic())
        super()._connect()

    def _set_state(self, state: str) -> None:
        if state == "connected" and self.status.state != "connected":
            with self.lock:
                self.sessions.append(time.monotonic())
        super()._set_state(state)


class _SimClock:
    def __init__(self) -> None:
        self.now = float(_START)

    def __call__(self) -> tuple[float, bool]:
        return self.now, True


def _residents(hour: int, rng: random.Random) -> list[str]:
    """This hour's submissions at one center running as a shelter."""
    day = 8 <= hour % 24 < 20
    kinds = [rng.choice(KINDS) for _ in range(rng.randint(2, 5) if day else 0)]
    return kinds + ["shelter_checkin"] * rng.randint(1, 3 if day else 1)


def run_partition(
    workdir: Path,
    *,
    terminals: int = 35,
    hours: int = 72,
    seed: int = 23,
    backoff_base_s: float = 0.5,
    backoff_cap_s: float = 60.0,
    hello_timeout_s: float = 5.0,
    reconcile_timeout_s: float = 300.0,
    hold_s: float | None = None,
    central_db: str | None = None,
) -> dict:
    workdir = Path(workdir)
    hold_s = 2 * backoff_cap_s + hello_timeout_s if hold_s is None else hold_s
    rng = random.Random(seed)
    central = CentralSide(workdir, central_db or str(workdir / "central.db"))
    receipts = ReceiptLog(workdir / "receipts.jsonl")
    clock = _SimClock()
    attempts: list[float] = []
    sessions: list[float] = []
    lock = threading.Lock()
    terms = [Terminal.enroll(central, workdir, f"center-{i:02d}") for i in range(terminals)]
    report: dict = {"terminals": terminals, "simulated_hours": hours}
    try:
        for t in terms:
            t.open(clock=clock)
        for t in terms:  # the link is down: every agent retries with backoff and jitter
            agent = _TimedAgent(
                _agent_config(t, backoff_base_s, backoff_cap_s, hello_timeout_s),
                t.outbox,
                t.device_id,
                t.device.curve_public,
                t.device.curve_secret,
                t.device.signing_key,
                rng=random.Random(rng.getrandbits(64)),
            )
            agent.attempts, agent.sessions, agent.lock = attempts, sessions, lock
            t.agent = agent.start()
        started = time.monotonic()
        by_kind: Counter = Counter()
        for hour in range(hours):
            for t in terms:
                for kind in _residents(hour, rng):
                    clock.now += rng.uniform(1, 30)
                    body = resident_body(kind, rng)
                    result = t.outbox.append(kind, body)
                    receipts.write(t.device_id, result.seq, result.record_id, kind, body)
                    by_kind[kind] += 1
            clock.now = _START + (hour + 1) * 3600.0
        report["traffic_real_s"] = round(time.monotonic() - started, 2)
        report["records_by_kind"] = dict(by_kind)
        # Days offline put every agent deep in its backoff: hold the partition (real time, the
        # agents' backoff runs on the monotonic clock) until each made a few attempts.
        hold_until = time.monotonic() + hold_s
        while time.monotonic() < hold_until:
            time.sleep(0.2)
        report["attempts_while_partitioned"] = len(attempts)
        # the link comes back: the storm
        with lock:
            attempts.clear()
            sessions.clear()
        back = time.monotonic()
        central.start()
        heads = {t.device_id: t.outbox.head()[0] for t in terms}
        reconciled_at: dict[str, float] = {}
        deadline = back + reconcile_timeout_s
        while len(reconciled_at) < len(terms) and time.monotonic() < deadline:
            for t in terms:
                if t.device_id not in reconciled_at:
                    if t.outbox.stats().last_acked_seq >= heads[t.device_id]:
                        reconciled_at[t.device_id] = time.monotonic() - back
            time.sleep(0.1)
        with lock:
            times = sorted(a - back for a in attempts)
            accepted = sorted(a - back for a in sessions)
        report.update(_storm(times, accepted, reconciled_at, len(terms)))
    finally:
        for t in terms:
            t.close()
        central.stop()
    report.update(_central_view(central, terms))
    verdict = check(
        read_receipts(workdir / "receipts.jsonl"),
        central.db,
        [t.outbox_path for t in terms],
        central.sealing_keys(),
        final=True,
    )
    report["checker"] = verdict.as_dict()
    report["ok"] = bool(
        verdict.ok
        and report["reconciled"] == len(terms)
        and report["gap_events"] == 0
        and report["quarantined"] == 0
        and report["committed_matches_heads"]
    )
    return report


def _agent_config(t: Terminal, base: float, cap: float, hello: float):
    from madoguchi.faults.workload import fast_agent_config

    return fast_agent_config(
        t.device.central_endpoint,
        t.device.central_curve_public,
        backoff_base_s=base,
        backoff_cap_s=cap,
        hello_timeout_s=hello,
        ack_timeout_s=30.0,
        heartbeat_interval_s=5.0,
        heartbeat_timeout_s=15.0,
        idle_poll_s=0.5,
    )


def _peak(times: list[float]) -> int:
    """The most events in any 1-second window."""
    peak, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 1.0:
            j += 1
        peak = max(peak, i - j + 1)
    return peak


def _storm(times, accepted, reconciled_at: dict[str, float], n: int) -> dict:
    done = sorted(reconciled_at.values())
    return {
        "connection_attempts": len(times),
        "peak_connection_attempts_per_s": _peak(times),
        "sessions_accepted": len(accepted),
        "peak_handshakes_per_s": _peak(accepted),
        "last_session_accepted_s": round(accepted[-1], 2) if accepted else None,
        "reconciled": len(done),
        "first_reconciled_s": round(done[0], 2) if done else None,
        "all_reconciled_s": round(done[-1], 2) if len(done) == n else None,
    }


def _central_view(central: CentralSide, terms: list[Terminal]) -> dict:
    store = open_store(central.db)
    try:
        heads = {}
        for t in terms:
            from sync.outbox import Outbox, OutboxConfig

            with Outbox(OutboxConfig(t.outbox_path), t.device_id, None, "") as ob:
                heads[t.device_id] = ob.head()[0]
        committed = {d: store.device_state(d).committed_seq for d in heads}
        return {
            "records_stored": store.count("records"),
            "gap_events": len(store.events()),
            "quarantined": store.count("quarantine"),
            "committed_matches_heads": committed == heads,
        }
    finally:
        store.close()
