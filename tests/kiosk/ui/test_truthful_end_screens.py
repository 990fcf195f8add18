"""End screens say what really happened: a phone callback request is not "booked" (the screen
names the request, when staff call and the number's last digits), and the offline claim slip says
in plain words why nothing printed, where and from when to collect, and that the fee is paid at
the counter. Real app, real cupsd, real sealed outbox (tests/kiosk/ui/conftest.py)."""

from __future__ import annotations

import pytest

from kiosk.session import NoticeCode
from tests.support.kiosk_driver import pdf_text, request_certificate

pytestmark = pytest.mark.timeout(120)


def _to_callback(ui, phone: str) -> None:
    ui.tap("booking")
    assert ui.step == "booking_topic"
    topic = next(iter(ui.session.catalog.topics))
    ui.tap(f"topic_{topic}")
    assert ui.until(lambda: ui.step == "booking_slot")
    ui.tap("callback")
    ui.frames(2)
    ui.type("phone", phone)
    ui.tap("phone_key_OK")


def test_callback_request_is_not_called_a_booking(kiosk_ui):
    ui = kiosk_ui
    _to_callback(ui, "0312345678")
    assert ui.until(lambda: ui.step == "booking_done"), ui.session.notice
    assert ui.text("title") == "お電話のご依頼を受け付けました"
    assert ui.text("when") == "市役所の職員が3営業日以内に、末尾が 5678 の電話番号へお電話します。"
    assert "予約しました" not in ui.text("title")
    screen = next(s for s in ui.root.cached_screens if s.name == "booking_done")
    assert screen.guidance() == "お電話のご依頼を受け付けました。受付票をお取りください。"
    [pdf] = ui.listener.wait_for_jobs(1, timeout=30)
    assert "0312345678" not in pdf_text(pdf)  # the slip never carries the whole number
    [record] = ui.records("booking")
    assert record["callback_phone"] == "0312345678"  # sealed in the outbox, for the city
    ui.session.choose_language("en")
    ui.frames(2)
    assert ui.text("title") == "We have received your request for a phone call"
    assert "ending in 5678" in ui.text("when")


def test_callback_with_a_bad_phone_number_keeps_the_resident_on_the_slot_screen(kiosk_ui):
    ui = kiosk_ui
    _to_callback(ui, "123")
    ui.frames(2)
    assert ui.step == "booking_slot"
    assert ui.session.notice.code is NoticeCode.INVALID_VALUE
    assert ui.records("booking") == []  # nothing sent, nothing lost: the resident types again


def test_offline_claim_slip_says_where_when_and_the_fee_in_plain_words(kiosk_ui):
    ui = kiosk_ui
    request_certificate(ui)
    assert ui.step == "claim_slip", ui.session.notice
    assert ui.session.notice.code is NoticeCode.OFFLINE_QUEUED
    notice = ui.text("notice")
    assert notice == (
        "いま市役所とつながらないため、ここでは証明書を印刷できませんでした。申し込みは受け付けました。"
    )
    assert "オフライン" not in notice and "後で送信" not in notice
    where = ui.text("where_next")
    assert "手数料（600円）は、受け取るときに窓口でお支払いください。" in where
    assert (
        "本日以降、窓口の受付時間内に、この引換票とマイナンバーカードを窓口でお見せください。"
        in where
    )
    assert "受け取り窓口：" in where  # where (the catalog's counter for this certificate)
