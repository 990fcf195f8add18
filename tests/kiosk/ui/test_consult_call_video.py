"""The call screen with a real call: the resident's flow drives the real call worker
(`CallRig`: namespaces, receiver, agent, the specialist's console in Debian's chromium with a
fake camera) and the preview kiosk's call screen draws the worker's pictures in the real Kivy
window: the specialist's picture changes frame after frame (distinct frames drawn, not blank),
the resident's own picture is drawn small; a message typed on the on-screen keyboard reaches the
console page; after the specialist hangs up, the screen is left and the pictures are gone.
Screenshots of the call in Japanese and English."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.call import ConsultFlow, screen_state
from kiosk.ui.walk import PreviewUi
from tests.support.consult import Pump
from tests.support.kivy_ui import frames, tap
from tests.support.paths import screenshot_dir

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")

PASSWORD = "correct horse battery"


def _show(ui, flow):
    frames(2)
    ui.root.render(screen_state(flow))
    frames(2)
    return ui.root.current_screen


def _draw_until(predicate, loops: int = 900) -> None:
    """Run the Kivy loop (its clock draws the pictures) until `predicate()`; bounded."""
    for _ in range(loops):
        if predicate():
            return
        frames(1)
    raise AssertionError("the call screen did not draw the pictures")


def _shot(window, name: str) -> None:
    shots = screenshot_dir()
    Path(window.screenshot(str(shots / name))).replace(shots / name)  # Kivy numbers it


def test_the_call_screen_shows_the_real_call(kivy_window, tmp_path):
    from madoguchi.rig.call import CallRig

    with CallRig(tmp_path) as rig, PreviewUi(kivy_window) as ui:
        rig.add_staff("tanaka", PASSWORD, "specialist")
        pump = Pump(timeout=30.0)

        def open_port():
            pump.port, pump.seen = rig.call_port(), 0
            return pump.port

        ui.session.choose_language("ja")
        ui.app.render()
        flow = ConsultFlow(open_port, "ja")
        flow.choose_topic("child_care")
        flow.start()
        pump.until(flow, lambda v: v.get("position") == 1)
        console = rig.console_page("tanaka", PASSWORD)
        console.wait_for_selector("#queue tbody tr button.accept")
        console.click("#queue tbody tr button.accept")
        pump.until(flow, lambda v: v["step"] == "in_call")
        assert flow.video is not None  # the port accepted the worker's buffer

        screen = _show(ui, flow)
        assert screen.name == "consult_call"
        main, me = ui.root.find("consult_video"), ui.root.find("consult_self_video")
        distinct: set[bytes] = set()

        def drawn() -> bool:
            if main.texture is not None:
                distinct.add(bytes(main.texture.pixels))
            return len(distinct) >= 10 and me.frames_drawn >= 3

        _draw_until(drawn)
        assert main.frames_drawn >= 10 and tuple(main.texture.size) == (640, 480)
        pixels = next(iter(distinct))
        assert sum(1 for i in range(0, len(pixels), 4 * 101) if max(pixels[i : i + 3]) > 40) > 100
        assert tuple(me.texture.size) == (240, 180)
        console.evaluate("() => window.consult.sendChat('保険証をお持ちですか？')")
        pump.until(flow, lambda v: v["chat"])
        _show(ui, flow)
        _draw_until(lambda: main.frames_drawn >= 3)
        _shot(kivy_window, "consult-kiosk-ja-call-real.png")

        # 文字で書く: a line typed on the kana keyboard reaches the specialist's page.
        tap(ui.root.find("consult_type"))
        for key in ("は", "い"):
            tap(ui.root.find(f"consult_kb_kana_key_{key}"))
        tap(ui.root.find("consult_kb_kana_key_OK"))
        console.wait_for_function(
            "() => window.consult.chat.some(m => !m.mine && m.text === 'はい')", timeout=15_000
        )
        _show(ui, flow)
        assert ui.root.find("consult_chat").text.endswith("あなた: はい")

        ui.session.choose_language("en")
        ui.app.render()
        _show(ui, flow)
        before = main.frames_drawn
        _draw_until(lambda: main.frames_drawn >= before + 3)
        _shot(kivy_window, "consult-kiosk-en-call-real.png")

        console.click("#hangup")
        pump.until(flow, lambda v: v["step"] == "ended")
        assert _show(ui, flow).name == "consult_ended"
        assert main.texture is None and me.texture is None  # blanked and let go
        flow.wipe()
        assert pump.port.wait_for("exited", 15)["code"] == 0
        assert not list(Path("/dev/shm").glob(f"madoguchi-call-{pump.port.pid}-*"))
