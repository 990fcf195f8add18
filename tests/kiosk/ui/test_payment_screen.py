"""The fee on the kiosk screen is the fee on paper, driven through the real Kivy UI (offscreen):
the certificate screen shows the fee per copy on each type and the total by the confirm button;
the payment-terminal simulator approves or declines over TCP; the receipt printed through the
tests' cupsd carries exactly the total the screen showed, and a declined payment prints nothing.
(The UI fixture is the journeys' one: pcscd card, sealed outbox, cupsd capture queue.)"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from devices.card.simulator import default_test_ca, load_profile
from devices.payment import PaymentTerminalSimulator, SocketPaymentTerminal
from kiosk.services import OnlineAdapter, TerminalPayment
from sync.central.issuer import Issuer, IssuerConfig
from sync.central.residents import HttpResidentRecords, ResidentRecordsConfig
from tests.support.kiosk_driver import (  # noqa: E402
    InProcessCentral,
    choose_certificate,
    place_card,
    request_certificate,
)
from tests.support.residents import ResidentsBackOffice, key_of, record_of

pytestmark = pytest.mark.timeout(180)


def _text(pdf: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def central(kiosk_ui, tmp_path):  # noqa: F811 - the imported fixture, by name
    profile = load_profile("ordinary")
    records = {key_of(profile.auth_certificate, default_test_ca().certificate): record_of(profile)}
    with ResidentsBackOffice(records) as office:
        issuer = Issuer(
            IssuerConfig(trusted_cas=(default_test_ca().certificate,), city_name="豊橋市"),
            tmp_path / "issuer.db",
            secret=b"0123456789abcdef0123456789abcdef",
            residents=HttpResidentRecords(ResidentRecordsConfig(url=office.url)),
        )
        kiosk_ui.session.ports.online = OnlineAdapter(InProcessCentral(issuer, "C01"))
        try:
            yield kiosk_ui
        finally:
            issuer.close()


def test_the_total_on_screen_is_the_amount_charged_and_on_the_receipt(central):
    ui = central
    with PaymentTerminalSimulator(["approve"]) as sim:
        ui.session.ports.payment = TerminalPayment(SocketPaymentTerminal(sim.host, sim.port))
        ui.tap("certificates")
        ui.tap("cert_resident_record")
        per_copy = ui.text("cert_resident_record")
        choose_certificate(ui, copies=2)
        total_text = ui.text("fee")  # by the confirm button
        ui.tap("continue")
        assert ui.step == "place_card"
        with place_card(ui):
            ui.enter_pin()
        [charge] = sim.approved
    assert ui.step == "certificate_printed", ui.session.notice
    [screen_total] = re.findall(r"\d[\d,]*", total_text)
    assert re.findall(r"\d[\d,]*", per_copy)[-1] == "300"  # the fee per copy by the type
    assert charge["amount_yen"] == int(screen_total.replace(",", "")) == 600
    certificate, receipt = ui.listener.wait_for_jobs(2, timeout=60)
    assert len(PdfReader(io.BytesIO(certificate)).pages) == 2  # the 2 copies paid for
    receipt_text = _text(receipt)
    assert screen_total in receipt_text and charge["transaction_id"] in receipt_text


def test_a_declined_payment_prints_nothing_and_says_so(central):
    ui = central
    with PaymentTerminalSimulator(["decline"]) as sim:
        ui.session.ports.payment = TerminalPayment(SocketPaymentTerminal(sim.host, sim.port))
        request_certificate(ui)
        assert [c["mode"] for c in sim.charges] == ["decline"]
    assert ui.step == "service_error"
    assert ui.session.notice.params == {"reason": "declined"}
    ui.frames(2)
    assert ui.root.notice_text  # the banner says nothing was charged or printed
    assert ui.listener.jobs == []
    assert re.search(r"\d", ui.root.notice_text) is None  # no amount or card data in it
