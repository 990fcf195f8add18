"""`kiosk.services.DiagnosticsAdapter` over the real parts: the test pcscd's reader list, the
test cupsd's queue states, a real outbox and file system, the agent's status file. Library
errors come out as `PortProbeError(<class name>)`, and the session shows them as `ProbeFailed`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devices.card import CardReader
from devices.printer import Printer, PrinterConfig
from kiosk.catalog import default_catalog
from kiosk.services import DiagnosticsAdapter, KioskServices, OutboxAdapter
from kiosk.session import (
    AgentInfo,
    ClockInfo,
    KioskSession,
    PortProbeError,
    ProbeFailed,
    ReaderInfo,
    SessionConfig,
    SessionPorts,
    SiteInfo,
    Step,
    hash_staff_pin,
)
from madoguchi import __version__
from sync.agent import AgentStatus, write_status
from sync.outbox import Outbox, OutboxConfig
from sync.sealing import open_record

CENTRAL = X25519PrivateKey.generate()
NOW = 1_796_000_000.0


@pytest.fixture
def outbox(tmp_path):
    ob = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=64 * 1024**2),
        "C05",
        CENTRAL.public_key(),
        "s1",
    ).open()
    yield ob
    ob.close()


def _printer(cups_server, queues):
    return Printer(PrinterConfig(server=str(cups_server.socket_path), queues=queues))


def test_reader_present_by_name_and_missing(pcsc):
    reader = pcsc.reader_name(0)
    assert DiagnosticsAdapter(card_reader=CardReader(reader)).card_reader() == ReaderInfo(
        True, reader
    )
    assert DiagnosticsAdapter(card_reader=CardReader("No Such Reader 00")).card_reader() == (
        ReaderInfo(False, "No Such Reader 00")
    )
    first = DiagnosticsAdapter(card_reader=CardReader(None)).card_reader()
    assert first.present and first.name  # the first reader pcscd lists


SCRIPT = r"""
import json
from kiosk.services import DiagnosticsAdapter
from kiosk.session import PortProbeError
try:
    DiagnosticsAdapter().card_reader()
    print(json.dumps("no error"))
except PortProbeError as e:
    print(json.dumps([e.what, e.cause]))
