"""The resident's consultation screens (kiosk/ui/screens/_call.py) in the real Kivy window of the
preview kiosk: each step of `kiosk.call.flow.ConsultFlow` has its screen (consent, waiting with
the hand-over notice, the call with captions, chat, show my form and mute, the end with a booking
or a new call), real touches call the flow, and every screen is drawn in Japanese and English
(screenshots in the run's screenshot folder). The worker's events are fed to the flow as the
kiosk hands them over; the worker itself is driven end to end in test_consult_room.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.call import ConsultFlow, screen_state
from kiosk.ui.walk import PreviewUi
from tests.support.kivy_ui import frames, tap
from tests.support.paths import screenshot_dir

pytestmark = pytest.mark.timeout(120)

FORM = [("転入日 Moving-in date", "2026-12-01"), ("世帯人数 Household", "3")]


class RecordingPort:
    """What the flow asked of its call worker (the real worker: test_consult_room.py)."""

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def call(self, topic, language):
        self.asked.append(("call", topic, language))

    def chat(self, text):
        self.asked.append(("chat", text))

    def share(self, fields):
        self.asked.append(("share", fields))

    def mute(self, on):
        self.asked.append(("mute", on))

    def print_result(self, ok, reason=""):
        self.asked.append(("print_result", ok))

    def hangup(self):
        self.asked.append(("hangup",))

    def close(self, timeout=10.0):
        self.asked.append(("close",))
        return 0


def _show(ui, flow) -> object:
    frames(2)  # the session's own pending render first (it shows the session's step)
    ui.root.render(screen_state(flow))
    frames(2)
    return ui.root.current_screen


def _text(ui, kid: str) -> str:
    return ui.root.find(kid).text


def _tap(ui, flow, kid: str) -> None:
    tap(ui.root.find(kid))
    _show(ui, flow)  # the tap re-rendered the session's own step; the consultation is shown again


def test_each_step_of_a_consultation_has_its_screen_and_taps_call_the_flow(kivy_window):
    ports: list[RecordingPort] = []

    def open_port():
        ports.append(RecordingPort())
        return ports[-1]

    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language("ja")
        ui.app.render()
        flow = ConsultFlow(open_port, "ja")
        flow.form_fields = list(FORM)
        flow.choose_topic("welfare")
        assert _show(ui, flow).name == "consult_consent"
        assert "録画・録音しません" in _text(ui, "consent_camera")
        assert not ports  # nothing starts before the tap
        _tap(ui, flow, "consult_start")
        assert ports[0].asked == [("call", "welfare", "ja")]

        flow.on_event({"event": "queued", "position": 2})
        flow.on_event({"event": "position", "position": 2, "estimate_s": 170})
        assert _show(ui, flow).name == "consult_waiting"
        assert _text(ui, "consult_position") == "あなたは2番目です。"
        assert _text(ui, "consult_estimate") == "待ち時間は およそ3分です。このままお待ちください。"
        assert ui.root.find("consult_cancel").style == "secondary"  # not the red of 係員を呼ぶ
        assert _text(ui, "consult_handover") == ""
        assert _text(ui, "camera_on") == "カメラ：オン"

        flow.on_event({"event": "answered", "role": "specialist", "name": "田中"})
        flow.on_event({"event": "connected"})
        flow.on_event(
            {
                "event": "participants",
                "staff": [
                    {"role": "specialist", "name": "田中"},
                    {"role": "interpreter", "name": "Nguyen"},
                ],
            }
        )
        flow.on_event({"event": "chat", "text": "保険証をお持ちですか？"})
        assert _show(ui, flow).name == "consult_call"
        assert _text(ui, "consult_caption") == "田中（担当者）"
        assert _text(ui, "consult_others") == "ほかに通話に参加している人：Nguyen（通訳）"
        assert _text(ui, "consult_chat") == "職員: 保険証をお持ちですか？"
        _tap(ui, flow, "consult_yes")
        assert ports[0].asked[-1] == ("chat", "はい")
        assert _text(ui, "consult_chat").endswith("あなた: はい")
        assert _text(ui, "consult_sharing") == ""
        _tap(ui, flow, "consult_share")
        assert ports[0].asked[-1] == ("share", FORM)  # exactly the fields, after the tap
        assert _text(ui, "consult_share") == "フォームを見せるのをやめる"
        assert _text(ui, "consult_sharing") == "担当者は、あなたが見せたフォームを見ています。"
        _tap(ui, flow, "consult_share")
        assert ports[0].asked[-1] == ("share", None)
        _tap(ui, flow, "consult_mute")
        assert ports[0].asked[-1] == ("mute", True)
        assert _text(ui, "consult_mute") == "マイクを入れる"

        flow.on_event({"event": "handed_over", "topic": "tax"})
        assert _show(ui, flow).name == "consult_waiting"
        assert _text(ui, "consult_handover") == "別の担当におつなぎしています。"
        assert _text(ui, "consult_estimate") == (
            "担当者の手が空きしだい おつなぎします。このままお待ちください。"
        )

        flow.on_event({"event": "ended", "by": "network"})
        assert _show(ui, flow).name == "consult_ended"
        assert _text(ui, "consult_title") == "通話が途中で切れました"  # not 相談が終わりました
        assert _text(ui, "consult_reason") == "あなたの操作のせいではありません。"
        assert _text(ui, "consult_offer") == "もう一度つなぐか、予約をしてください。"
        assert not ui.root.find("consult_reconnect").disabled
        assert ui.root.find("consult_reconnect").style == "primary"
        assert ui.root.find("consult_book").style == "secondary"
        assert not ui.root.find("consult_book").disabled
        _tap(ui, flow, "consult_reconnect")
        assert ports[1].asked == [("call", "tax", "ja")]  # a new call, on the new topic

        flow.on_event({"event": "ended", "by": "console"})
        _show(ui, flow)
        assert _text(ui, "consult_title") == "相談が終わりました。"
        assert _text(ui, "consult_reason") == "担当者が相談を終えました。"
        assert ui.root.find("consult_book").disabled and ui.root.find("consult_reconnect").disabled
        tap(ui.root.find("consult_finish"))
        frames(2)
        assert flow.view()["step"] == "topic" and flow.form_fields == []  # wiped
        assert ui.root.current_screen.name == "home"


def test_quick_replies_show_in_the_residents_language_and_reach_staff_in_japanese(kivy_window):
    port = RecordingPort()
    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language("en")
        ui.app.render()
        flow = ConsultFlow(lambda: port, "en")
        flow.choose_topic("welfare")
        flow.start()
        flow.on_event({"event": "connected"})
        _show(ui, flow)
        _tap(ui, flow, "consult_yes")
        assert port.asked[-1] == ("chat", "はい（Yes）")  # staff read Japanese, and the words
        assert _text(ui, "consult_chat").endswith("You: Yes")
        _tap(ui, flow, "consult_again")
        assert port.asked[-1] == ("chat", "もう一度お願いします（Please say it again.）")
        assert _text(ui, "consult_chat").endswith("You: Please say it again.")
        assert _text(ui, "consult_again") == "Say it again"

        flow.on_event({"event": "ended", "by": "network"})
        _show(ui, flow)
        assert _text(ui, "consult_title") == "The call was cut off."
        assert _text(ui, "consult_reason") == "This was not your fault."
        assert ui.root.find("consult_reconnect").style == "primary"
        flow.wipe()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_consultation_screens_are_drawn_in_japanese_and_english(kivy_window, lang):
    shots = screenshot_dir()

    def states(flow):
        flow.choose_topic("child_care")
        yield "consent"
        flow.start()
        flow.on_event({"event": "queued", "position": 1})
        flow.on_event({"event": "position", "position": 1, "estimate_s": 240})
        yield "waiting"
        flow.on_event({"event": "answered", "role": "specialist", "name": "田中 花子"})
        flow.on_event({"event": "connected"})
        flow.on_event(
            {
                "event": "participants",
                "staff": [
                    {"role": "specialist", "name": "田中 花子"},
                    {"role": "interpreter", "name": "Nguyen Lan"},
                ],
            }
        )
        flow.on_event({"event": "chat", "text": "こんにちは。保育園の申し込みですね。"})
        flow.send_chat("はい、4月からです")
        flow.show_form(FORM)
        yield "call"
        flow.on_event({"event": "handed_over", "topic": "welfare"})
        yield "handover"
        flow.on_event({"event": "ended", "by": "refused", "reason": "no_staff"})
        yield "ended"

    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language(lang)
        ui.app.render()
        flow = ConsultFlow(lambda: RecordingPort(), lang)
        for name in states(flow):
            screen = _show(ui, flow)
            assert screen.name.startswith("consult_")
            assert not ui.app.translator(lang).missing(), (lang, name)
            taken = kivy_window.screenshot(str(shots / f"consult-kiosk-{lang}-{name}.png"))
            Path(taken).replace(shots / f"consult-kiosk-{lang}-{name}.png")  # Kivy numbers it
        if lang == "en":
            assert _text(ui, "consult_reason") == "No specialist is available right now."
            assert _text(ui, "consult_offer") == "You can book a time to talk instead."
        flow.wipe()
