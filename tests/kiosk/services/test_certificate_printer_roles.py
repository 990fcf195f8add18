"""Printer state per role with the tests' own cupsd: the receipt roll and the A4 printer are
reported each; with the A4 printer stopped, a certificate is refused before the card step (no
card touched, no PIN asked) with the counter to go to instead, and the screen marks it; paying at
the counter needs the receipt roll only."""

from __future__ import annotations

import subprocess

import pytest

from devices.printer import Printer, PrinterConfig
from devices.printer.documents import DocumentRenderer
from kiosk.catalog import default_catalog
from kiosk.services import CounterPayment, PrinterAdapter
from kiosk.session import KioskSession, NoticeCode, SessionConfig, Step
from kiosk.session.memory import MemoryCardPort, MemoryOutbox, SessionPorts, sample_card

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def printers(cups_server, capture_queue):
    receipt_queue, _ = capture_queue
    a4_queue = receipt_queue[:50] + "_a4"
    listener = cups_server.add_capture_queue(a4_queue)
    printer = Printer(
        PrinterConfig(
            server=str(cups_server.socket_path),
            queues={"receipt": receipt_queue, "document": a4_queue},
        )
    )
    adapter = PrinterAdapter(printer, DocumentRenderer(), city_name="豊橋市", center_name="東部")
    try:
        yield adapter, a4_queue
    finally:
        try:
            cups_server.lpadmin("-x", a4_queue)
        finally:
            listener.stop()
            cups_server.listeners.pop(a4_queue, None)


def _session(adapter, payment=None) -> tuple[KioskSession, MemoryCardPort]:
    """A session whose (in-memory) card already lies on the reader: any step that would use
    it connects at once, so `connects` says whether the card was touched."""
    card = MemoryCardPort(card=sample_card())
    ports = SessionPorts(card=card, outbox=MemoryOutbox(), printer=adapter, payment=payment)
    session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"))
    session.refresh_status()
    session.card_inserted("reader")
    return session, card


def test_each_role_is_reported(printers, cups_server):
    adapter, a4_queue = printers
    state = adapter.state()
    assert state.ok and [r[:2] for r in state.roles] == [("receipt", True), ("document", True)]
    subprocess.run(["cupsdisable", "-h", cups_server.server, a4_queue], check=True, timeout=30)
    state = adapter.state()
    assert state.ok  # the receipt roll still prints: the old badge word would say "ready"
    assert state.role_ok("receipt") and not state.role_ok("document")
    assert dict((r[0], r[2]) for r in state.roles)["document"]  # the reasons, for staff


def test_a4_out_refuses_a_certificate_before_the_card_step(printers, cups_server):
    adapter, a4_queue = printers
    subprocess.run(["cupsdisable", "-h", cups_server.server, a4_queue], check=True, timeout=30)
    session, card = _session(adapter)
    assert not session.printer.role_ok("document")
    assert session.open_certificates()
    assert session.certificate_printers_missing() == ("document",)  # the screen marks it
    assert not session.choose_certificate("resident_record", 1, "work")
    assert session.step is Step.CERTIFICATE_CHOOSE  # never PLACE_CARD, never PIN_ENTRY
    assert session.notice.code is NoticeCode.PRINTER_UNAVAILABLE
    assert session.notice.params["roles"] == ["document"]
    assert session.notice.params["office"]  # where to go instead, from the catalog
    assert card.connects == 0  # the card on the reader was never touched


def test_paying_at_the_counter_needs_only_the_receipt_roll(printers, cups_server):
    adapter, a4_queue = printers
    subprocess.run(["cupsdisable", "-h", cups_server.server, a4_queue], check=True, timeout=30)
    session, card = _session(adapter, payment=CounterPayment())
    session.open_certificates()
    assert session.certificate_printers_missing() == ()
    assert session.choose_certificate("resident_record", 1, "work")
    assert session.step is not Step.CERTIFICATE_CHOOSE and card.connects == 1


def test_with_both_printers_up_the_certificate_goes_on(printers):
    adapter, _ = printers
    session, card = _session(adapter)
    session.open_certificates()
    assert session.choose_certificate("resident_record", 1, "work")
    assert session.step is not Step.CERTIFICATE_CHOOSE and card.connects == 1
