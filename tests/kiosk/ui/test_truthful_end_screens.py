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


def test_a4_printer_stopped_shows_on_the_badge_the_certificate_button_and_the_staff_menu(
    kiosk_ui, renderer
):
    """The review's case: the receipt roll prints, the A4 certificate printer is stopped. The
    badge names each printer, 証明書をとる says why it cannot print here, and the staff menu
    says it once (no 「プリンター：プリンター：」)."""
    import subprocess

    from devices.printer import Printer, PrinterConfig
    from kiosk.services import PrinterAdapter

    ui = kiosk_ui
    a4 = ui.queue[:50] + "_a4"
    listener = ui.cups.add_capture_queue(a4)
    try:
        printer = Printer(
            PrinterConfig(
                server=str(ui.cups.socket_path), queues={"receipt": ui.queue, "document": a4}
            )
        )
        ui.session.ports.printer = PrinterAdapter(
            printer, renderer, city_name="豊橋市", center_name="東部地域センター"
        )
        subprocess.run(["cupsdisable", "-h", ui.cups.server, a4], check=True, timeout=30)
        ui.session.refresh_status()
        assert ui.until(lambda: not ui.session.printer.role_ok("document"))
        ui.frames(2)
        assert ui.text("status_printer") == "レシート：使用可  A4：使用不可"
        assert ui.text("certificates") == "証明書をとる：プリンター停止中のため窓口へ"
        ui.enter_staff()
        line = ui.text("staff_printer")
        assert "プリンター：プリンター" not in line
        assert line.startswith("レシート：使用可  A4：使用不可 (")
        assert line.endswith("／再印刷待ち：0件")
    finally:
        ui.cups.lpadmin("-x", a4)
        listener.stop()
        ui.cups.listeners.pop(a4, None)
