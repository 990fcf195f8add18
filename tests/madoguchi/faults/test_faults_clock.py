"""Clocks a community center's terminal really has (issue 23): no real-time clock, so after a power
cut it starts in 1970 or at the last saved shutdown time until NTP answers, and NTP may then step
it a day back or forward during traffic. Records keep their order (seq, chain) and their clock
confidence (`sync` in the header) end to end, the central side refuses nothing and the checker
finds every receipt stored exactly once; downlink bundles are neither refused nor expired wrongly
by any of these clocks."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from madoguchi.faults.checker import check, read_receipts
from madoguchi.faults.workload import KINDS, CentralSide, ReceiptLog, Terminal, wait_for
from sync.bundles import BundleStore, sign_bundle
from sync.central import open_store
from sync.central.processing import Processor

NOW = 1_796_000_000  # 2026-12-01, when the test's "NTP" says it is
DAY = 86_400
SHUTDOWN = NOW - 3 * DAY  # the time saved at the last clean shutdown

# (device clock seconds, synchronized?) while residents keep submitting
PHASES = [
    ("boot in 1970", 0, False),
    ("last shutdown time", SHUTDOWN, False),
    ("NTP answers", NOW, True),
    ("NTP steps +1 day", NOW + DAY, True),
    ("NTP steps -1 day", NOW - DAY, True),
    ("back to true time", NOW + 60, True),
]


class SteppedClock:
    """The device clock: moves one second per resident, jumps where the test says (the agent
    reads it too, so reading never moves it)."""

    def __init__(self) -> None:
        self.now, self.synced = 0.0, False

    def set(self, now: float, synced: bool) -> None:
        self.now, self.synced = float(now), synced

    def tick(self) -> None:
        self.now += 1

    def __call__(self) -> tuple[float, bool]:
        return self.now, self.synced


def test_records_keep_order_and_clock_confidence_across_clock_steps(tmp_path):
    db = str(tmp_path / "central.db")
    central = CentralSide(tmp_path, db).start()
    receipts = ReceiptLog(tmp_path / "receipts.jsonl")
    clock = SteppedClock()
    rng = random.Random(7)
    t = Terminal.enroll(central, tmp_path, "kiosk-clock")
    expected = []  # (seq, created_at, synced) in submission order
    try:
        t.open(clock=clock)
        t.start_agent(batch_max_records=5)
        for _, start, synced in PHASES:
            clock.set(start, synced)
            for kind in KINDS:
                clock.tick()
                result = t.submit(receipts, rng, kind)
                expected.append((result.seq, int(clock.now), synced))
        assert wait_for(lambda: t.outbox.stats().last_acked_seq == len(expected), 60)
    finally:
        t.close()
        central.stop()

    verdict = check(
        read_receipts(tmp_path / "receipts.jsonl"),
        db,
        [t.outbox_path],
        central.sealing_keys(),
        final=True,
    )
    assert verdict.ok, verdict.as_dict()
    assert verdict.stored == len(expected) == len(PHASES) * len(KINDS)

    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT seq, created_at, header FROM records WHERE device_id = ? ORDER BY seq",
            ("kiosk-clock",),
        ).fetchall()
        events = conn.execute("SELECT kind FROM events").fetchall()
        quarantined = conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    finally:
        conn.close()
    got = [(seq, at, cbor2.loads(header)["sync"]) for seq, at, header in rows]
    # seq order is submission order even where the clock went back; `at` and `sync` as read
    assert got == expected
    assert [seq for seq, _, _ in got] == list(range(1, len(expected) + 1))
    assert any(b[1] < a[1] for a, b in zip(got, got[1:], strict=False)), "the clock never went back"
    assert quarantined == 0 and events == []
    store = open_store(db)
    try:
        state = store.device_state("kiosk-clock")
        assert state.committed_seq == len(expected)
    finally:
        store.close()


def test_dashboard_times_of_an_unsynced_clock_are_not_1970(tmp_path):
    db = str(tmp_path / "central.db")
    central = CentralSide(tmp_path, db).start()
    receipts = ReceiptLog(tmp_path / "receipts.jsonl")
    clock = SteppedClock()
    t = Terminal.enroll(central, tmp_path, "kiosk-1970")
    try:
        t.open(clock=clock)
        t.start_agent()
        clock.set(0, False)
        t.submit(receipts, random.Random(1), "survey")
        assert wait_for(lambda: t.outbox.stats().last_acked_seq == 1, 60)
    finally:
        t.close()
        central.stop()
    processor = Processor(lambda: open_store(db), central.sealing_keys())
    try:
        assert processor.drain() == 1
    finally:
        processor.store.close()
    conn = sqlite3.connect(db)
    try:
        (created_at,) = conn.execute("SELECT created_at FROM surveys").fetchone()
    finally:
        conn.close()
    assert created_at > NOW - 365 * DAY  # a visit of today, not of 1 January 1970


@pytest.mark.parametrize("label, device_now, synced", [(p[0], p[1], p[2]) for p in PHASES])
def test_bundles_are_not_refused_or_expired_by_the_device_clock(
    tmp_path, label, device_now, synced
):
    """A catalog bundle issued now for 7 days, then a newer one: each applies under every device
    clock of the scenario (1970, last shutdown, ±1 day steps); the versions still only grow."""
    key = Ed25519PrivateKey.generate()
    issued = datetime.fromtimestamp(NOW, UTC)
    device_time = datetime.fromtimestamp(device_now, UTC)
    store = BundleStore(tmp_path / "bundles", key.public_key(), clock=lambda: device_time)
    for version in (1, 2):
        data = sign_bundle(
            "catalog",
            version,
            {"procedures": []},
            expires_at=issued + timedelta(days=7),
            signing_key=key,
            issued_at=issued,
        )
        applied = store.apply(data)
        assert applied.version == version, label
    assert store.status()["catalog"]["expired"] is False, label
