"""The payment step with real parts: the simulated card behind pcscd signs central's challenge, the
in-process `Issuer` asks the back office on 127.0.0.1 and issues, the payment-terminal simulator
answers over TCP, documents print through the test cupsd. A declined (cancelled, timed-out,
offline) payment prints nothing; an approved one prints the certificate and a receipt with the
amount the screen showed; "pay at the counter" prints only a payment slip with that amount; a
certificate that fails to print after payment is kept for staff with the amount to refund."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pypdf import PdfReader

from devices.card import CardReader
from devices.card.simulator import SimulatedCard, default_test_ca
from devices.card.simulator.profile import load_profile
from devices.payment import PaymentTerminalSimulator, SocketPaymentTerminal
from devices.printer import Printer, PrinterConfig
from devices.printer.documents import DocumentRenderer
from kiosk.catalog import default_catalog
from kiosk.services import (
    CardReaderAdapter,
    CounterPayment,
    OnlineAdapter,
    OutboxAdapter,
    PrinterAdapter,
    TerminalPayment,
)
from kiosk.session import KioskSession, NoticeCode, SessionConfig, SessionPorts, Step
from sync.central.issuer import Issuer, IssuerConfig
from sync.central.residents import HttpResidentRecords, ResidentRecordsConfig
from sync.outbox import Outbox, OutboxConfig
from tests.support.residents import ResidentsBackOffice, key_of, record_of

pytestmark = pytest.mark.timeout(180)

PROFILE = load_profile("ordinary")
CA = default_test_ca()


class InProcessCentral:
    def __init__(self, issuer: Issuer, device_id: str) -> None:
        self.handlers = issuer.handlers()
        self.device_id = device_id

    def request(self, kind: str, payload: dict, timeout: float) -> dict:
        return self.handlers[kind](self.device_id, payload)


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


@pytest.fixture
def rig(pcsc, cups_server, capture_queue, renderer, tmp_path):
    """(ports, receipt listener, A4 listener, A4 queue name)."""
    receipt_queue, receipt_listener = capture_queue
    a4_queue = receipt_queue[:50] + "_a4"
    a4_listener = cups_server.add_capture_queue(a4_queue)
    printer = Printer(
        PrinterConfig(
            server=str(cups_server.socket_path),
            queues={"receipt": receipt_queue, "document": a4_queue},
        )
    )
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0),
        "C01",
        X25519PrivateKey.generate().public_key(),
        "s1",
    ).open()
    office = ResidentsBackOffice(
        {key_of(PROFILE.auth_certificate, CA.certificate): record_of(PROFILE)}
    ).__enter__()
    issuer = Issuer(
        IssuerConfig(trusted_cas=(CA.certificate,), city_name="豊橋市"),
        tmp_path / "issuer.db",
        secret=b"0123456789abcdef0123456789abcdef",
        document_key=Ed25519PrivateKey.generate(),
        residents=HttpResidentRecords(ResidentRecordsConfig(url=office.url)),
    )
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader(pcsc.reader_name(0))),
        outbox=OutboxAdapter(outbox),
        printer=PrinterAdapter(
            printer, renderer, city_name="豊橋市", center_name="東部", wait_timeout_s=20
        ),
        online=OnlineAdapter(InProcessCentral(issuer, "C01")),
    )
    try:
        yield ports, receipt_listener, a4_listener, a4_queue
    finally:
        issuer.close()
        outbox.close()
        office.__exit__(None, None, None)
        try:
            cups_server.lpadmin("-x", a4_queue)
        finally:
            a4_listener.stop()
            cups_server.listeners.pop(a4_queue, None)


def _get_certificate(session, pcsc, copies: int = 2) -> None:
    session.open_certificates()
    assert session.choose_certificate("resident_record", copies, "work")
    with SimulatedCard(PROFILE, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0)):
        session.card_inserted(pcsc.reader_name(0))
        assert session.step is Step.PIN_ENTRY
        session.submit_pin("1234")
    session.card_removed()


def _text(pdf: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def _screen_total(session) -> str:
    """What the certificate screen shows by the confirm button (the same arithmetic as
    `CertificateChooseScreen.render`, in the resident's language)."""
    cert = session.catalog.certificates[session.certificate.certificate_id]
    return f"{cert.fee_yen * session.certificate.copies:,}"


@pytest.mark.parametrize("mode", ["decline", "cancel", "timeout", "offline"])
def test_a_payment_that_fails_prints_nothing(rig, pcsc, mode):
    ports, receipts, a4, _ = rig
    with PaymentTerminalSimulator([] if mode == "offline" else [mode]) as sim:
        if mode == "offline":
            sim.go_offline()
        terminal = SocketPaymentTerminal(sim.host, sim.port, connect_timeout_s=1.0)
        ports.payment = TerminalPayment(terminal, timeout_s=1.0)
        session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"))
        _get_certificate(session, pcsc)
        if mode != "offline":
            assert [c["mode"] for c in sim.charges] == [mode]
            assert sim.approved == []
    assert session.step is Step.SERVICE_ERROR
    assert session.notice.code is NoticeCode.PAYMENT_FAILED
    assert session.notice.params == {"reason": {"decline": "declined", "cancel": "cancelled",
                                                "timeout": "timeout", "offline": "offline"}[mode]}  # fmt: skip
    assert receipts.jobs == [] and a4.jobs == []  # nothing printed, on either printer


def test_an_approved_payment_prints_the_certificate_and_a_receipt_of_the_same_fee(rig, pcsc):
    ports, receipts, a4, _ = rig
    with PaymentTerminalSimulator(["approve"]) as sim:
        ports.payment = TerminalPayment(SocketPaymentTerminal(sim.host, sim.port), timeout_s=5)
        session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"))
        _get_certificate(session, pcsc, copies=2)
        [charge] = sim.approved
    assert session.step is Step.CERTIFICATE_PRINTED, session.notice
    total = _screen_total(session)
    assert charge["amount_yen"] == session.certificate.fee_yen == int(total.replace(",", ""))
    [certificate] = a4.wait_for_jobs(1, timeout=60)
    assert len(PdfReader(io.BytesIO(certificate)).pages) == 2  # the 2 copies paid for
    [receipt] = receipts.wait_for_jobs(1, timeout=60)
    text = _text(receipt)
    assert f"{total}円" in text and "領収書" in text and charge["transaction_id"] in text
    assert "キャッシュレス" in text
    assert session.payment == {"method": "terminal", "amount_yen": charge["amount_yen"],
                               "status": "paid", "transaction_id": charge["transaction_id"]}  # fmt: skip


def test_pay_at_the_counter_prints_only_a_payment_slip_with_the_screen_total(rig, pcsc):
    ports, receipts, a4, _ = rig
    ports.payment = CounterPayment()
    session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"))
    _get_certificate(session, pcsc, copies=3)
    assert session.step is Step.CLAIM_SLIP and session.notice is None
    assert session.payment == {"method": "counter", "amount_yen": session.certificate.fee_yen,
                               "status": "due"}  # fmt: skip
    [slip] = receipts.wait_for_jobs(1, timeout=60)
    text = _text(slip)
    assert "お支払い票" in text and f"{_screen_total(session)}円" in text
    assert session.reference in text
    assert a4.jobs == []  # the certificate itself waits at the counter until paid


def test_a_print_failure_after_payment_is_kept_for_staff(rig, pcsc, cups_server, tmp_path):
    ports, receipts, a4, a4_queue = rig
    subprocess.run(["cupsdisable", "-h", cups_server.server, a4_queue], check=True, timeout=30)
    incidents = tmp_path / "payment-incidents.jsonl"
    with PaymentTerminalSimulator(["approve"]) as sim:
        ports.payment = TerminalPayment(
            SocketPaymentTerminal(sim.host, sim.port), timeout_s=5, incidents_path=incidents
        )
        session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"))
        _get_certificate(session, pcsc, copies=1)
        [charge] = sim.approved
    assert session.notice.code is NoticeCode.PRINTER_FAILED
    [incident] = [json.loads(line) for line in incidents.read_text().splitlines()]
    assert incident["amount_yen"] == charge["amount_yen"] == session.certificate.fee_yen
    assert incident["transaction_id"] == charge["transaction_id"]
    assert incident["reference"] == session.reference and incident["reasons"]
    holder = record_of(PROFILE)
    assert (
        holder["name"] not in incidents.read_text()
        and holder["address"] not in incidents.read_text()
    )


def test_a_payment_slip_whose_total_is_not_its_lines_is_refused():
    """Bad input to the slip: a total that is not the sum of its lines is refused."""
    from datetime import datetime

    from devices.printer.documents import PaymentItem, PaymentSlipInfo
    from devices.printer.errors import DocumentDataError

    base = {"language": "ja", "city_name": "c", "center_name": "c",
            "issued_at": datetime(2026, 12, 3, 10, 0)}  # fmt: skip
    item = PaymentItem(name="住民票の写し", copies=2, fee_yen=600)
    for bad in (
        {"total_yen": 900},
        {"total_yen": 600, "method": "cash"},
        {"total_yen": 600, "method": "counter", "paid": True},
        {"total_yen": 600, "method": "terminal", "paid": True, "transaction_id": ""},
        {"total_yen": 600, "method": "terminal"},
    ):
        with pytest.raises(DocumentDataError):
            PaymentSlipInfo(**base, reference="R1", items=(item,), **{"method": "counter", **bad})
    with pytest.raises(DocumentDataError):
        PaymentItem(name="x", copies=0, fee_yen=300)
