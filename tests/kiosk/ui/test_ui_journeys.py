"""The real Kivy app, driven like a resident: taps on widgets found by their `kid`, with the
simulated My Number card behind the test pcscd (events from the real `CardWatcher`, handed to the
UI on Kivy's clock), the real sealed outbox, the test cupsd's capture queue and LocalState.
The session clock is advanced by the test; nothing sleeps except while waiting for pcscd."""

from __future__ import annotations

import subprocess

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from devices.card.simulator import default_test_ca  # noqa: E402
from kiosk.services import (  # noqa: E402
    OnlineAdapter,
)
from kiosk.session import (  # noqa: E402
    NoticeCode,
)
from tests.support.kiosk_driver import (  # noqa: E402
    InProcessCentral,
    fill_moving_in_form,
    pdf_text,
    place_card,
    request_certificate,
)


def test_moving_in_journey_by_touch(kiosk_ui):
    ui = kiosk_ui
    assert ui.step == "home"
    ui.tap("life_events")
    ui.tap("event_moving_in")
    while ui.step == "life_event_questions":
        yes = ui.session.current_question.id == "has_children_under_18"
        ui.tap("yes" if yes else "no")
    assert ui.step == "checklist"
    assert ui.root.find("proc_child_allowance") is not None
    ui.tap("print")
    assert ui.session.notice.code is NoticeCode.CHECKLIST_PRINTED
    assert len(ui.listener.wait_for_jobs(1, timeout=30)) == 1
    ui.tap("proc_moving_in")
    ui.tap("start")
    assert ui.step == "place_card"
    with place_card(ui):
        assert ui.until(lambda: ui.step == "pin_entry")
        assert "3" in ui.text("tries_left")
        ui.type("pin", "1234")
        assert ui.text("pin_display") == "●●●●"  # masked
        ui.tap("pin_key_OK")
        assert ui.step == "form_confirm"
        assert ui.text("value_name") == "山田 花子"
        fill_moving_in_form(ui)
        assert ui.session.form.missing() == [], ui.session.notice
        ui.tap("confirm")
        assert ui.step == "done", ui.session.notice
    assert ui.text("reference").startswith("C01-000001-")
    assert len(ui.listener.wait_for_jobs(2, timeout=30)) == 2  # checklist + receipt
    [application] = ui.records("application")
    assert application["procedure"] == "moving_in"
    assert application["values"]["name_kana"] == "ヤマダハナコ"  # typed やまだ: katakana (issue 19)
    assert application["values"]["moved_on"] == "2026-11-20"
    assert application["values"]["name_latin"] == "YA HA"
    assert application["values"]["phone"] == "05320001"
    ui.tap("next")
    assert ui.step == "survey"
    ui.tap("score_9")
    ui.tap("reason_clarity")
    ui.tap("submit")
    assert ui.step == "home"
    [survey] = ui.records("survey")
    assert survey["score"] == 9 and survey["reasons"] == ["clarity"]
    assert "山田" not in ui.screen_texts()


