"""The slip a resident takes to the counter tells the truth: after an online issue (central sent
no holder data to print) it says the certificate is issued and ready; after an offline request it
says the request is saved and will be sent. Rendered by the real renderer, read back from the PDF."""

import io

import pytest
from pypdf import PdfReader

from devices.printer.documents import DocumentRenderer
from kiosk.services import PrinterAdapter
from kiosk.session import PrintJob

ISSUED = "証明書は発行済みです"
QUEUED = "通信が回復しだい送信されます"


@pytest.fixture(scope="module")
def adapter():
    return PrinterAdapter(None, DocumentRenderer(), city_name="豊橋市", center_name="東部")


def _text(pdf: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\n", "")  # the roll wraps long sentences


def test_online_issue_without_holder_data_says_issued(adapter):
    job = PrintJob(
        "certificate",
        "ja",
        {
            "certificate": "resident_record",
            "title": "住民票の写し",
            "copies": 1,
            "document": {"ok": True, "reference": "E6FBA9DF", "verification_code": "X1"},
        },
    )
    role, pdf, _ = adapter.render(job)
    text = _text(pdf)
    assert role == "receipt"
    assert ISSUED in text and QUEUED not in text
    assert "E6FBA9DF" in text


def test_offline_request_says_queued(adapter):
    job = PrintJob(
        "claim_slip",
        "ja",
        {
            "certificate": "resident_record",
            "reference": "C01-000007-3",
            "qr": "C01-000007-3",
            "title": "住民票の写し",
            "copies": 1,
            "fee_yen": 300,
            "date": "2026-11-22",
        },
    )
    role, pdf, _ = adapter.render(job)
    text = _text(pdf)
    assert QUEUED in text and ISSUED not in text
