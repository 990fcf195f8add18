"""The forwarder against a real local HTTP back-office that fails sometimes (500/503/429,
read timeouts after storing, dropped connections before and after storing): every application
arrives, duplicates carry the same Idempotency-Key and byte-identical bodies, order holds,
permanent 4xx are parked, and nothing is marked forwarded without a 2xx."""

import json
import random
import time

import pytest

from sync.central.forwarder import Forwarder, ForwarderConfig, ForwarderError
from tests.support.backoffice import BackOffice, seed_applications


def _config(url, **kw):
    base = dict(
        url=url,
        connect_timeout_s=2.0,
        read_timeout_s=0.3,
        max_attempts=4,
        backoff_base_s=0.005,
        backoff_cap_s=0.02,
        batch_limit=7,
    )
    base.update(kw)
    return ForwarderConfig(**base)


class _Source:
    def __init__(self, n):
        self.items = [
            (
                f"00000000-0000-4000-8000-{i:012d}",
                "application",
                {"form": "転入届", "n": i, "blob": b"\x00\x01"},
            )
            for i in range(n)
        ]
        self.forwarded: list[str] = []
        self.rejected: list[tuple[str, int]] = []

    def pending(self, limit):
        done = set(self.forwarded) | {r for r, _ in self.rejected}
        return [item for item in self.items if item[0] not in done][:limit]

    def mark_forwarded(self, record_id):
        self.forwarded.append(record_id)

    def mark_rejected(self, record_id, status):
        self.rejected.append((record_id, status))


def test_every_application_arrives_despite_failures():
    rng = random.Random(6)
    modes = ["ok"] * 6 + ["500", "503", "429", "slow", "drop", "drop-before"]
    script = [rng.choice(modes) for _ in range(140)]
    source = _Source(60)
    with BackOffice(script) as office:
        forwarder = Forwarder(
            _config(office.url), source.pending, source.mark_forwarded, rng=random.Random(1)
        )
        forwarder.drain(max_passes=200)
        forwarder.stop()
        requests = list(office.requests)
        stored = dict(office.stored)
    ids = [item[0] for item in source.items]
    assert source.forwarded == ids, "every application forwarded once, in order"
    assert set(stored) == set(ids), "every application arrived at the back-office"
    for key, bodies in stored.items():
        assert all(b == bodies[0] for b in bodies), "a resend is byte-identical"
        assert bodies[0]["record_id"] == key
    for _mode, key, body in requests:
        assert key == body["record_id"], "each request's key is its record id"
    assert len(requests) > len(ids), "the script did make the forwarder retry"
    assert any(len(b) > 1 for b in stored.values()), "a duplicate happened (timeout after store)"
    assert stored[ids[0]][0]["body"]["blob"] == {"$base64": "AAE="}


def test_back_office_down_stops_the_pass_without_marking():
    source = _Source(3)
    with BackOffice(["500"] * 100) as office:
        forwarder = Forwarder(
            _config(office.url, max_attempts=3), source.pending, source.mark_forwarded
        )
        report = forwarder.forward_once()
        forwarder.stop()
    assert report.forwarded == 0 and report.stopped_on == source.items[0][0]
    assert report.attempts == 3
    assert source.forwarded == []


def test_nothing_listening_is_retried_not_raised():
    source = _Source(1)
    with BackOffice() as office:
        url = office.url
    forwarder = Forwarder(_config(url, max_attempts=2), source.pending, source.mark_forwarded)
    report = forwarder.forward_once()
    assert report.stopped_on == source.items[0][0] and source.forwarded == []


def test_permanent_rejection_is_parked_and_the_queue_moves_on():
    source = _Source(3)
    with BackOffice(["ok", "400"]) as office:
        forwarder = Forwarder(
            _config(office.url),
            source.pending,
            source.mark_forwarded,
            mark_rejected=source.mark_rejected,
        )
        forwarder.drain(max_passes=10)
        forwarder.stop()
    assert source.rejected == [(source.items[1][0], 400)]
    assert source.forwarded == [source.items[0][0], source.items[2][0]]


def test_background_thread_drains_and_stops_promptly():
    source = _Source(20)
    with BackOffice(["500", "drop"] * 3) as office:
        forwarder = Forwarder(
            _config(office.url, idle_interval_s=0.05), source.pending, source.mark_forwarded
        ).start()
        deadline = time.monotonic() + 30
        while len(source.forwarded) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        forwarder.stop(timeout=10)
    assert len(source.forwarded) == 20


