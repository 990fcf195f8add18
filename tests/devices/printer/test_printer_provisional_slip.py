"""A booking made offline is a request central has not confirmed: its slip says 仮予約 in its
title and in words, and how to check it at the next visit; a confirmed booking's slip does not.
The slip data is the session's (`provisional`), mapped by the kiosk's printer adapter, rendered
by the real render worker (PDF text read back)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from devices.printer.documents import DocumentRenderer
from kiosk.services import PrinterAdapter
from kiosk.session.ports import PrintJob

pytestmark = pytest.mark.timeout(120)

SLIP = {"topic": "tax", "reference": "K2-000042-7", "qr": "K2-000042-7", "title": "税",
        "start": "2026-12-10T10:00", "minutes": 45, "callback": False,
        "date": "2026-12-04 10:00"}  # fmt: skip


class _NoPrinter:
    pending: list = []


@pytest.fixture(scope="module")
def adapter():
    renderer = DocumentRenderer().warm_up()
    return PrinterAdapter(_NoPrinter(), renderer, city_name="豊橋市", center_name="東町")


def _text(adapter, lang: str, **data) -> str:
    pdf = adapter.render(PrintJob("consultation_slip", lang, {**SLIP, **data}))[1]
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_provisional_slip_says_so_and_how_to_check(adapter):
    text = _text(adapter, "ja", provisional=True)
    assert "相談予約票（仮予約）" in text and "仮予約です。まだ確定していません。" in text
    assert "「予約あり」" in text and "K2-000042-7" in text
    en = _text(adapter, "en", provisional=True)
    assert "Consultation booking\n(provisional)" in en and "not confirmed yet" in en
    vi = _text(adapter, "vi", provisional=True)
    assert "tạm thời" in vi


def test_confirmed_slip_does_not(adapter):
    for data in ({"provisional": False}, {}):
        text = _text(adapter, "ja", **data)
        assert "相談予約票" in text and "仮予約" not in text and "予約あり" not in text
