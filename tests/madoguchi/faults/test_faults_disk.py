"""A full or worn-out SD card (issue 23), on real small file systems the test mounts (tmpfs, root
only; skipped where mounting is not allowed): the terminal's disk fills up while the agent is
sending and acking, turns read-only, and the central store's disk fills up during the ack path
and during processing. Each time: submissions are refused cleanly (no receipt, nothing half
written), the agent keeps running, nothing receipted is lost, and everything recovers by itself
when space (or write access) returns; the checker finds every receipt stored exactly once."""

from __future__ import annotations

import errno
import random
import subprocess

import pytest

from madoguchi.faults.checker import check, read_receipts
from madoguchi.faults.workload import KINDS, CentralSide, ReceiptLog, Terminal, wait_for
from sync.central import open_store
from sync.central.processing import Processor
from sync.errors import OutboxError

PER_PHASE = 16


def _mount(path, size: str) -> None:
    path.mkdir(parents=True)
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
            check=True,
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot mount a tmpfs here: {e}")


def _remount(path, mode: str) -> None:
    subprocess.run(
        ["mount", "-o", f"remount,{mode}", str(path)], check=True, capture_output=True, timeout=20
    )


@pytest.fixture
def small_fs(tmp_path):
    """(mount point) a 4 MiB tmpfs; always unmounted afterwards."""
    mnt = tmp_path / "sd"
    _mount(mnt, "4m")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False, capture_output=True, timeout=20)


def _fill(directory, name="ballast") -> int:
    """Write a file until the file system is full (logs, a print spool); returns its size."""
    size = 0
    with open(directory / name, "wb", buffering=0) as f:
        for chunk in [65536] * 10_000 + [4096] * 64:  # bounded: 640 MiB at most
            try:
                size += f.write(b"\0" * chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC
                if chunk == 4096:
                    break
    return size


class _Residents:
    """Submits and counts: a refusal is what the resident is told (no receipt)."""

    def __init__(self, terminal: Terminal, receipts: ReceiptLog) -> None:
        self.t, self.receipts, self.rng = terminal, receipts, random.Random(3)
        self.accepted = self.refused = 0

    def come(self, n: int) -> None:
        for i in range(n):
            try:
                self.t.submit(self.receipts, self.rng, KINDS[i % len(KINDS)])
                self.accepted += 1
            except OutboxError:
                self.refused += 1


def _final_check(tmp_path, central, terminal):
    verdict = check(
        read_receipts(tmp_path / "receipts.jsonl"),
        central.db,
        [terminal.outbox_path],
        central.sealing_keys(),
        final=True,
    )
    assert verdict.ok, verdict.as_dict()
    return verdict


def test_terminal_disk_full_during_sync_then_space_returns(tmp_path, small_fs):
    central = CentralSide(tmp_path, str(tmp_path / "central.db"))
    receipts = ReceiptLog(tmp_path / "receipts.jsonl")
    t = Terminal.enroll(central, small_fs, "kiosk-full")
    residents = _Residents(t, receipts)
    try:
        t.open()
        agent = t.start_agent(batch_max_records=4)
        residents.come(PER_PHASE)  # the central side is unreachable: all pending
        assert residents.accepted == PER_PHASE
        _fill(small_fs)
        residents.come(PER_PHASE)  # the card is full: refused, resident told, no receipt
        assert residents.refused == PER_PHASE
        central.start()  # the link comes back while the disk is full: acks cannot be written
        assert wait_for(lambda: central.committed("kiosk-full") == PER_PHASE, 60)
        assert agent.error is None and agent._thread.is_alive()
        # the central side stored them, but the ack cannot be written on the full card yet
        assert t.outbox.stats().last_acked_seq < PER_PHASE
        (small_fs / "ballast").unlink()  # space returns (logs rotated)
        assert wait_for(lambda: t.outbox.stats().last_acked_seq == PER_PHASE, 60)
        residents.come(PER_PHASE)
        assert residents.accepted == 2 * PER_PHASE
        assert wait_for(lambda: t.outbox.stats().last_acked_seq == 2 * PER_PHASE, 60)
        assert agent.error is None
    finally:
        t.close()
        central.stop()
    verdict = _final_check(tmp_path, central, t)
    assert verdict.stored == 2 * PER_PHASE == receipts.count


def test_terminal_disk_turns_read_only_then_writable(tmp_path, small_fs):
    """A worn SD card comes up read-only after a reboot: the outbox refuses to open with a clear
    OutboxError (the kiosk tells residents; nothing is written, nothing damaged); once the card
    is writable again (replaced, fsck'd) the terminal starts and delivers everything."""
    central = CentralSide(tmp_path, str(tmp_path / "central.db"))
    receipts = ReceiptLog(tmp_path / "receipts.jsonl")
    t = Terminal.enroll(central, small_fs, "kiosk-ro")
    residents = _Residents(t, receipts)
    try:
        t.open()
        residents.come(PER_PHASE)
        t.close()  # power off
        _remount(small_fs, "ro")
        with pytest.raises(OutboxError):
            t.open()
        central.start()
        _remount(small_fs, "rw")
        t.open()
        t.start_agent(batch_max_records=4)
        residents.come(PER_PHASE)
        assert wait_for(lambda: t.outbox.stats().last_acked_seq == 2 * PER_PHASE, 60)
        assert t.agent.error is None
    finally:
        t.close()
        central.stop()
    verdict = _final_check(tmp_path, central, t)
    assert verdict.stored == 2 * PER_PHASE == receipts.count


def test_central_disk_full_during_ack_path_and_processing(tmp_path, small_fs):
    db = str(small_fs / "central.db")
    central = CentralSide(tmp_path, db)
    receipts = ReceiptLog(tmp_path / "receipts.jsonl")
    t = Terminal.enroll(central, tmp_path, "kiosk-c")
    residents = _Residents(t, receipts)
    processor = Processor(lambda: open_store(db), central.sealing_keys())
    try:
        t.open()
        central.start()
        agent = t.start_agent(batch_max_records=4)
        residents.come(PER_PHASE)
        assert wait_for(lambda: t.outbox.stats().last_acked_seq == PER_PHASE, 60)
        _fill(small_fs)
        residents.come(PER_PHASE)  # the terminal's disk is fine: accepted, but cannot be stored
        assert residents.accepted == 2 * PER_PHASE
        with pytest.raises(Exception) as e:  # noqa: PT011 - only "it did not process" matters
            processor.drain()
        assert "full" in str(e.value).lower() or "disk" in str(e.value).lower(), e.value
        assert t.outbox.stats().last_acked_seq == PER_PHASE  # nothing acked that is not stored
        assert agent.error is None
        (small_fs / "ballast").unlink()
        assert wait_for(lambda: t.outbox.stats().last_acked_seq == 2 * PER_PHASE, 60)
        assert processor.drain() >= 0
        assert open_store(db).count("records") == 2 * PER_PHASE
    finally:
        processor.store.close()
        t.close()
        central.stop()
    _final_check(tmp_path, central, t)
