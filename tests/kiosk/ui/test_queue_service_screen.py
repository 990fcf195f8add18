"""The queue_service screen in the real app (offscreen window, real queue host on loopback, the
test cupsd's capture queue): 番号札 → the choice of service with each one's wait → a ticket for
the service touched, printed; 予約あり → the slip's number on the number pad (this terminal's
device id and the hyphens filled in, the resident types the 7 digits) → a wrong check digit is
said over the pad and corrected there → with central out of reach, said plainly and a 手続き
ticket offered; with central there (real agent, receiver, processing and booking applier), a
booking for today typed on the pad gives its 予約あり ticket. Drawn in ja, en, ja-easy and vi
(screenshots in the run's screenshot folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.center import running_host, terminal_queue
from tests.support.kiosk_driver import pdf_text
from tests.support.paths import screenshot_dir
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(180)


def _shot(ui, name: str) -> None:
    shots = screenshot_dir()
    shots.mkdir(parents=True, exist_ok=True)
    ui.frames(3)
    taken = ui.window.screenshot(str(shots / f"{name}.png"))
    Path(taken).replace(shots / f"{name}.png")  # Kivy numbers the file


def test_choose_a_service_then_the_ticket_and_a_booking_not_checked(kiosk_ui, tmp_path):
    ui = kiosk_ui
    central = central_kit()
    hkit, kit = device_kit(tmp_path, central, "H"), device_kit(tmp_path, central, "C01")
    with running_host(tmp_path, hkit.outbox) as (host, server):
        for service in ("procedure", "procedure", "certificate"):
            host.queue.issue(service, "ja")
        ui.session.ports.queue = terminal_queue(tmp_path, server, kit)
        waits = host.queue.estimates(ui.session.config.minutes_per_person)
        for lang in ("ja", "en", "ja-easy", "vi"):
            ui.session.choose_language(lang)
            ui.app.render()
            ui.tap("queue")
            assert ui.step == "queue_service"
            assert not ui.app.translator(lang).missing(), lang
            _shot(ui, f"queue_service-{lang}")
            if lang == "ja":
                assert ui.text("service_procedure").splitlines() == [
                    "手続き", "引っ越し・家族・保険などの届け出や申請",
                    f"待ち時間：約{waits['procedure']}分",
                ]  # fmt: skip
                assert "予約票の番号を入れます" in ui.text("service_reserved")
                assert "待ち時間" not in ui.text("service_reserved")
            ui.tap("service_reserved")
            # The number pad: C01 (this terminal's id) and the hyphens are there already.
            assert ui.text("reference_display") == "C01 - □□□□□□ - □"
            assert "C01" in ui.text("reference_filled_in")
            assert ui.root.find("reference_key_5") is not None
            assert ui.root.find("reference_letters_key_Q").get_root_window() is None
            if lang == "ja":
                assert ui.text("reference_where") == (
                    "予約票の「受付番号」の下に大きく印刷されている番号です。"
                )
            # C01-000042-7: its check digit is wrong (C01-000042-6 is the slip's number)
            ui.type("reference", "0000427")
            assert ui.text("reference_display") == "C01 - 000042 - 7"
            _shot(ui, f"queue_service-{lang}-slip-number")
            ui.tap("reference_key_OK")
            assert ui.session.queue_choice.reservation == "mistyped"  # never sent
            assert ui.root.find("reference_key_OK").get_root_window() is not None  # pad stays
            assert ui.text("reference_display") == "C01 - 000042 - 7"  # to correct, not retype
            if lang == "ja":
                assert ui.text("reservation_message") == (
                    "この番号は正しくありません。数字の打ち間違いがあるかもしれません。"
                    "予約票と見比べて直してください。"
                )
            _shot(ui, f"queue_service-{lang}-slip-number-mistyped")
            ui.tap("reference_key_OK")  # unchanged: said again, still not sent
            assert ui.session.queue_choice.reservation == "mistyped"
            ui.tap("reference_key_BS")
            ui.type("reference", "6")
            ui.tap("reference_key_OK")
            assert ui.step == "queue_service"  # no connection to central here: said plainly
            ui.frames(2)
            offer, back = ui.root.find("offer_procedure"), ui.root.find("back")
            # the button the message names is there to see and tap: beside Back, twice as wide
            # (review: it was a 20 px strip behind the scroll arrow)
            assert offer is not None and offer.get_root_window() is not None
            assert offer.width >= 1.5 * back.width, (offer.width, back.width)
            assert offer.to_window(offer.x, 0)[0] >= back.to_window(back.right, 0)[0]
            row = back.parent  # and inside the row, not pushed out past its end
            assert offer.to_window(offer.right, 0)[0] <= row.to_window(row.right, 0)[0] + 1
            rows = ui.root.current_screen.ids.rows
            assert rows.parent.scroll_y == 1.0  # back at the top: each row's name in view
            _shot(ui, f"queue_service-{lang}-not-checked")
            if lang == "ja":
                assert ui.text("reservation_message") == (
                    "いま予約を確認できません。手続きの番号札をお取りください。"
                    "窓口で職員が確認します。"
                )
                assert "000042" not in ui.screen_texts()  # the typed number is gone
            ui.tap("back")
            assert ui.step == "home"
        ui.session.choose_language("ja")
        ui.app.render()
        ui.tap("queue")
        ui.tap("service_certificate")
        assert ui.step == "queue_ticket"
        assert ui.text("ticket_number") == "B-002"
        [pdf] = ui.listener.wait_for_jobs(1, timeout=30)
        assert "B-002" in pdf_text(pdf)
        assert [t.label for t in host.queue.waiting_tickets()][-1] == "B-002"


def test_too_few_digits_are_said_and_other_letters_open_the_letters_keyboard(kiosk_ui, tmp_path):
    ui = kiosk_ui
    central = central_kit()
    hkit, kit = device_kit(tmp_path, central, "H"), device_kit(tmp_path, central, "C01")
    with running_host(tmp_path, hkit.outbox) as (_host, server):
        ui.session.ports.queue = terminal_queue(tmp_path, server, kit)
        _too_few_digits_and_other_letters(ui)


def _too_few_digits_and_other_letters(ui):
    ui.tap("queue")
    ui.tap("service_reserved")
    ui.type("reference", "00004")
    assert ui.text("reference_display") == "C01 - 00004□ - □"
    ui.tap("reference_key_OK")
    assert ui.session.queue_choice.reservation == "incomplete"  # never sent
    assert ui.text("reservation_message") == (
        "数字が足りません。予約票の番号の数字を7けた全部入れてください。"
    )
    assert ui.text("reference_display") == "C01 - 00004□ - □"
    # A slip of another terminal: the whole number on the letters keyboard, as before
    ui.tap("reference_other")
    assert ui.root.find("reference_key_5").get_root_window() is None
    ui.type("reference_letters", "K9-000001-1")
    assert ui.text("reference_display") == "K9-000001-1"
    ui.tap("reference_other")  # back to the pad: what was typed there is still there
    assert ui.text("reference_display") == "C01 - 00004□ - □"
    ui.tap("back")  # closes the pad and forgets both
    assert ui.step == "queue_service" and ui.text("reservation_message") == ""
    ui.tap("service_reserved")
    assert ui.text("reference_display") == "C01 - □□□□□□ - □"
    ui.tap("reference_other")
    assert ui.text("reference_display") == "予約票の番号を入れてください"


def test_todays_booking_typed_on_the_pad_gives_its_ticket(kiosk_ui, tmp_path):
    """The slip's 7 digits on the pad reach central as the number printed on the slip
    (`C01-<6 digits>-<check>`): a booking central confirmed for today gives 予約あり at once."""
    import time

    from kiosk.services import OnlineAdapter
    from sync.central.bookings import BookingApplier, booking_status_handler, kiosk_reference
    from sync.central.processing import Processor
    from sync.central.stores import open_store
    from tests.support.sync import KEY_ID, agent_for, start_receiver, wait_until

    ui = kiosk_ui
    central = central_kit()
    db = str(tmp_path / "central.db")
    start = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 120))
    store = open_store(db)
    store.sync_slots([("tax-today", "tax", start, 30, 1)])
    store.close()
    hkit, kit = device_kit(tmp_path, central, "H"), device_kit(tmp_path, central, "C01")
    seq = kit.outbox.append(
        "booking", {"topic": "tax", "slot": "tax-today", "start": start, "request_id": "r-1"}
    ).seq
    reference = kiosk_reference("C01", seq)  # what the slip says
    handlers = {"consultation.booking_status": booking_status_handler(lambda: open_store(db))}
    receiver = start_receiver(central, db, handlers=handlers)
    agent = agent_for(kit, central, receiver.endpoint).start()
    try:
        assert wait_until(lambda: agent.status.connected)
        assert wait_until(lambda: kit.outbox.stats().pending == 0)
        Processor(lambda: open_store(db), {KEY_ID: central.sealing_key}).drain()
        BookingApplier(lambda: open_store(db)).drain()
        with running_host(tmp_path, hkit.outbox) as (host, server):
            ui.session.ports.queue = terminal_queue(tmp_path, server, kit)
            ui.session.ports.online = OnlineAdapter(agent)
            ui.tap("queue")
            ui.tap("service_reserved")
            digits = reference.split("-", 1)[1].replace("-", "")  # 0000016, say
            ui.type("reference", digits)
            assert ui.text("reference_display") == f"C01 - {digits[:6]} - {digits[6]}"
            ui.tap("reference_key_OK")
            assert ui.until(lambda: ui.step == "queue_ticket")
            assert ui.text("ticket_number") == "R-001"
            assert [t.label for t in host.queue.waiting_tickets()] == ["R-001"]
    finally:
        agent.stop()
        receiver.stop()