@pytest.mark.parametrize(
    "kw",
    [{"url": "ftp://x"}, {"url": "http://x", "max_attempts": 0}, {"url": "x", "batch_limit": 1}],
)
def test_bad_config(kw):
    with pytest.raises(ForwarderError):
        ForwarderConfig(**kw)


class _Crash(BaseException):
    """Stands for the process dying right after the back-office answered 2xx."""


def test_restart_resumes_from_the_ledger(tmp_path):
    from sync.central.forwarder import StoreApplications

    store = seed_applications(tmp_path / "central.db", 30)
    with BackOffice(["500", "drop-before"]) as office:
        source = StoreApplications(store)
        calls = []

        def mark_then_die(record_id):
            calls.append(record_id)
            if len(calls) == 10:
                raise _Crash  # 2xx received, mark not written
            source.mark_forwarded(record_id)

        forwarder = Forwarder(_config(office.url), source.pending, mark_then_die)
        with pytest.raises(_Crash):
            forwarder.drain()
        forwarder.stop()
        source.close()

        source = StoreApplications(store)  # the restart
        assert source.forwarded_count() == 9
        forwarder = Forwarder(_config(office.url), source.pending, source.mark_forwarded)
        forwarder.drain()
        forwarder.stop()
        assert source.pending(100) == []
        assert source.forwarded_count() == 30
        source.close()
        stored = dict(office.stored)
    assert len(stored) == 30
    duplicated = [k for k, bodies in stored.items() if len(bodies) > 1]
    assert duplicated == [calls[9]], "only the record whose mark was lost is sent twice"
    assert stored[calls[9]][0] == stored[calls[9]][1]


def _insert(path, ids):
    import sqlite3

    db = sqlite3.connect(str(path))
    with db:
        db.executemany(
            "INSERT INTO applications(id, device_id, seq, record_id, created_at, opened_at, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (i, "d", i, f"00000000-0000-4000-8000-{i:012d}", 0, 0.0, json.dumps({"n": i}))
                for i in ids
            ],
        )
    db.close()


@pytest.mark.parametrize(("settle_s", "late_row_forwarded"), [(30.0, True), (0.0, False)])
def test_a_row_committed_late_with_a_lower_id_is_not_skipped(
    tmp_path, settle_s, late_row_forwarded
):
    """PostgreSQL with several processing stages can commit id 4 after id 5. The cursor waits
    `settle_s` before passing a row, so the late row is still found (settle_s=0 shows the skip)."""
    from sync.central.forwarder import StoreApplications
    from sync.central.stores import open_store

    path = tmp_path / "central.db"
    store = open_store(str(path))
    _insert(path, [1, 2, 3, 5])
    now = [1000.0]
    with BackOffice() as office:
        source = StoreApplications(store, settle_s=settle_s, clock=lambda: now[0])
        forwarder = Forwarder(_config(office.url), source.pending, source.mark_forwarded)
        assert forwarder.drain() == 4
        now[0] += 10
        _insert(path, [4])  # the late commit
        forwarder.drain()
        now[0] += 60
        forwarder.drain()
        forwarder.stop()
        assert source.cursor == 5, "the cursor catches up once rows have settled"
        keys = set(office.stored)
        source.close()
    store.close()
    assert ("00000000-0000-4000-8000-000000000004" in keys) is late_row_forwarded
    assert all(len(v) == 1 for v in office.stored.values()), "nothing sent twice"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11])
def test_soak_many_applications_many_faults(seed):
    rng = random.Random(seed)
    modes = ["ok"] * 5 + ["500", "503", "429", "slow", "drop", "drop-before"]
    source = _Source(600)
    with BackOffice([rng.choice(modes) for _ in range(1500)], slow_s=0.35) as office:
        forwarder = Forwarder(
            _config(office.url, max_attempts=3, batch_limit=50),
            source.pending,
            source.mark_forwarded,
            rng=random.Random(seed),
        )
        forwarder.drain(max_passes=10_000)
        forwarder.stop()
        stored = dict(office.stored)
    ids = [item[0] for item in source.items]
    assert source.forwarded == ids
    assert set(stored) == set(ids)
    assert all(all(b == bodies[0] for b in bodies) for bodies in stored.values())
