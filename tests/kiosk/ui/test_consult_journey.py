"""The resident's way into a video consultation in the real Kivy app (preview kiosk): 相談する on
home → topic (わからない・総合案内 first) → the privacy notice (nothing starts before the Start
tap) → waiting → the call (chat, the fields shown, hang-up) → the end → finish, and nothing left;
offline said plainly with a booking instead; a procedure's 相談する preselects its topic; idle
during a call does not wipe. The worker's events are handed to the session's `deliver` as the
kiosk's clock would (the real worker and console: test_consult_journey_real.py). Screenshots of
every consult screen in ja, ja-easy and en in the run's screenshot folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.session import Step
from kiosk.ui.walk import PreviewUi
from tests.support.consult_session import RecordingSource
from tests.support.kivy_ui import frames, tap
from tests.support.paths import screenshot_dir

pytestmark = pytest.mark.timeout(120)


def _online(ui, on: bool = True) -> None:
    ui.ports.online = on
    ui.session.refresh_status()
    ui.worker.release()
    frames(2)


def _tap(ui, kid: str) -> None:
    widget = ui.root.find(kid)
    assert widget is not None, (kid, ui.root.step, ui.root.kids())
    tap(widget)
    frames(2)


def _text(ui, kid: str) -> str:
    return ui.root.find(kid).text


@pytest.fixture
def ui(kivy_window):
    with PreviewUi(kivy_window) as preview:
        preview.source = RecordingSource()
        preview.session.consult_source = preview.source
        preview.session.choose_language("ja")
        _online(preview)
        yield preview


def test_home_to_a_call_and_back_leaves_nothing(ui):
    _tap(ui, "consult")
    assert ui.root.step == "consult_topic"
    rows = [w.kid for w in ui.root.current_screen.ids.rows.children[::-1]]
    assert rows[0] == "topic_general" and _text(ui, "topic_general") == "わからない・総合案内"
    _tap(ui, "topic_general")
    assert ui.root.step == "consult_consent"
    assert not ui.source.ports  # the privacy notice first: no worker, no camera
    _tap(ui, "consult_start")
    port = ui.source.ports[0]
    assert port.asked == [("call", "general", "ja")]
    assert ui.root.step == "consult_waiting"

    deliver = ui.source.deliver
    deliver({"event": "queued", "position": 1})
    deliver({"event": "answered", "role": "front_desk", "name": "見本 一郎"})
    deliver({"event": "connected"})
    deliver({"event": "chat", "text": "こんにちは"})
    frames(2)
    assert ui.root.step == "consult_call"
    assert _text(ui, "consult_caption") == "見本 一郎（総合案内）"
    _tap(ui, "consult_yes")
    assert port.asked[-1] == ("chat", "はい")
    assert _text(ui, "consult_chat").endswith("あなた: はい")
    _tap(ui, "consult_share")  # from home: no form or list open, nothing to show
    assert port.asked[-1] == ("share", [])
    _tap(ui, "consult_share")
    assert port.asked[-1] == ("share", None)

    for _ in range(6):  # ten minutes talking without touching the screen
        ui.advance(100)
        frames(1)
    assert ui.root.step == "consult_call"

    _tap(ui, "consult_end")  # asks first (「相談を終わりますか？」): the call goes on
    assert port.asked[-1] != ("hangup",) and ui.root.step == "consult_call"
    _tap(ui, "consult_end_confirm")  # 終わる
    assert port.asked[-1] == ("hangup",)
    deliver({"event": "ended", "by": "terminal"})
    frames(2)
    assert ui.root.step == "consult_ended"
    _tap(ui, "consult_finish")
    assert ui.root.step == "home" and ui.session.consult is None
    assert not port.closed  # closing waits for the worker to exit: on the session's worker
    ui.worker.release()
    assert port.closed
    flow = ui.source.flows[0]
    assert flow.view()["chat"] == [] and flow.view()["topic"] is None
    for screen in ui.root.cached_screens:  # the call's words are gone from every screen
        if screen.name.startswith("consult_") and "consult_chat" in screen.ids:
            assert screen.ids.chat.text == "" and screen.ids.caption.text == ""


def test_offline_is_said_before_the_consent_and_a_booking_offered(ui):
    _online(ui, False)
    _tap(ui, "consult")
    assert ui.root.step == "consult_unavailable"
    assert _text(ui, "consult_why") == "この機械は、いま市役所とつながっていません。"
    assert not ui.source.flows
    _tap(ui, "consult_book")
    assert ui.root.step == "booking_topic"


def test_a_procedures_consult_button_preselects_its_topic(ui):
    ui.session.open_procedures()
    ui.session.choose_procedure("child_allowance")
    frames(2)
    _tap(ui, "consult")
    assert ui.root.step == "consult_consent"
    assert ui.session.consult["topic"] == "child_care"
    _tap(ui, "back")
    assert ui.root.step == "procedure_intro"


def test_a_checklist_items_consult_button_preselects_its_topic(ui):
    ui.session.open_life_events()
    ui.session.choose_life_event("moving_in")
    while ui.session.current_question is not None:
        ui.session.answer(ui.session.current_question.id, True)
    frames(2)
    assert ui.root.step == "checklist"
    button = ui.root.find("consult_ltc_insurance_transfer")
    ui.root.current_screen.ids.list_scroll.scroll_to(button, padding=150, animate=False)
    frames(3)
    _tap(ui, "consult_ltc_insurance_transfer")
    assert ui.session.step is Step.CONSULT_CONSENT
    assert ui.session.consult["topic"] == "care"


@pytest.mark.parametrize("lang", ["ja", "ja-easy", "en"])
def test_every_consult_screen_is_drawn(kivy_window, lang):
    shots = screenshot_dir()
    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language(lang)
        names = []
        for name in ui.walk():
            if name.startswith("consult_"):
                frames(3)
                assert not ui.app.translator(lang).missing(), (lang, name)
                target = shots / f"consult-journey-{lang}-{name}.png"
                Path(kivy_window.screenshot(str(target))).replace(target)
                names.append(name)
    assert names == [
        "consult_unavailable",
        "consult_topic",
        "consult_consent",
        "consult_waiting",
        "consult_call",
        "consult_handover",
        "consult_ended",
    ]


@pytest.mark.parametrize(
    ("lang", "when"),
    [
        (
            "ja",
            "ビデオ相談の受付時間：\n月曜日〜金曜日 8:30〜17:15\n土曜日 9:00〜12:00\n"
            "祝日と、12月29日から1月3日まではお休みです。\n"
            "次に相談できるのは 2026年11月30日（月）8:30 からです。",
        ),
        (
            "en",
            "Hours for video consultation:\nMonday to Friday, 8:30 to 17:15\nSaturday, 9:00 to 12:00\n"
            "Closed on national holidays and from 29 December to 3 January.\n"
            "Next time you can talk: Mon 30 November 2026, 8:30",
        ),
        (
            "ja-easy",
            "ビデオ そうだんが できる じかん：\nげつようびから きんようびまで 8:30から 17:15まで\n"
            "どようび 9:00から 12:00まで\n"
            "しゅくじつ と、12がつ 29にち から 1がつ 3にち までは やすみです。\n"
            "つぎに そうだん できるのは 11がつ 30にち（げつようび） 8:30 から です。",
        ),
    ],
)
def test_outside_hours_says_when_calls_are_taken(kivy_window, lang, when):
    from kiosk.session import ConsultHours

    with PreviewUi(kivy_window) as ui:
        ui.session.consult_source = RecordingSource()
        ui.session.choose_language(lang)
        _online(ui)
        hours = ConsultHours.parse(["mon-fri 08:30-17:15", "sat 09:00-12:00"])
        ui.session.consult_hours_source = lambda: hours  # city hall's, from the signed config
        sunday = dt.datetime(2026, 11, 29, 11, 0).timestamp()  # local time: closed on Sundays
        ui.session._wall_clock = lambda: sunday
        _tap(ui, "consult")
        assert ui.root.step == "consult_unavailable"
        assert _text(ui, "consult_when") == when
        frames(3)
        target = screenshot_dir() / f"consult-journey-{lang}-consult_outside_hours.png"
        Path(kivy_window.screenshot(str(target))).replace(target)


@pytest.mark.parametrize(
    ("lang", "first", "last"),
    [
        ("ja", "きょうは祝日のため、市役所はお休みです。",
         "次に相談できるのは 2026年11月24日（火）8:30 からです。"),
        ("en", "Today is a national holiday, and city hall is closed.",
         "Next time you can talk: Tue 24 November 2026, 8:30"),
        ("vi", "Hôm nay là ngày lễ, tòa thị chính nghỉ.",
         "Lần tới có thể tư vấn: từ Thứ Ba, 24/11/2026, 8:30"),
    ],
)  # fmt: skip
def test_on_a_national_holiday_the_kiosk_says_so_and_when_it_opens(kivy_window, lang, first, last):
    """Monday 23 November 2026 (勤労感謝の日) at 10:00 is inside "mon-fri 08:30-17:15", yet city
    hall is closed: the resident is told why, and the next opening skips the holiday."""
    from kiosk.session import ConsultHours

    with PreviewUi(kivy_window) as ui:
        ui.session.consult_source = RecordingSource()
        ui.session.choose_language(lang)
        _online(ui)
        hours = ConsultHours.default()  # mon-fri 08:30-17:15, holidays closed
        ui.session.consult_hours_source = lambda: hours
        holiday = dt.datetime(2026, 11, 23, 10, 0).timestamp()
        ui.session._wall_clock = lambda: holiday
        _tap(ui, "consult")
        assert ui.root.step == "consult_unavailable"
        lines = _text(ui, "consult_when").split("\n")
        assert lines[0] == first and lines[-1] == last
        frames(3)
        target = screenshot_dir() / f"consult-journey-{lang}-consult_holiday.png"
        Path(kivy_window.screenshot(str(target))).replace(target)
