"""Staff diagnostics through `KioskSession` over the in-memory ports: reached only from staff
mode, every part probed (device, software, reader, printers, outbox, sync, clock), a failing
probe shown as its error class, counts only (never record content), staff idle timeout."""

from __future__ import annotations

import pytest

from kiosk.session import (
    AgentInfo,
    ClockInfo,
    Diagnostics,
    HeldWorker,
    KioskSession,
    OutboxInfo,
    PrinterRoleInfo,
    ProbeFailed,
    ReaderInfo,
    SessionConfig,
    SessionPorts,
    SiteInfo,
    Step,
    SyncStatus,
    hash_staff_pin,
)
from kiosk.session.memory import MemoryOutbox
from madoguchi import __version__
from tests.support.session_fixtures import submit_application, to_pin_entry

PIN = "975310"
STAFF_HASH = hash_staff_pin(PIN, salt=b"d" * 16, iterations=1000)


@pytest.fixture
def session(catalog, kit, clock):
    kit.diagnostics.wall_clock = clock
    config = SessionConfig(device_id="C09", staff_pin_hash=STAFF_HASH)
    return KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)


def _staff(session):
    assert session.open_staff()
    assert session.submit_staff_pin(PIN)
    assert session.step is Step.STAFF_MENU


def test_diagnostics_only_from_staff_mode(session):
    assert not session.staff_diagnostics()  # at home
    session.open_life_events()
    assert not session.staff_diagnostics()
    assert not session.staff_refresh_diagnostics()
    assert session.step is Step.LIFE_EVENTS and session.diagnostics is None
    session.home()
    session.open_staff()
    assert not session.staff_diagnostics()  # PIN not entered yet
    assert session.submit_staff_pin(PIN)
    assert session.staff_diagnostics()
    assert session.step is Step.STAFF_DIAGNOSTICS


def test_snapshot_reports_every_part(session, kit, clock, catalog):
    kit.status.status = SyncStatus(online=True, outbox_depth=2, last_sync=clock.now - 90)
    kit.outbox.append("metric", {"service": "queue"})
    kit.outbox.append("metric", {"service": "queue"})
    session.card_inserted()
    _staff(session)
    assert session.staff_diagnostics()
    d = session.diagnostics
    assert isinstance(d, Diagnostics)
    assert d.device_id == "C09" and d.site == SiteInfo("東部地域センター", "豊橋市")
    assert d.software_version == __version__ and d.catalog_version == catalog.version
    assert d.reader == ReaderInfo(True, "Virtual PCD 00 00") and d.card_present
    assert [p.role for p in d.printers] == ["receipt", "document"]
    assert all(p.ok for p in d.printers) and d.pending_reprints == 0
    assert d.outbox.pending == 2 and d.outbox.last_seq == 2 and d.outbox.last_acked_seq == 0
    assert d.outbox.free_bytes > d.outbox.reserve_bytes
    assert d.sync.online and d.agent.state == "connected"
    assert d.last_sync == kit.diagnostics.agent_info.last_success_at
    assert d.clock == ClockInfo(clock.now, True) and d.taken_at == clock.now
    assert d.problems == frozenset()


def test_refresh_takes_a_new_snapshot(session, kit, clock):
    _staff(session)
    session.staff_diagnostics()
    first = session.diagnostics
    kit.printer.fail_with = ("media-empty",)
    kit.printer.pending.append(object())
    kit.diagnostics.printer_roles = (
        PrinterRoleInfo("receipt", "receipt80", "stopped", False, ("media-empty",)),
        PrinterRoleInfo("document", "a4", "idle", True),
    )
    clock.advance(5)
    assert session.staff_refresh_diagnostics()
    d = session.diagnostics
    assert d is not first and d.taken_at == first.taken_at + 5
    assert d.printers[0].reasons == ("media-empty",) and not d.printers[0].ok
    assert d.pending_reprints == 1
    assert d.problems == {"printer", "reprints"}


@pytest.mark.parametrize(
    "probe,cause,field,problem",
    [
        ("site", "ProvisioningError", "site", "site"),
        ("card_reader", "NoReaderError", "reader", "reader"),
        ("printers", "CupsUnavailableError", "printers", "printer"),
        ("outbox", "OutboxCorruptError", "outbox", "outbox"),
        ("agent", "AgentConfigError", "agent", "sync"),
        ("clock", "OSError", "clock", "clock"),
    ],
)
def test_a_failing_probe_shows_its_error_class(session, kit, probe, cause, field, problem):
    kit.diagnostics.fail[probe] = cause
    _staff(session)
    assert session.staff_diagnostics()
    d = session.diagnostics
    assert getattr(d, field) == ProbeFailed(cause)
    assert problem in d.problems
    assert d.device_id == "C09" and d.reader is not None  # the other probes still answered
    assert session.step is Step.STAFF_DIAGNOSTICS


