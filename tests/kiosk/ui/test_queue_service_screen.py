"""The queue_service screen in the real app (offscreen window, real queue host on loopback, the
test cupsd's capture queue): 番号札 → the choice of service with each one's wait → a ticket for
the service touched, printed; 予約あり → the slip's number on the keyboard → with central out of
reach, said plainly and a 手続き ticket offered. Drawn in ja, en, ja-easy and vi (screenshots in
the run's screenshot folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.center import CenterQueue, TerminalQueue
from tests.support.center import client, running_host
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
        ui.session.ports.queue = TerminalQueue(
            client(server),
            CenterQueue(tmp_path / "C01-fallback.db", "higashi", mark="2"),
            kit.outbox.append,
            terminal="C01",
        )
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
            ui.type("reference", "C01-000042-7")
            _shot(ui, f"queue_service-{lang}-slip-number")
            ui.tap("reference_key_OK")
            assert ui.step == "queue_service"  # no connection to central here: said plainly
            assert ui.root.find("offer_procedure") is not None
            ui.frames(2)
            rows = ui.root.current_screen.ids.rows
            assert rows.parent.scroll_y == 1.0  # back at the top: each row's name in view
            _shot(ui, f"queue_service-{lang}-not-checked")
            if lang == "ja":
                assert ui.text("reservation_message") == (
                    "いま予約を確認できません。手続きの番号札をお取りください。"
                    "窓口で職員が確認します。"
                )
                assert "C01-000042-7" not in ui.screen_texts()  # the typed number is gone
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
