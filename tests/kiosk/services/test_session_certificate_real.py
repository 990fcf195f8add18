"""Certificates end to end with real parts: the simulated card behind pcscd signs central's
challenge (bound to this device and request) with its JPKI key, the central `Issuer` verifies
it and issues; with no answer from the agent's socket (a real `RequestClient` timing out) the
card signs nothing, the request is sealed into the outbox as a claim (no card data) and a
claim slip prints through the test cupsd; nothing in the claim can get a certificate issued."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devices.card import CardReader
from devices.card.simulator import SimulatedCard, default_test_ca
from devices.printer import Printer, PrinterConfig
from devices.printer.documents import DocumentRenderer
from kiosk.catalog import default_catalog
from kiosk.services import CardReaderAdapter, OnlineAdapter, OutboxAdapter, PrinterAdapter
from kiosk.session import KioskSession, NoticeCode, SessionConfig, SessionPorts, Step
from sync.agent import RequestClient
from sync.central.issuer import Issuer, IssuerConfig
from sync.outbox import Outbox, OutboxConfig
from sync.sealing import open_record

CENTRAL = X25519PrivateKey.generate()


class InProcessCentral:
    """The issuer's handlers called directly (the ZeroMQ path is covered by the sync tests)."""

    def __init__(self, issuer: Issuer, device_id: str) -> None:
        self.handlers = issuer.handlers()
        self.device_id = device_id
        self.calls: list[str] = []

    def request(self, kind: str, payload: dict, timeout: float) -> dict:
        self.calls.append(kind)
        return self.handlers[kind](self.device_id, payload)


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


@pytest.fixture
def parts(pcsc, cups_server, capture_queue, renderer, tmp_path):
    queue, listener = capture_queue
    printer = Printer(
        PrinterConfig(
            server=str(cups_server.socket_path), queues={"receipt": queue, "document": queue}
        )
    )
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0), "C01", CENTRAL.public_key(), "s1"
    ).open()
    issuer = Issuer(
        IssuerConfig(trusted_cas=(default_test_ca().certificate,)),
        tmp_path / "issuer.db",
        secret=b"0123456789abcdef0123456789abcdef",
    )
    yield (
        SessionPorts(
            card=CardReaderAdapter(CardReader(pcsc.reader_name(0))),
            outbox=OutboxAdapter(outbox),
            printer=PrinterAdapter(printer, renderer, city_name="豊橋市", center_name="東部"),
        ),
        issuer,
        outbox,
        listener,
    )
    issuer.close()
    outbox.close()


def _authenticate(session, pcsc):
    session.open_certificates()
    assert session.choose_certificate("resident_record", 1, "work")
    with SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0)) as card:
        session.card_inserted(pcsc.reader_name(0))
        assert session.step is Step.PIN_ENTRY and session.tries_left == 3
        session.submit_pin("1234")
        verifies = len(card.sim.verify_apdus(with_data=True))
    session.card_removed()
    return verifies


def test_online_issue_with_the_real_card_signature(parts, pcsc):
    ports, issuer, outbox, listener = parts
    central = InProcessCentral(issuer, "C01")
    ports.online = OnlineAdapter(central)
    session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"))
    assert _authenticate(session, pcsc) == 1
    assert central.calls == ["certificate.challenge", "certificate.issue"]
    assert session.step is Step.CERTIFICATE_PRINTED, session.notice
    assert session.reference  # central's document reference
    assert len(listener.wait_for_jobs(1, timeout=30)) == 1
    assert outbox.stats().last_seq == 0  # nothing queued: issued online


def test_offline_queues_the_request_and_prints_a_claim_slip(parts, pcsc, tmp_path):
    ports, issuer, outbox, listener = parts
    ports.online = OnlineAdapter(RequestClient(f"ipc://{tmp_path}/no-agent.sock"))
    session = KioskSession(
        default_catalog(), ports, SessionConfig(device_id="C01", online_timeout_s=0.3)
    )
    _authenticate(session, pcsc)
    assert session.step is Step.CLAIM_SLIP
    assert session.notice.code is NoticeCode.OFFLINE_QUEUED
    assert session.reference.startswith("C01-000001-")
    [record] = outbox.records_from(1, 10, 10_000_000)
    assert record.header.kind == "certificate_request"
    body = open_record(record, CENTRAL)
    assert body["certificate"] == "resident_record" and body["copies"] == 1
    # a claim to verify at the counter: no signature, no challenge, no card certificate
    assert body["claim"] == "verify_card_at_counter"
    assert not {"signature", "challenge", "auth_certificate"} & set(body)
    # the claim itself gets nothing issued, at any issuer
    issue = issuer.handlers()["certificate.issue"]
    assert issue("C01", dict(body)) == {"ok": False, "reason": "bad_request"}
    assert len(listener.wait_for_jobs(1, timeout=30)) == 1


def test_expired_auth_certificate_on_the_real_card_never_asks_for_the_pin(parts, pcsc):
    ports, issuer, outbox, listener = parts
    session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"))
    session.open_certificates()
    session.choose_certificate("seal_certificate", 1, "bank")
    reader = pcsc.reader_name(0)
    with SimulatedCard("expired-auth-cert", port=pcsc.vpcd_port, reader_name=reader) as card:
        session.card_inserted(reader)
        assert session.step is Step.SERVICE_ERROR
        assert session.notice.params == {"reason": "expired_certificate"}
        assert card.sim.verify_apdus(with_data=True) == []
    session.card_removed(reader)