class _Broken:
    """A port whose probes raise what no adapter should let out: still no crash."""

    def __getattr__(self, name):
        def probe():
            raise RuntimeError("bug")

        return probe


def test_a_probe_raising_anything_is_contained(catalog, kit, clock):
    ports = kit.ports()
    ports.diagnostics = _Broken()
    session = KioskSession(
        catalog, ports, SessionConfig(staff_pin_hash=STAFF_HASH), clock=clock, wall_clock=clock
    )
    _staff(session)
    assert session.staff_diagnostics()
    d = session.diagnostics
    assert d.reader == d.printers == d.outbox == d.clock == ProbeFailed("RuntimeError")
    assert d.sync.online  # the other ports still answered


def test_without_a_diagnostics_port_the_parts_are_unknown(catalog, clock):
    ports = SessionPorts(card=object(), outbox=MemoryOutbox())
    session = KioskSession(
        catalog, ports, SessionConfig(staff_pin_hash=STAFF_HASH), clock=clock, wall_clock=clock
    )
    _staff(session)
    assert session.staff_diagnostics()
    d = session.diagnostics
    assert d.reader == d.printers == d.outbox == d.site == d.agent == ProbeFailed()
    assert d.pending_reprints == ProbeFailed("PortPrintError")
    assert d.clock == ClockInfo(clock.now, None)  # the time, but not whether it is right
    assert {"reader", "printer", "outbox", "sync", "clock"} <= d.problems


def test_disk_low_and_clock_untrusted_and_agent_offline_are_problems(session, kit, clock):
    kit.diagnostics.outbox_info = OutboxInfo(0, 0, 0, 100 * 1024**2, 64 * 1024**2)
    kit.diagnostics.outbox_source = None
    kit.diagnostics.clock_info = ClockInfo(clock.now, False)
    kit.diagnostics.agent_info = AgentInfo("backoff", False, None, "RequestTimeoutError", 4)
    kit.status.status = SyncStatus(online=False)
    _staff(session)
    session.staff_diagnostics()
    d = session.diagnostics
    assert d.outbox.disk_low and d.last_sync is None
    assert d.problems == {"disk", "clock", "sync"}


def test_back_returns_to_the_menu_and_leaving_staff_mode_drops_the_snapshot(session, clock):
    _staff(session)
    session.staff_diagnostics()
    assert session.back()
    assert session.step is Step.STAFF_MENU
    session.staff_diagnostics()
    session.staff_exit()
    assert session.step is Step.HOME and session.diagnostics is None


def test_staff_idle_timeout_applies_on_the_diagnostics_screen(session, clock):
    _staff(session)
    session.staff_diagnostics()
    clock.advance(100)
    session.touch()  # staff reading the screen
    clock.advance(100)
    session.tick()
    assert session.step is Step.STAFF_DIAGNOSTICS
    clock.advance(session.config.staff_idle_timeout_s)
    session.tick()
    assert session.step is Step.HOME and session.diagnostics is None


def test_a_probe_in_flight_when_staff_mode_ends_is_dropped(catalog, kit, clock):
    worker = HeldWorker()
    session = KioskSession(
        catalog,
        kit.ports(),
        SessionConfig(staff_pin_hash=STAFF_HASH),
        clock=clock,
        wall_clock=clock,
        worker=worker,
    )
    session.open_staff()
    session.submit_staff_pin(PIN)
    worker.pending.clear()  # the status refresh
    assert session.staff_diagnostics()
    assert session.diagnostics_refreshing
    assert not session.staff_refresh_diagnostics()  # one probe at a time
    session.staff_exit()
    assert not session.diagnostics_refreshing
    for job, done in worker.pending:
        done(job(), None)
    assert session.diagnostics is None and session.step is Step.HOME


def test_diagnostics_hold_counts_never_record_content(session, kit):
    """After a resident's submission, the snapshot holds no value from the form or the card."""
    to_pin_entry(session)
    reference = submit_application(session)
    _staff(session)
    session.staff_diagnostics()
    text = repr(session.diagnostics)
    card = kit.card.data
    for value in (card.name, card.address, card.birth_date, reference, "seal_registration"):
        assert value not in text
    assert session.diagnostics.outbox.pending == len(kit.outbox.records)