def test_wrong_pin_then_right_pin_never_retries(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    with place_card(ui) as card:
        assert ui.until(lambda: ui.step == "pin_entry")
        ui.type("pin", "9999")
        ui.tap("pin_key_OK")
        assert ui.step == "pin_entry"
        assert ui.session.notice.code is NoticeCode.WRONG_PIN
        wrong = ui.app.tr("The PIN was wrong. Tries left: {tries_left}", tries_left=2)
        assert wrong in ui.text("tries_left")  # said next to the keypad, in the resident's language
        assert ui.text("notice") == ""
        assert ui.text("pin_display").strip() == ""  # the keypad starts empty again
        ui.frames(5)
        assert len(card.sim.verify_apdus(with_data=True)) == 1  # nothing was re-sent
        ui.type("pin", "1234")
        ui.tap("pin_key_OK")
        assert ui.step == "form_confirm"
        assert len(card.sim.verify_apdus(with_data=True)) == 2


def test_last_try_shows_a_clear_warning(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    with place_card(ui, "one-try-left"):
        assert ui.until(lambda: ui.step == "pin_entry")
        label = ui.root.find("tries_left")
        assert label.style == "error" and label.filled
        assert "1" in label.text and "locked" in label.text.lower() or "ロック" in label.text


def test_card_pulled_mid_form_wipes_screen_and_data(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    card = place_card(ui).insert()
    try:
        ui.enter_pin()
        assert ui.step == "form_confirm"
        ui.tap("fix_name_kana")
        ui.type("kb_kana", "やま")
        assert "山田" in ui.screen_texts()
    finally:
        card.remove()
    assert ui.until(lambda: ui.step == "home")
    assert ui.session.notice.code is NoticeCode.CARD_REMOVED
    texts = ui.screen_texts()
    for personal in ("山田", "花子", "やま"):
        assert personal not in texts
    assert ui.records("application") == []


def test_idle_still_there_then_wipe(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    with place_card(ui):
        ui.enter_pin()
        assert ui.step == "form_confirm"
        ui.advance(ui.session.config.form_idle_timeout_s + 1)  # longer on a form (issue 19)
        assert ui.step == "still_there"
        assert "山田" not in ui.text("notice")
        seconds = ui.app.tr("Erased in {seconds} seconds", seconds=15)
        assert ui.text("countdown") == seconds  # the time left is on screen
        ui.advance(5)
        assert ui.text("countdown") == ui.app.tr("Erased in {seconds} seconds", seconds=10)
        ui.advance(11)
        assert ui.step == "home"
        assert ui.session.notice.code is NoticeCode.SESSION_ENDED
        assert "山田" not in ui.screen_texts() and "1990" not in ui.screen_texts()


def test_still_there_answered_resumes(kiosk_ui):
    ui = kiosk_ui
    ui.tap("life_events")
    ui.advance(61)
    assert ui.step == "still_there"
    ui.tap("continue")
    assert ui.step == "life_events"


def test_certificate_offline_prints_a_claim_slip(kiosk_ui):
    ui = kiosk_ui
    request_certificate(ui)
    assert ui.step == "claim_slip", ui.session.notice
    assert ui.session.notice.code is NoticeCode.OFFLINE_QUEUED
    assert ui.text("reference").startswith("C01-000001-")
    assert len(ui.listener.wait_for_jobs(1, timeout=30)) == 1
    [request] = ui.records("certificate_request")
    assert request["copies"] == 2 and request["purpose"] == "work"


@pytest.mark.parametrize("back_office", ["up", "down"])
def test_certificate_online_prints_the_issued_document(kiosk_ui, tmp_path, back_office):
    """Central looks the card's auth certificate up in the city's back office (HTTP on
    127.0.0.1) and the A4 certificate prints with the holder; with the back office down the
    certificate is issued all the same and the slip sends the resident to the counter. After
    the wipe no holder data is left in the session, its prints or on screen."""
    from devices.card.simulator import load_profile
    from sync.central.issuer import Issuer, IssuerConfig
    from sync.central.residents import HttpResidentRecords, ResidentRecordsConfig
    from tests.support.residents import ResidentsBackOffice, key_of, record_of, refused_url

    ui = kiosk_ui
    profile = load_profile("ordinary")  # the card `_certificate` places (same cached cert)
    records = {key_of(profile.auth_certificate, default_test_ca().certificate): record_of(profile)}
    with ResidentsBackOffice(records) as office:
        url = office.url if back_office == "up" else refused_url()
        issuer = Issuer(
            IssuerConfig(
                trusted_cas=(default_test_ca().certificate,),
                city_name="豊橋市",
            ),
            tmp_path / "issuer.db",
            secret=b"0123456789abcdef0123456789abcdef",
            residents=HttpResidentRecords(ResidentRecordsConfig(url=url)),
        )
        try:
            ui.session.ports.online = OnlineAdapter(InProcessCentral(issuer, "C01"))
            request_certificate(ui)
            assert ui.step == "certificate_printed", ui.session.notice
            [pdf] = ui.listener.wait_for_jobs(1, timeout=30)
            assert ui.records("certificate_request") == []  # issued online, nothing queued
        finally:
            issuer.close()
    text = pdf_text(pdf)
    printed = ui.session.ports.printer.session_prints.last()
    if back_office == "up":
        assert len(office.requests) == 1
        assert printed.role == "document"  # the A4 certificate
        assert "山田" in text and "花子" in text and "千代田" in text
    else:
        assert printed.role == "receipt"  # the slip: issued, collect it at the counter
        assert "証明書は発行済みです" in text and "山田" not in text
    ui.session.wipe()
    ui.frames(2)
    assert len(ui.session.ports.printer.session_prints) == 0
    assert "山田" not in ui.screen_texts()
    assert "山田" not in repr(vars(ui.session))


def test_paper_out_at_receipt_time_then_staff_reprint(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("seal_registration_cancel")
    with place_card(ui):
        ui.enter_pin()
        ui.fill_required()
        subprocess.run(["cupsdisable", "-h", ui.cups.server, ui.queue], check=True, timeout=30)
        ui.tap("confirm")
    assert ui.step == "done"
    assert ui.session.notice.code is NoticeCode.PRINTER_FAILED
    assert ui.text("notice")  # the resident is told, in their language
    assert ui.text("reference").startswith("C01-000001-")  # and keeps the number
    ui.tap("next")
    ui.tap("skip")
    ui.session.refresh_status()
    ui.frames(2)
    assert ui.root.find("status_printer").style == "status_bad"
    subprocess.run(["cupsenable", "-h", ui.cups.server, ui.queue], check=True, timeout=30)
    ui.enter_staff()
    ui.tap("reprint")
    assert ui.session.notice.code is NoticeCode.REPRINTED
    assert len(ui.listener.wait_for_jobs(1, timeout=30)) == 1
    ui.tap("staff_exit")
    assert ui.step == "home"


def test_queue_ticket_and_call_staff(kiosk_ui):
    ui = kiosk_ui
    ui.tap("call_staff")
    assert ui.session.notice.code is NoticeCode.STAFF_CALLED
    ui.tap("queue")
    assert ui.step == "queue_ticket"
    assert ui.text("ticket_number") == "A-001"  # the calling display's label
    assert len(ui.listener.wait_for_jobs(1, timeout=30)) == 1
    ui.tap("next")
    assert ui.step == "survey"
