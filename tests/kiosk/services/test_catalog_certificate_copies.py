"""The copies asked for (and charged) are the copies printed (issue 20: "3 charged, 1 printed").

The session's certificate job carries the order's copies; `PrinterAdapter` — where the number
used to be dropped — renders one page per copy, each the whole certificate marked "copy n of
N", and sends it to the test cupsd as one job. The capture queue receives exactly that job; its
pages are counted and read back. Claim slips name the counter (from the catalog) and what to
bring. Bad copy counts are refused before anything prints."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from devices.printer import DocumentDataError, Printer, PrinterConfig
from devices.printer.documents import DocumentRenderer
from kiosk.catalog import default_catalog
from kiosk.services import PrinterAdapter
from kiosk.session import PortPrintError, PrintJob

HOLDER = {"name": "山田 花子", "address": "豊橋市今橋町1番地", "birth_date": "1990-04-01"}


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


@pytest.fixture
def adapter(cups_server, capture_queue, renderer):
    queue, listener = capture_queue
    printer = Printer(
        PrinterConfig(
            server=str(cups_server.socket_path), queues={"receipt": queue, "document": queue}
        )
    )
    return PrinterAdapter(printer, renderer, city_name="豊橋市", center_name="東部"), listener


def _certificate_job(copies, language="ja"):
    return PrintJob(
        kind="certificate",
        language=language,
        data={
            "certificate": "resident_record",
            "title": "住民票の写し",
            "copies": copies,
            "document": {
                "reference": "R-0001",
                "holder": HOLDER,
                "issuer": "豊橋市長",
                "verification_code": "K7QF-2M9X",
            },
        },
    )


def _pages(pdf):
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.timeout(120)
def test_three_copies_asked_three_copies_printed(adapter):
    printer, listener = adapter
    printer.print_job(_certificate_job(3))
    [pdf] = listener.wait_for_jobs(1, timeout=30)  # one job at cupsd...
    pages = _pages(pdf)
    assert len(pages) == 3  # ...holding the three copies
    for n, text in enumerate(pages, start=1):
        assert f"{n}通目（全3通）" in text
        assert "山田 花子" in text and "R-0001" in text and "K7QF-2M9X" in text


@pytest.mark.timeout(120)
def test_one_copy_is_one_page_without_a_copy_mark(adapter):
    printer, listener = adapter
    printer.print_job(_certificate_job(1, language="en"))
    [pdf] = listener.wait_for_jobs(1, timeout=30)
    [page] = _pages(pdf)
    assert "Copy" not in page and "Yamada" not in page and "山田 花子" in page


@pytest.mark.parametrize("copies", [0, -1, 21, "3", 2.5])
def test_bad_copy_counts_print_nothing(adapter, copies, renderer):
    printer, listener = adapter
    with pytest.raises(PortPrintError) as info:
        printer.print_job(_certificate_job(copies))
    assert info.value.reasons == ("document-data",)
    assert listener.wait_for_jobs(0, timeout=0.1) == []
    assert len(printer.printer.pending) == 0  # nothing half-printed waits for a reprint


def test_certificate_info_refuses_bad_copies(renderer):
    from devices.printer.documents import sample_info

    info = sample_info("certificate", "ja")
    for bad in (0, 21, True, "2"):
        with pytest.raises(DocumentDataError):
            type(info)(**{**vars(info), "copies": bad})


def test_every_certificate_names_where_to_collect_it():
    catalog = default_catalog()
    for cert in catalog.certificates.values():
        assert cert.office is not None, cert.id
        assert cert.documents, cert.id
    assert "税務課" in catalog.certificates["tax_certificate"].office["ja"]


@pytest.mark.timeout(120)
def test_claim_slip_names_the_counter_and_what_to_bring(adapter):
    printer, listener = adapter
    catalog = default_catalog()
    cert = catalog.certificates["seal_certificate"]
    printer.print_job(
        PrintJob(
            kind="claim_slip",
            language="ja",
            data={
                "certificate": "seal_certificate",
                "reference": "C01-000004-2",
                "title": cert.name["ja"],
                "copies": 2,
                "office": cert.office["ja"],
                "documents": [d["ja"] for d in cert.documents],
            },
        )
    )
    [pdf] = listener.wait_for_jobs(1, timeout=30)
    text = "".join(_pages(pdf)).replace("\n", "").replace(" ", "")
    assert "受け取り窓口：市役所市民課窓口" in text
    assert "持ち物：マイナンバーカード" in text
    assert "C01-000004-2" in text


@pytest.mark.timeout(180)
def test_three_copies_end_to_end_card_issuer_cupsd(pcsc, adapter, tmp_path):
    """The whole chain: the resident asks for 3 copies, the simulated card behind pcscd signs
    central's challenge, the issuer looks the holder up in the back office on 127.0.0.1 and
    issues; the A4 certificate reaches the test cupsd as one job of three copies."""
    from devices.card import CardReader
    from devices.card.simulator import SimulatedCard, default_test_ca, load_profile
    from kiosk.services import CardReaderAdapter, OnlineAdapter, OutboxAdapter
    from kiosk.session import KioskSession, SessionConfig, SessionPorts, Step
    from sync.central.issuer import Issuer, IssuerConfig
    from sync.central.residents import HttpResidentRecords, ResidentRecordsConfig
    from sync.outbox import Outbox, OutboxConfig
    from tests.support.residents import ResidentsBackOffice, key_of, record_of

    printer, listener = adapter
    ca = default_test_ca().certificate
    profile = load_profile("ordinary")
    records = {key_of(profile.auth_certificate, ca): record_of(profile)}
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0), "C01", _central_key(), "s1"
    ).open()
    with ResidentsBackOffice(records) as office:
        issuer = Issuer(
            IssuerConfig(trusted_cas=(ca,), city_name="豊橋市"),
            tmp_path / "issuer.db",
            secret=b"0123456789abcdef0123456789abcdef",
            residents=HttpResidentRecords(ResidentRecordsConfig(url=office.url)),
        )
        handlers = issuer.handlers()

        class Central:
            def request(self, kind, payload, timeout):
                return handlers[kind]("C01", payload)

        reader = pcsc.reader_name(0)
        ports = SessionPorts(
            card=CardReaderAdapter(CardReader(reader)),
            outbox=OutboxAdapter(outbox),
            printer=printer,
            online=OnlineAdapter(Central()),
        )
        session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"))
        try:
            assert session.open_certificates()
            assert session.choose_certificate("resident_record", 3, "work")
            assert session.certificate.fee_yen == 3 * 300  # charged for three...
            with SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=reader):
                session.card_inserted(reader)
                assert session.step is Step.PIN_ENTRY
                session.submit_pin("1234")
            session.card_removed(reader)
            assert session.step is Step.CERTIFICATE_PRINTED, session.notice
            [pdf] = listener.wait_for_jobs(1, timeout=30)
        finally:
            session.wipe()
            issuer.close()
            outbox.close()
    pages = _pages(pdf)
    assert len(pages) == 3  # ...three printed
    assert all(profile.holder_name.split()[0] in page for page in pages)
    assert [f"{n}通目（全3通）" in page for n, page in enumerate(pages, 1)] == [True] * 3


def _central_key():
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    return X25519PrivateKey.generate().public_key()
