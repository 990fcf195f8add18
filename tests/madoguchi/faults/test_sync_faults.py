"""Faults on the real wire, on SQLite and PostgreSQL: the central process killed mid-drain, the
agent process killed mid-drain, the connection cut after the central COMMIT but before the ACK
reaches the agent. Every time, every record ends up stored exactly once and the outbox acked.
Processes are the real `madoguchi central serve` / `madoguchi sync-agent run` with keys written by
`provisioning` (the files a terminal and the central side really use)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import tests.support.sync as sync_support
from madoguchi.bench import bulk_fill
from madoguchi.rig import free_port
from provisioning import Registry, enroll_device, init_central, load_central_keys
from sync.agent import read_status
from sync.central import open_store
from sync.central.receiver import Receiver, ReceiverConfig
from sync.outbox import Outbox, OutboxConfig
from tests.support.sync import DropAckProxy, agent_for, wait_until

central_db = sync_support.central_db  # fixture

TOTAL = 3000


class _Setup:
    def __init__(self, tmp: Path, db: str) -> None:
        self.tmp, self.db = tmp, db
        self.port = free_port(host="127.0.0.1")
        self.keys_dir = tmp / "central-keys"
        init_central(self.keys_dir)
        self.bundle_dir = tmp / "device"
        self.device = enroll_device(
            self.keys_dir,
            self.bundle_dir,
            device_id="kiosk-001",
            center="test",
            endpoint=f"tcp://127.0.0.1:{self.port}",
        )
        self.keys = load_central_keys(self.keys_dir)
        self.outbox_path = tmp / "outbox.sqlite3"
        self.outbox = Outbox(
            OutboxConfig(self.outbox_path, reserve_bytes=0),
            self.device.device_id,
            self.device.sealing_public,
            self.device.sealing_key_id,
        ).open()
        self.status_path = tmp / "agent.json"
        self.procs: list[subprocess.Popen] = []

    def spawn(self, *args: str) -> subprocess.Popen:
        log = open(self.tmp / f"proc-{len(self.procs)}.log", "wb")  # noqa: SIM115 - kept by Popen
        proc = subprocess.Popen(
            [sys.executable, "-m", "madoguchi.cli", *args, "--verbose"],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def central_process(self) -> subprocess.Popen:
        proc = self.spawn(
            "central",
            "serve",
            "--keys",
            str(self.keys_dir),
            "--db",
            self.db,
            "--bind",
            f"tcp://127.0.0.1:{self.port}",
            "--no-processing",
        )
        return proc

    def agent_process(self) -> subprocess.Popen:
        return self.spawn(
            "sync-agent",
            "run",
            "--bundle",
            str(self.bundle_dir),
            "--outbox",
            str(self.outbox_path),
            "--bundles-dir",
            str(self.tmp / "bundles"),
            "--status",
            str(self.status_path),
            "--request-socket",
            "",
            "--batch-records",
            "20",
            "--backoff-cap",
            "0.5",
        )

    def receiver(self, endpoint: str | None = None) -> Receiver:
        return Receiver(
            ReceiverConfig(bind=endpoint or f"tcp://127.0.0.1:{self.port}"),
            lambda: open_store(self.db),
            Registry(self.keys.registry_path),
            self.keys.curve_public,
            self.keys.curve_secret,
        ).start()

    def agent(self, endpoint: str | None = None, **kw):
        kit = sync_support.DeviceKit(
            self.device.device_id,
            self.device.curve_public,
            self.device.curve_secret,
            self.device.signing_key,
            self.outbox,
        )
        central = sync_support.CentralKit(self.keys.curve_public, self.keys.curve_secret, None)
        return agent_for(kit, central, endpoint or f"tcp://127.0.0.1:{self.port}", **kw)

    def committed(self) -> int:
        return sync_support.committed(self.db, self.device.device_id)

    def check_exactly_once(self) -> None:
        assert self.outbox.stats().last_acked_seq == TOTAL
        store = open_store(self.db)
        try:
            assert store.count("records", self.device.device_id) == TOTAL
            assert store.device_state(self.device.device_id).committed_seq == TOTAL
            assert store.count("quarantine") == 0
            assert store.events() == []
        finally:
            store.close()

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        self.outbox.close()


@pytest.fixture
def setup(tmp_path, central_db):
    s = _Setup(tmp_path, central_db)
    bulk_fill(s.outbox, TOTAL)
    yield s
    s.close()


def test_central_killed_mid_drain(setup):
    central = setup.central_process()
    agent = setup.agent(batch_max_records=20, window=1).start()
    try:
        assert wait_until(lambda: setup.committed() > 0, 30), "nothing committed"
        central.send_signal(signal.SIGKILL)
        central.wait(10)
        stopped_at = setup.committed()
        assert stopped_at < TOTAL, "drained before the kill: make TOTAL larger"
        setup.central_process()
        assert wait_until(lambda: setup.outbox.stats().last_acked_seq == TOTAL, 60)
    finally:
        agent.stop()
    setup.check_exactly_once()


def test_agent_killed_mid_drain(setup):
    receiver = setup.receiver()
    try:
        agent = setup.agent_process()
        assert wait_until(lambda: setup.committed() > 0, 30), "nothing committed"
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait(10)
        assert setup.committed() < TOTAL, "drained before the kill: make TOTAL larger"
        status = read_status(setup.status_path)
        assert status is not None and status.device_id == "kiosk-001"
        # a new agent process resumes from the central's committed seq
        agent = setup.agent_process()
        assert wait_until(lambda: setup.outbox.stats().last_acked_seq == TOTAL, 60)
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(15) == 0
        assert wait_until(lambda: read_status(setup.status_path).state == "stopped", 5)
        assert read_status(setup.status_path).backlog == 0
    finally:
        receiver.stop()
    setup.check_exactly_once()


def test_ack_lost_after_commit_is_not_duplicated(setup):
    receiver = setup.receiver("tcp://127.0.0.1:0")
    proxy = DropAckProxy(int(receiver.endpoint.rsplit(":", 1)[1]), min_upload=40_000)
    proxy.armed.set()
    agent = setup.agent(f"tcp://127.0.0.1:{proxy.port}", batch_max_records=100, window=1).start()
    try:
        assert proxy.dropped.wait(30), "the proxy never cut an ACK"
        assert wait_until(lambda: setup.outbox.stats().last_acked_seq == TOTAL, 60)
        assert agent.status.reconnects >= 1
    finally:
        agent.stop()
        receiver.stop()
        proxy.close()
    assert receiver.stats["records_stored"] == TOTAL
    setup.check_exactly_once()


@pytest.mark.parametrize("central_db", ["postgres"], indirect=True)
def test_database_connections_killed_mid_drain(setup):
    """PostgreSQL drops every connection (failover, restart): the receiver answers
    store_unavailable, reopens its connections, and the drain completes exactly once."""
    import psycopg

    receiver = setup.receiver()
    agent = setup.agent(batch_max_records=20, window=1).start()
    try:
        assert wait_until(lambda: setup.committed() > 0, 30), "nothing committed"
        with psycopg.connect(setup.db, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database()"
            ).fetchone()[0]
        assert killed >= 1
        assert wait_until(lambda: setup.outbox.stats().last_acked_seq == TOTAL, 60)
    finally:
        agent.stop()
        receiver.stop()
    setup.check_exactly_once()
