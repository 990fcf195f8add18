"""The certificate screen's options through the real Kivy UI (offscreen): 本人のみ / 世帯全員 and
the items a resident ticks reach central with the request, and the A4 certificate printed
through the tests' cupsd carries exactly those (the back office on 127.0.0.1 answers more)."""

from __future__ import annotations

import io
import subprocess

import pytest
from pypdf import PdfReader

from devices.card.simulator import default_test_ca, load_profile
from kiosk.services import OnlineAdapter
from sync.central.issuer import Issuer, IssuerConfig
from sync.central.residents import HttpResidentRecords, ResidentRecordsConfig
from tests.support.kiosk_driver import (  # noqa: E402
    InProcessCentral,
    choose_certificate,
    place_card,
)
from tests.support.residents import ResidentsBackOffice, key_of, record_of

pytestmark = pytest.mark.timeout(180)

EXTRA = {
    "head_of_household": "窓口 一郎",
    "relationship": "妻",
    "domicile": "愛知県豊橋市八町通五丁目1番地",
    "my_number": "123456789018",
    "household": [{"name": "窓口 一郎", "birth_date": "1980-01-02", "relationship": "世帯主"}],
}


@pytest.mark.parametrize("ticked", [(), ("opt_household_all", "opt_head")])
def test_the_options_ticked_are_what_prints(kiosk_ui, tmp_path, ticked):  # noqa: F811
    ui = kiosk_ui
    profile = load_profile("ordinary")
    records = {key_of(profile.auth_certificate, default_test_ca().certificate):
               {**record_of(profile), **EXTRA}}  # fmt: skip
    with ResidentsBackOffice(records) as office:
        issuer = Issuer(
            IssuerConfig(trusted_cas=(default_test_ca().certificate,), city_name="豊橋市"),
            tmp_path / "issuer.db",
            secret=b"0123456789abcdef0123456789abcdef",
            residents=HttpResidentRecords(ResidentRecordsConfig(url=office.url)),
        )
        try:
            ui.session.ports.online = OnlineAdapter(InProcessCentral(issuer, "C01"))
            ui.tap("certificates")
            choose_certificate(ui, ticks=ticked)
            ui.tap("continue")
            assert ui.step == "place_card"
            with place_card(ui):
                ui.enter_pin()
            assert ui.step == "certificate_printed", ui.session.notice
            [pdf] = ui.listener.wait_for_jobs(1, timeout=60)
        finally:
            issuer.close()
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "123456789018" not in text and "本籍" not in text  # never ticked, never printed
    if ticked:
        assert "世帯全員" in text and "窓口一郎" in text and "続柄" in text and "妻" in text
    else:
        assert "世帯全員" not in text and "窓口一郎" not in text


def test_a_printer_out_is_marked_before_the_card_step(kiosk_ui):  # noqa: F811
    """Both printer roles on the badge; the home button and the certificate screen say the
    certificate cannot be done here; continuing is refused with the counter to go to, and the
    card on the reader is never asked for a PIN."""
    ui = kiosk_ui
    ui.session.refresh_status()
    ui.frames(2)
    ready = ui.text("certificates")
    subprocess.run(["cupsdisable", "-h", ui.cups.server, ui.queue], check=True, timeout=30)
    try:
        ui.session.refresh_status()
        ui.frames(2)
        badge = ui.root.find("status_printer")
        assert badge.style == "status_bad" and "A4" in badge.text
        assert ui.text("certificates") != ready  # marked on the home screen
        ui.tap("certificates")
        ui.tap("cert_resident_record")
        assert "\n" in ui.text("fee")  # the reason above the total
        choose_certificate(ui)
        ui.tap("continue")
        assert ui.step == "certificate_choose"
        assert ui.session.notice.params["office"] in ui.text("notice")
    finally:
        subprocess.run(["cupsenable", "-h", ui.cups.server, ui.queue], check=True, timeout=30)
