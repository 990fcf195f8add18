"""A full or worn-out SD card (issue 23), on real small file systems the test mounts (tmpfs, root
only; skipped where mounting is not allowed): the terminal's disk fills up while the agent is
sending and acking, turns read-only, and the central store's disk fills up during the ack path
and during processing. Each time: submissions are refused cleanly (no receipt, nothing half
written), the agent keeps running, nothing receipted is lost, and everything recovers by itself
when space (or write access) returns; the checker finds every receipt stored exactly once. And
the resident is told before the card step (not after the PIN and the form) when the terminal's
disk is full or nearly full: the kiosk session over the real outbox and its free-space probe."""

from __future__ import annotations

import errno
import os
import random
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.catalog import default_catalog
from kiosk.services import DiagnosticsAdapter, OutboxAdapter
from kiosk.session import KioskSession, NoticeCode, SessionConfig, SessionPorts, Step
from kiosk.session.memory import (
    ManualClock,
    MemoryCardPort,
    MemoryKit,
    MemoryPrinter,
    sample_card,
)
from madoguchi.faults.checker import check, read_receipts
from madoguchi.faults.workload import KINDS, CentralSide, ReceiptLog, Terminal, wait_for
from sync.central import open_store
from sync.central.processing import Processor
from sync.errors import OutboxError
from sync.outbox import Outbox, OutboxConfig
from tests.support.session_fixtures import submit_application

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


RESERVE = 1024 * 1024  # the outbox's reserve on the 4 MiB card: "nearly full" is under 2 MiB free


def _leave_free(directory, free: int) -> None:
    """Fill the file system, then give back `free` bytes (what logs left)."""
    size = _fill(directory)
    os.truncate(directory / "ballast", max(0, size - free))


def _refused_before_the_card(session, card_port) -> None:
    connects = card_port.connects
    assert session.open_procedures() and session.choose_procedure("seal_registration_cancel")
    assert not session.start_procedure()
    assert session.step is Step.SERVICE_ERROR  # its screen: call staff, back to the start
    assert session.notice.code is NoticeCode.DISK_FULL
    session.card_inserted()  # a card placed anyway is not read
    assert card_port.connects == connects and session.step is Step.SERVICE_ERROR
    session.card_removed()
    session.home()
    assert session.open_certificates()
    assert not session.choose_certificate("resident_record", 1, "work")
    assert session.step is Step.SERVICE_ERROR and session.notice.code is NoticeCode.DISK_FULL
    session.home()


def test_resident_told_before_the_card_step_when_the_disk_is_nearly_full(tmp_path, small_fs):
    """The real outbox on a 4 MiB card and the kiosk's real free-space probe: with room, the
    journey reaches the card; nearly full (the outbox would still accept, but soon not) and full,
    starting a procedure or a certificate stops at once on the service-error screen with the
    DISK_FULL notice, the card never read; what was accepted before is intact; when space
    returns the same session goes to the card step again by itself."""
    outbox = Outbox(
        OutboxConfig(small_fs / "outbox.sqlite3", reserve_bytes=RESERVE),
        "kiosk-low",
        X25519PrivateKey.generate().public_key(),
        "s1",
    ).open()
    clock = ManualClock()
    card_port = MemoryCardPort(sample_card())
    session = KioskSession(
        default_catalog(),
        SessionPorts(
            card=card_port,
            outbox=OutboxAdapter(outbox),
            printer=MemoryPrinter(),
            diagnostics=DiagnosticsAdapter(outbox=outbox),
        ),
        SessionConfig(device_id="kiosk-low"),
        clock=clock,
        wall_clock=clock,
    )
    probe = DiagnosticsAdapter(outbox=outbox)
    try:
        assert session.open_procedures() and session.choose_procedure("seal_registration_cancel")
        assert session.start_procedure() and session.step is Step.PLACE_CARD
        session.card_inserted()
        assert session.step is Step.PIN_ENTRY
        first = submit_application(session)
        session.card_removed()  # the resident takes the card
        accepted = outbox.stats().last_seq
        assert first and accepted >= 1

        _leave_free(small_fs, RESERVE + RESERVE // 2)  # nearly full
        assert probe.outbox().disk_low and probe.outbox().free_bytes > RESERVE
        _refused_before_the_card(session, card_port)

        _leave_free(small_fs, 0)  # full
        assert probe.outbox().free_bytes < RESERVE
        _refused_before_the_card(session, card_port)

        (small_fs / "ballast").unlink()  # space returns (logs rotated): no restart needed
        assert not probe.outbox().disk_low
        assert session.open_procedures() and session.choose_procedure("seal_registration_cancel")
        assert session.start_procedure() and session.step is Step.PLACE_CARD
        session.card_inserted()
        submit_application(session)
        assert outbox.stats().last_seq > accepted  # accepted again
        outbox.verify()  # nothing accepted before was damaged or lost
        assert outbox.stats().pending == outbox.stats().last_seq
    finally:
        outbox.close()


def test_free_space_unknown_does_not_stop_the_journey():
    """When the free-space probe cannot answer, the resident goes on to the card: the outbox's
    own check at submission still refuses safely (OUTBOX_FULL), and a probe that fails must not
    take the kiosk out of service."""
    kit = MemoryKit()
    kit.diagnostics.fail["outbox"] = "OSError"
    clock = ManualClock()
    session = KioskSession(
        default_catalog(),
        kit.ports(),
        SessionConfig(device_id="C01"),
        clock=clock,
        wall_clock=clock,
    )
    assert session.open_procedures() and session.choose_procedure("seal_registration_cancel")
    assert session.start_procedure() and session.step is Step.PLACE_CARD
    assert session.notice is None
    assert "outbox" in kit.diagnostics.calls  # it was asked, and could not tell
