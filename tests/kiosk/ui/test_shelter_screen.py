"""The shelter screen in the real app (offscreen window, a real queue host on loopback, the test
cupsd's capture queue): shelter mode's button on home → the notices in large type in the
screen's language where the notice has it (else the Japanese original under a line saying it
is not translated yet, never another foreign language), each opening with when it was posted
and saying where it comes from → printed on the roll → 「避難所の受付をする」 (the card step).
Drawn in ja, en, ja-easy and vi (screenshots in the run's screenshot folder)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.support.center import running_host, terminal_queue
from tests.support.kiosk_driver import pdf_text
from tests.support.paths import screenshot_dir
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(180)

# As `city_notices` gives it: posted by city hall at 10:30 on 4 November (JST).
POSTED = dt.datetime(2026, 11, 4, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))
CITY = [{"id": "water-1", "source": "city", "kind": "water", "until": None,
         "at": POSTED.timestamp(), "published": POSTED.timestamp(),
         "ja": "給水車は14時から正面玄関前に来ます。容器をお持ちください。",
         "en": "The water truck comes to the main entrance at 14:00. Bring a container."}]  # fmt: skip
# This machine's local time is the kiosk's (Asia/Tokyo on a kiosk; whatever the test runs in).
LOCAL = dt.datetime.fromtimestamp(POSTED.timestamp())
CITY_WHEN = {
    "ja": f"{LOCAL.month}月{LOCAL.day}日（{'月火水木金土日'[LOCAL.weekday()]}）"
    f"{LOCAL.hour}:{LOCAL.minute:02d} に掲示",
    "en": f"Posted {LOCAL:%a} {LOCAL.day} {LOCAL:%B}, {LOCAL.hour}:{LOCAL.minute:02d}",
}
STAFF_WHEN = {  # posted just now, on the host's clock: today's day and some time
    "ja": r"^\d{1,2}月\d{1,2}日（.）\d{1,2}:\d\d に掲示$",
    "en": r"^Posted \w{3} \d{1,2} \w+, \d{1,2}:\d\d$",
    "ja-easy": r"^\d{1,2}がつ \d{1,2}にち（.+ようび） \d{1,2}:\d\d に だした おしらせ$",
    "vi": r"^Đăng: .+ \d\d/\d\d, \d{1,2}:\d\d$",
}


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
        ui.session.ports.queue = terminal_queue(tmp_path, server, kit)
        ui.session.shelter_mode = True
        for lang in ("ja", "en", "ja-easy", "vi"):
            ui.session.choose_language(lang)
            ui.app.render()
            ui.tap("shelter")
            assert ui.step == "shelter"
            assert not ui.app.translator(lang).missing(), lang
            _shot(ui, f"shelter-{lang}")
            # Newest first: the staff's notice posted now, then city hall's of 4 November
            # (review: the month-old water-truck notice on top read as today's).
            second, first = ui.text("shelter_notice_0"), ui.text("shelter_notice_1")
            assert "18:00 in the gym" in second or "夕食は18時から" in second
            # Each notice says when it was posted, on its own line before it (after the
            # not-translated line): "14時から" is then of a known day.
            lines = first.split("\n"), second.split("\n")
            at = 1 if lang in ("ja-easy", "vi") else 0
            assert re.match(STAFF_WHEN[lang], lines[1][at]), (lang, lines[1])
            if lang in CITY_WHEN:
                assert lines[0][0] == CITY_WHEN[lang]
            else:
                assert re.match(STAFF_WHEN[lang], lines[0][at]), (lang, lines[0])
            if lang == "ja":
                assert lines[0][1].startswith("【給水】給水車は14時から")
                assert "夕食は18時から" in second
            elif lang == "en":
                assert lines[0][1].startswith(
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
            # The button says what it is for.
            label = {"ja": "避難所の受付をする", "ja-easy": "ひなんじょに はいる うけつけ",
                     "en": "Register at this shelter", "vi": "Đăng ký vào nơi sơ tán này"}  # fmt: skip
            assert ui.text("shelter_checkin") == label[lang]
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


POSTED_WORDS = [
    ("2026-11-04T10:30", "ja", "11月4日（水）10:30"),
    ("2026-11-04T10:30", "ja-easy", "11がつ 4にち（すいようび） 10:30"),
    ("2026-11-04T10:30", "en", "Wed 4 November, 10:30"),
    ("2026-11-04T10:30", "zh-Hans", "11月4日（周三）10:30"),
    ("2026-11-04T10:30", "ko", "11월 4일 (수) 10:30"),
    ("2026-11-04T10:30", "pt-BR", "qua. 4 de novembro, 10:30"),
    ("2026-11-04T09:05", "vi", "Thứ Tư 04/11, 9:05"),
    ("2026-11-04", "ja", "11月4日（水）"),  # a city notice without its own time: its day only
    ("2026-11-04", "en", "Wed 4 November"),
    ("", "ja", ""),  # unknown: no line at all
    ("11月4日", "ja", ""),
]


@pytest.mark.parametrize(("posted", "lang", "words"), POSTED_WORDS)
def test_posting_time_in_the_readers_words(posted, lang, words):
    from kiosk.ui.screens._shelter import posted_words

    assert posted_words(posted, lang) == words