"""


def test_pcscd_down_is_a_probe_error(tmp_path):
    # libpcsclite reads its socket path once per process: ask from a fresh one.
    env = dict(os.environ, PCSCLITE_CSOCK_NAME=str(tmp_path / "no-pcscd.comm"))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["card_reader", "NoReaderError"]


def test_printer_roles_from_cups(cups_server, capture_queue):
    queue, _listener = capture_queue
    printer = _printer(cups_server, {"document": queue, "receipt": queue})
    adapter = DiagnosticsAdapter(printer=printer)
    receipt, document = adapter.printers()
    assert (receipt.role, document.role) == ("receipt", "document")  # receipt first
    assert receipt.ok and receipt.queue == queue and receipt.state in ("idle", "processing")
    subprocess.run(["cupsdisable", "-h", cups_server.server, queue], check=True, timeout=30)
    try:
        receipt, _ = adapter.printers()
        assert receipt.state == "stopped" and "paused" in receipt.reasons and not receipt.ok
    finally:
        subprocess.run(["cupsenable", "-h", cups_server.server, queue], check=True, timeout=30)


def test_a_missing_queue_is_shown_for_its_role_only(cups_server, capture_queue):
    queue, _listener = capture_queue
    adapter = DiagnosticsAdapter(
        printer=_printer(cups_server, {"receipt": queue, "document": "no_such_queue"})
    )
    receipt, document = adapter.printers()
    assert receipt.ok
    assert document.state == "unknown" and not document.ok
    assert document.reasons == ("QueueMissingError",)


def test_cupsd_unreachable_is_a_probe_error(tmp_path):
    printer = Printer(PrinterConfig(server=str(tmp_path / "no-cupsd.sock")))
    with pytest.raises(PortProbeError) as e:
        DiagnosticsAdapter(printer=printer).printers()
    assert e.value.cause == "CupsUnavailableError"
    with pytest.raises(PortProbeError) as e:
        DiagnosticsAdapter().printers()
    assert e.value.cause == "not_configured"


def test_outbox_counts_and_free_space(outbox):
    adapter = DiagnosticsAdapter(outbox=outbox)
    OutboxAdapter(outbox).append("metric", {"service": "queue"})
    OutboxAdapter(outbox).append("metric", {"service": "queue"})
    info = adapter.outbox()
    assert (info.pending, info.last_seq, info.last_acked_seq) == (2, 2, 0)
    assert info.reserve_bytes == 64 * 1024**2
    assert info.free_bytes is not None and info.free_bytes > 0
    outbox.close()
    with pytest.raises(PortProbeError) as e:
        adapter.outbox()
    assert e.value.cause == "OutboxError"


def test_agent_status_file(tmp_path):
    path = tmp_path / "agent.json"
    adapter = DiagnosticsAdapter(agent_status_path=path, clock=lambda: (NOW, True))
    assert adapter.agent() is None  # the agent never ran
    assert DiagnosticsAdapter().agent() is None  # not configured
    write_status(
        path,
        AgentStatus(
            state="connected",
            connected=True,
            last_success_at=NOW - 60,
            reconnects=2,
            catalog_version=7,
            updated_at=NOW - 3,
        ),
    )
    assert adapter.agent() == AgentInfo("connected", True, NOW - 60, "", 2, 7, NOW - 3)
    write_status(path, AgentStatus(state="connected", connected=True, updated_at=NOW - 300))
    assert not adapter.agent().online  # stale: the agent stopped writing
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(PortProbeError) as e:
        adapter.agent()
    assert e.value.cause == "AgentConfigError"


def test_clock(tmp_path):
    assert DiagnosticsAdapter(clock=lambda: (NOW, False)).clock() == ClockInfo(NOW, False)
    real = DiagnosticsAdapter().clock()  # the system clock, and whatever NTP says
    assert real.now > NOW - 10 * 365 * 86400 and real.synchronized in (True, False)


def test_the_session_over_the_real_parts(pcsc, cups_server, capture_queue, outbox, tmp_path):
    """`KioskServices.ports()` wires the adapter; one part failing (the agent's file) does not
    hide the others."""
    queue, _listener = capture_queue
    status = tmp_path / "agent.json"
    status.write_text('{"state": "conn', encoding="utf-8")  # cut short: unreadable
    services = KioskServices(
        card_reader=CardReader(pcsc.reader_name(0)),
        outbox=outbox,
        printer=_printer(cups_server, {"receipt": queue, "document": queue}),
        renderer=object(),  # never used: nothing prints here
        agent_status_path=status,
        city_name="豊橋市",
        center_name="東部地域センター",
    )
    ports: SessionPorts = services.ports()
    assert isinstance(ports.diagnostics, DiagnosticsAdapter)
    pin = "135790"
    session = KioskSession(
        default_catalog(),
        ports,
        SessionConfig(device_id="C05", staff_pin_hash=hash_staff_pin(pin, iterations=1000)),
    )
    session.open_staff()
    session.submit_staff_pin(pin)
    assert session.staff_diagnostics()
    assert session.step is Step.STAFF_DIAGNOSTICS
    d = session.diagnostics
    assert d.site == SiteInfo("東部地域センター", "豊橋市")
    assert d.reader == ReaderInfo(True, pcsc.reader_name(0))
    assert [p.role for p in d.printers] == ["receipt", "document"] and d.pending_reprints == 0
    assert d.outbox.last_seq == 0  # staff entry wiped nothing that records a metric
    assert d.agent == ProbeFailed("AgentConfigError") and "sync" in d.problems
    assert d.sync.online is False
    services.close()


def test_health_report_over_the_real_parts(pcsc, cups_server, capture_queue, outbox):
    """The terminal's `device_health` record from the real parts: the reader pcscd lists, a
    queue staff paused in the tests' cupsd (for both printers), the real outbox (sealed: central
    opens it). Words and counts only."""
    queue, _listener = capture_queue
    services = KioskServices(
        card_reader=CardReader(pcsc.reader_name(0)),
        outbox=outbox,
        printer=_printer(cups_server, {"receipt": queue, "document": queue}),
        renderer=object(),  # never used: nothing prints here
        city_name="豊橋市",
        center_name="東部地域センター",
    )
    clock = [NOW]
    session = KioskSession(
        default_catalog(),
        services.ports(),
        SessionConfig(device_id="C05", health_interval_s=600),
        clock=lambda: clock[0],
        wall_clock=lambda: clock[0],
    )
    subprocess.run(["cupsdisable", "-h", cups_server.server, queue], check=True, timeout=30)
    try:
        session.tick()
        clock[0] += 31
        session.tick()
    finally:
        subprocess.run(["cupsenable", "-h", cups_server.server, queue], check=True, timeout=30)
        services.close()
    [record] = outbox.records_from(1, 10, 1 << 20)
    assert record.header.kind == "device_health"
    body = open_record(record, CENTRAL)
    assert body == {
        "printer": "error",  # paused by staff: someone must look
        "paper": "ok",
        "card_reader": "ok",
        "outbox_pending": 0,
        "software_version": __version__,
        "catalog_version": str(default_catalog().version),
    }
