"""The call screen (consult_call) in the real Kivy window of the preview kiosk, drawing pictures
from a real frame buffer (`kiosk.call._frames`, the file the call worker writes; the worker itself
writes it in tests/kiosk/call/test_consult_video.py): the specialist large, the resident small,
an interpreter's tile with their role; distinct frames are drawn as they come and none when none
came; leaving the screen blanks and drops the textures. A typed message (文字で書く) goes through
the on-screen keyboard to `ConsultFlow.send_chat`, bounded, and is shown in the chat. Screenshots
in Japanese and English."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.call import ConsultFlow, FrameReader, FrameWriter, screen_state
from kiosk.ui.screens._call import MAX_TYPED
from kiosk.ui.walk import PreviewUi
from madoguchi.core.i18n import LANGUAGES
from tests.support.kivy_ui import frames, tap
from tests.support.paths import screenshot_dir

pytestmark = pytest.mark.timeout(120)


class BufferPort:
    """What the flow asked of its call worker, with the frame buffer a worker announced (the
    real worker: tests/kiosk/call/test_consult_video.py)."""

    def __init__(self, video: FrameReader | None) -> None:
        self.asked: list[tuple] = []
        self.video = video

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


def _picture(width: int, height: int, n: int) -> bytes:
    """A frame that differs with n: horizontal bands whose colours move."""
    rows = []
    for y in range(height):
        band = (y // 20 + n) % 6
        rgb = bytes(((band * 40) % 256, (80 + band * 25) % 256, (200 - band * 30) % 256))
        rows.append(rgb * width)
    return b"".join(rows)


def _in_call(flow: ConsultFlow, interpreter: bool) -> None:
    flow.choose_topic("child_care")
    flow.start()
    flow.on_event({"event": "queued", "position": 1})
    flow.on_event({"event": "answered", "role": "specialist", "name": "田中 花子"})
    flow.on_event({"event": "connected"})
    if interpreter:
        staff = [
            {"role": "specialist", "name": "田中 花子", "stream": "main"},
            {"role": "interpreter", "name": "Nguyen Lan", "stream": "party1"},
        ]
        flow.video.set_parties(staff)  # as the port does with the worker's event
        flow.on_event({"event": "participants", "staff": staff})
    flow.on_event({"event": "chat", "text": "こんにちは。保育園の申し込みですね。"})


def _until(predicate, loops: int = 300) -> None:
    """Run the event loop (its clock draws the pictures) until `predicate()`; bounded."""
    for _ in range(loops):
        if predicate():
            return
        frames(1)
    raise AssertionError("the pictures' clock did not draw")


def _show(ui, flow):
    frames(2)
    ui.root.render(screen_state(flow))
    frames(2)
    return ui.root.current_screen


@pytest.fixture
def buffer(tmp_path):
    writer = FrameWriter(str(tmp_path))
    reader = FrameReader.open(writer.announcement(), str(tmp_path))
    yield writer, reader
    reader.close()
    writer.close()


@pytest.mark.parametrize("lang", ["ja", "ja-easy", "en", "vi"])
def test_the_call_screen_draws_the_pictures_of_the_buffer_and_forgets_them(
    kivy_window, buffer, lang
):
    writer, reader = buffer
    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language(lang)
        ui.app.render()
        flow = ConsultFlow(lambda: BufferPort(reader), lang)
        _in_call(flow, interpreter=True)
        screen = _show(ui, flow)
        assert screen.name == "consult_call"
        main, me = ui.root.find("consult_video"), ui.root.find("consult_self_video")
        tile = ui.root.find("consult_tile_party1")
        assert main.texture is None and tile is not None  # nothing written yet: nothing drawn
        assert not main.update() and main.frames_drawn == 0

        seen = set()
        for n in range(5):
            writer.write("main", 640, 480, _picture(640, 480, n))
            writer.write("self", 240, 180, _picture(240, 180, n + 3))
            writer.write("party1", 240, 180, _picture(240, 180, n + 1))
            _until(lambda n=n: main.frames_drawn == n + 1 and tile.frames_drawn == n + 1)
            assert main.update() is False  # drawn already on the clock: no second copy
            pixels = bytes(main.texture.pixels)
            assert any(pixels[i] > 30 for i in range(0, len(pixels), 4 * 997))  # not blank
            seen.add(pixels)
        assert main.frames_drawn == 5 and len(seen) == 5  # each new frame drawn once
        assert tuple(main.texture.size) == (640, 480) and main.showing
        assert tuple(me.texture.size) == (240, 180) and tile.texture is not None
        shots = screenshot_dir()
        name = f"consult-kiosk-{lang}-call-room.png"
        Path(kivy_window.screenshot(str(shots / name))).replace(shots / name)

        writer.blank("party1")  # the interpreter left: their tile empties
        _until(lambda: tile.texture is None)
        assert not tile.showing and main.texture is not None

        flow.on_event({"event": "ended", "by": "console"})
        _show(ui, flow)  # the call screen is left: cleared
        assert ui.root.current_screen.name == "consult_ended"
        assert main.texture is None and me.texture is None and main.frames_drawn == 0
        writer.write("main", 640, 480, _picture(640, 480, 9))
        frames(10)
        assert main.texture is None  # detached: nothing is drawn after the call
        flow.wipe()


def _one_to_one_call(ui, reader, lang: str):
    """The preview in `lang` and a flow in a call with one specialist, its ports recorded."""
    ui.session.choose_language(lang)
    ui.app.render()
    ports: list[BufferPort] = []

    def open_port():
        ports.append(BufferPort(reader))
        return ports[-1]

    flow = ConsultFlow(open_port, lang)
    _in_call(flow, interpreter=False)
    return flow, ports


@pytest.mark.parametrize("lang", ["ja", "ja-easy", "en", "vi"])
def test_a_typed_message_goes_to_the_flow_and_is_shown_large(kivy_window, buffer, lang):
    writer, reader = buffer
    with PreviewUi(kivy_window) as ui:
        flow, ports = _one_to_one_call(ui, reader, lang)
        writer.write("main", 640, 480, _picture(640, 480, 1))
        writer.write("self", 240, 180, _picture(240, 180, 2))
        screen = _show(ui, flow)
        tap(ui.root.find("consult_type"))
        kana = lang in ("ja", "ja-easy")
        assert screen.typing and screen.keyboard == ("kana" if kana else "latin")
        frames(2)
        assert ui.root.find("consult_yes").get_root_window() is None  # the keyboard's place now
        keys = ["こ", "ん", "に", "ち", "は"] if kana else list("THANKS")
        for key in keys:
            tap(ui.root.find(f"consult_kb_{screen.keyboard}_key_{key}"))
        typed = "こんにちは" if kana else "THANKS"
        assert ui.root.find("consult_typed").text == typed
        shots = screenshot_dir()
        name = f"consult-kiosk-{lang}-call-typing.png"
        taken = kivy_window.screenshot(str(shots / name))
        Path(taken).replace(shots / name)
        tap(ui.root.find(f"consult_kb_{screen.keyboard}_key_OK"))
        _show(ui, flow)
        assert ports[0].asked[-1] == ("chat", typed)
        assert not screen.typing and not screen.typed_text
        assert ui.root.find("consult_chat").text.endswith(f": {typed}")
        name = f"consult-kiosk-{lang}-call-chat.png"
        taken = kivy_window.screenshot(str(shots / name))
        Path(taken).replace(shots / name)

        # Bounded: the keyboard takes MAX_TYPED characters and no more; Cancel sends nothing.
        tap(ui.root.find("consult_type"))
        kb = screen._keyboards[screen.keyboard]
        for _ in range(MAX_TYPED + 5):
            kb.press("1")
        assert len(kb.value) == MAX_TYPED
        frames(2)
        assert ui.root.find("consult_typed").text == "…" + "1" * 16  # the field keeps its height
        tap(ui.root.find("consult_type_cancel"))
        assert ports[0].asked[-1] == ("chat", typed) and not screen.typing
        # OK on nothing typed sends nothing
        tap(ui.root.find("consult_type"))
        tap(ui.root.find(f"consult_kb_{screen.keyboard}_key_OK"))
        assert ports[0].asked[-1] == ("chat", typed)
        flow.wipe()


@pytest.mark.parametrize("lang", ["ja", "ja-easy", "en", "vi"])
def test_ending_asks_first_and_the_call_goes_on_meanwhile(kivy_window, buffer, lang):
    """相談を終える asks 「相談を終わりますか？」 with 終わる (red, left) and 続ける (blue, far apart,
    under the finger that tapped end); while it asks, the pictures keep coming and nothing is said to the worker;
    続ける goes back to the call, 終わる ends it."""
    writer, reader = buffer
    with PreviewUi(kivy_window) as ui:
        flow, ports = _one_to_one_call(ui, reader, lang)
        screen = _show(ui, flow)
        main = ui.root.find("consult_video")
        writer.write("main", 640, 480, _picture(640, 480, 1))
        _until(lambda: main.frames_drawn == 1)

        asked = ui.root.find("consult_end")
        tapped_x = asked.to_window(asked.center_x, asked.center_y)[0]
        tap(asked)
        frames(2)
        question, keep = ui.root.find("consult_end_question"), ui.root.find("consult_end_keep")
        end = ui.root.find("consult_end_confirm")
        assert screen.confirm_end and question.get_root_window() is not None
        words = {
            "ja": ("相談を終わりますか？", "続ける", "終わる"),
            "ja-easy": ("そうだんを おわりますか？", "つづける", "おわる"),
            "en": ("End the consultation?", "Continue", "End"),
            "vi": ("Kết thúc buổi tư vấn?", "Tiếp tục", "Kết thúc"),
        }[lang]
        assert (question.text, keep.text, end.text) == words
        assert keep.style == "primary" and end.style == "danger"
        # 続ける under the finger that tapped 相談を終える (a double tap keeps the call), 終わる
        # on the other side
        assert keep.to_window(keep.x, keep.y)[0] <= tapped_x <= keep.to_window(keep.right, 0)[0]
        assert end.to_window(*end.pos)[0] < keep.to_window(*keep.pos)[0]
        gap = keep.to_window(*keep.pos)[0] - end.to_window(end.right, end.y)[0]
        assert gap >= ui.app.mm(30)  # well apart: a shaky finger does not end the call
        assert ui.root.find("consult_mute").get_root_window() is None  # in their place
        assert ("hangup",) not in ports[0].asked and flow.view()["step"] == "in_call"
        writer.write("main", 640, 480, _picture(640, 480, 2))  # the call goes on
        _until(lambda: main.frames_drawn == 2)
        assert main.showing
        shots = screenshot_dir()
        name = f"consult-kiosk-{lang}-call-end-confirm.png"
        Path(kivy_window.screenshot(str(shots / name))).replace(shots / name)

        tap(keep)  # 続ける: back to the call, nothing ended
        frames(2)
        assert not screen.confirm_end and ui.root.find("consult_mute").get_root_window()
        assert ("hangup",) not in ports[0].asked and ui.root.current_screen.name == "consult_call"

        tap(ui.root.find("consult_end"))
        frames(2)
        tap(ui.root.find("consult_end_confirm"))  # 終わる
        assert ports[0].asked[-1] == ("hangup",)
        flow.on_event({"event": "ended", "by": "terminal"})  # as the worker answers a hang-up
        assert _show(ui, flow).name == "consult_ended"
        assert not screen.confirm_end  # cleared with the screen
        flow.wipe()


LAYOUT_COMBOS = [(lang, large, hc) for lang in LANGUAGES for large in (False, True)
                 for hc in (False, True)]  # fmt: skip


def test_the_end_question_fits_in_every_language_size_and_theme(kivy_window, buffer):
    """The layout test's rules (tests/kiosk/ui/layout_checks.py `check_screen`) on the call
    screen with 「相談を終わりますか？」 showing: 7 languages × 2 text sizes × 2 themes."""
    from tests.kiosk.ui.layout_checks import check_screen

    _writer, reader = buffer
    problems: list[str] = []
    with PreviewUi(kivy_window) as ui:
        for lang, large, hc in LAYOUT_COMBOS:
            s = ui.session
            s.choose_language(lang)
            s.set_text_scale(large)
            s.set_high_contrast(hc)
            ui.app.render()
            flow = ConsultFlow(lambda: BufferPort(reader), lang)
            _in_call(flow, interpreter=False)
            screen = _show(ui, flow)
            tap(ui.root.find("consult_end"))
            frames(2)
            assert screen.confirm_end
            problems += [f"{lang}/{large}/{hc}: {p}" for p in check_screen(ui, lang)]
            flow.wipe()
            ui.app.render()  # the session's own screen again: the call screen is cleared
            assert not screen.confirm_end
        ui.session.set_text_scale(False)
        ui.session.set_high_contrast(False)
    unique = list(dict.fromkeys(problems))
    assert not unique, "\n".join(unique[:40])
