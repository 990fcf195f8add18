"""The shelter screen in the real app (offscreen window, a real queue host on loopback, the test
cupsd's capture queue): shelter mode's button on home → the notices in large type in the
screen's language where the notice has it (else the Japanese original under a line saying it
is not translated yet, never another foreign language), each saying where it comes from → printed on the
roll → check-in (the card step). Drawn in ja, en, ja-easy and vi (screenshots in the run's
screenshot folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.center import CenterQueue, TerminalQueue
from tests.support.center import client, running_host
from tests.support.kiosk_driver import pdf_text
from tests.support.paths import screenshot_dir
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(180)

CITY = [{"id": "water-1", "source": "city", "kind": "water", "until": None,
         "ja": "給水車は14時から正面玄関前に来ます。容器をお持ちください。",
         "en": "The water truck comes to the main entrance at 14:00. Bring a container."}]  # fmt: skip


def _shot(ui, name: str) -> None:
    shots = screenshot_dir()
    shots.mkdir(parents=True, exist_ok=True)
    ui.frames(3)
    taken = ui.window.screenshot(str(shots / f"{name}.png"))
    Path(taken).replace(shots / f"{name}.png")  # Kivy numbers the file


def test_shelter_screen_notices_print_and_check_in(kiosk_ui, tmp_path):
    ui = kiosk_ui
    central = central_kit()
    hkit, kit = device_kit(tmp_path, central, "H"), device_kit(tmp_path, central, "C01")
    with running_host(tmp_path, hkit.outbox, city_notices=lambda: CITY) as (host, server):
        host.notices.post("food", "夕食は18時から体育館で配ります。", "Dinner: 18:00 in the gym.")
        ui.session.ports.queue = TerminalQueue(
            client(server),
            CenterQueue(tmp_path / "C01-fallback.db", "higashi", mark="2"),
            kit.outbox.append,
            terminal="C01",
        )
        ui.session.shelter_mode = True
        for lang in ("ja", "en", "ja-easy", "vi"):
            ui.session.choose_language(lang)
            ui.app.render()
            ui.tap("shelter")
            assert ui.step == "shelter"
            assert not ui.app.translator(lang).missing(), lang
            _shot(ui, f"shelter-{lang}")
            first, second = ui.text("shelter_notice_0"), ui.text("shelter_notice_1")
            if lang == "ja":
                assert first.startswith("【給水】給水車は14時から")
                assert "夕食は18時から" in second
            elif lang == "en":
                assert first.startswith(
                    "Water: The water truck comes to the main entrance at 14:00."
                )
                assert "Dinner: 18:00 in the gym." in second
            else:  # no text in their language: the Japanese original, saying so above it
                note = {"ja-easy": "この おしらせは まだ やさしい にほんごに なって いません。",
                        "vi": "Thông báo này chưa được dịch. Hãy hỏi nhân viên."}[lang]  # fmt: skip
                for row in (first, second):
                    assert row.startswith(note), (lang, row)
                    assert "The water truck" not in row and "Dinner" not in row
                assert "給水車は14時から" in first and "夕食は18時から" in second
            if lang == "ja":
                assert first.endswith("（市役所から）") and second.endswith(
                    "（この避難所の職員から）"
                )
                ui.tap("print_notices")
                [pdf] = ui.listener.wait_for_jobs(1, timeout=30)
                printed = pdf_text(pdf)
                assert "避難所からのお知らせ" in printed and "正面玄関前" in printed
                assert "体育館" in printed
                ui.frames(2)
                assert ui.text("shelter_printed") == "お知らせを印刷しました。お取りください。"
            ui.tap("back")
            assert ui.step == "home"
        ui.tap("shelter")
        ui.tap("shelter_checkin")
        assert ui.step == "place_card"
        assert ui.session.procedure.id == "shelter_checkin"
