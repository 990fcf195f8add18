"""The resident's journey into a real video consultation, in the real Kivy app: from the
checklist of a move, 相談する beside an item (its topic preselected) → the privacy notice (no
worker before the Start tap) → waiting → a specialist accepts in the console (Debian's
chromium) → the call: the caption, chat both ways, the checklist shown to the specialist
(exactly its fields, after the resident's tap), ten idle minutes without a wipe → the resident
hangs up → the end screen → finish: home, the worker gone, nothing of the call left. The call
worker is the real one (aiortc, synthetic media) in network namespace A of `CallRig`; its events
reach the session on Kivy's clock (`kiosk.call.source.consult_source`), as in the kiosk. And
from home: 相談する → わからない・総合案内 → consent → the front desk accepts → chat both ways →
the specialist ends it → the end screen says so → home, the worker gone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kiosk.call.source import consult_source
from kiosk.ui.app import kivy_scheduler
from kiosk.ui.walk import PreviewUi
from madoguchi.rig.call import CallRig
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


def _until(ui, predicate, what: str, timeout: float = 30.0) -> None:
    """Run Kivy's clock (the worker's events are delivered on it) until `predicate()`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what}: at {ui.root.step}, {ui.session.consult}")
        frames(1)
        time.sleep(0.03)
    frames(2)  # the render the change scheduled


def _tap(ui, kid: str) -> None:
    widget = ui.root.find(kid)
    assert widget is not None, (kid, ui.root.step)
    tap(widget)
    frames(2)


def test_a_resident_reaches_a_specialist_from_the_checklist(kivy_window, tmp_path):
    shots = screenshot_dir()
    with CallRig(tmp_path) as rig, PreviewUi(kivy_window) as ui:
        rig.add_staff("tanaka", PASSWORD, "specialist")
        ui.worker.hold = False  # the session's jobs run as they come (closing the worker too)
        launched = []
        source = consult_source(
            rig.agent_endpoint,
            kivy_scheduler(),
            media="synthetic",
            launcher=["ip", "netns", "exec", rig.a],
        )

        def counting_source(language, deliver):
            launched.append(language)
            return source(language, deliver)

        s = ui.session
        s.consult_source = counting_source
        ui.ports.online = True
        s.refresh_status()
        s.choose_language("ja")
        s.open_life_events()
        s.choose_life_event("moving_in")
        while s.current_question is not None:
            s.answer(s.current_question.id, True)
        frames(2)
        assert ui.root.step == "checklist"
        button = ui.root.find("consult_child_allowance")
        ui.root.current_screen.ids.list_scroll.scroll_to(button, padding=150, animate=False)
        frames(3)
        _tap(ui, "consult_child_allowance")
        assert ui.root.step == "consult_consent"
        assert s.consult["topic"] == "child_care"
        call = s.visit_state.consult
        assert call._port is None  # the notice first: no worker, no camera

        _tap(ui, "consult_start")
        port = call._port
        _until(ui, lambda: (s.consult or {}).get("position") == 1, "place in the queue")
        assert ui.root.step == "consult_waiting"
        assert ui.root.find("consult_position").text == "あなたは1番目です。"

        console = rig.console_page("tanaka", PASSWORD)
        console.wait_for_selector("#queue tbody tr button.accept")
        console.click("#queue tbody tr button.accept")
        _until(ui, lambda: ui.root.step == "consult_call", "call")
        assert ui.root.find("consult_caption").text == "tanaka（担当者）"

        console.wait_for_function(
            "() => window.consult.dc && window.consult.dc.readyState === 'open'"
        )
        console.evaluate("() => window.consult.sendChat('児童手当の件ですね。')")
        _until(ui, lambda: "児童手当の件ですね。" in ui.root.find("consult_chat").text, "chat")
        _tap(ui, "consult_yes")
        console.wait_for_function("() => window.consult.chat.some(m => !m.mine)")
        assert console.evaluate("() => window.consult.chat.find(m => !m.mine).text") == "はい"

        assert console.is_hidden("#shared-panel")  # nothing shown before the resident's tap
        _tap(ui, "consult_share")
        console.wait_for_selector("#shared-panel", state="visible")
        shown = console.eval_on_selector_all(
            "#shared-form dt, #shared-form dd", "els => els.map(e => e.textContent)"
        )
        fields = [x for pair in s.flows.consult.form_fields for x in pair]
        assert shown == fields  # exactly the checklist's fields
        assert shown[:2] == ["相談したい手続き", "児童手当 認定請求"]
        assert "児童手当 認定請求" in shown[2:] and "この端末でできる" in shown

        for _ in range(10):  # ten minutes talking, the screen untouched: no "still there?"
            ui.advance(60)
            frames(1)
        assert ui.root.step == "consult_call"
        frames(3)
        kivy_window.screenshot(str(shots / "consult-journey-real-ja-call.png"))

        _tap(ui, "consult_end")  # asks first: 「相談を終わりますか？」
        _tap(ui, "consult_end_confirm")  # 終わる
        _until(ui, lambda: ui.root.step == "consult_ended", "end")
        assert ui.root.find("consult_reason").text == "相談を終えました。"
        console.wait_for_selector("#shared-panel", state="hidden")  # sharing ended with it
        kivy_window.screenshot(str(shots / "consult-journey-real-ja-ended.png"))

        _tap(ui, "consult_finish")
        assert ui.root.step == "home" and s.consult is None
        assert s.visit_state.consult is None and s.checklist == []
        assert port.wait_for("exited", 15)["code"] == 0  # the worker is gone
        assert call.view()["chat"] == [] and call.form_fields == []
        assert launched == ["ja"]  # one consultation, one worker


def test_a_resident_reaches_a_specialist_from_home_and_the_specialist_ends_it(
    kivy_window, tmp_path
):
    with CallRig(tmp_path) as rig, PreviewUi(kivy_window) as ui:
        rig.add_staff("suzuki", PASSWORD, "front_desk")
        ui.worker.hold = False
        s = ui.session
        s.consult_source = consult_source(
            rig.agent_endpoint,
            kivy_scheduler(),
            media="synthetic",
            launcher=["ip", "netns", "exec", rig.a],
        )
        ui.ports.online = True
        s.refresh_status()
        s.choose_language("ja")
        frames(2)
        _tap(ui, "consult")  # 相談する on home
        assert ui.root.step == "consult_topic"
        _tap(ui, "topic_general")  # わからない・総合案内
        assert ui.root.step == "consult_consent" and s.visit_state.consult._port is None
        _tap(ui, "consult_start")
        port = s.visit_state.consult._port
        _until(ui, lambda: ui.root.step == "consult_waiting", "waiting")

        console = rig.console_page("suzuki", PASSWORD)
        console.wait_for_selector("#queue tbody tr button.accept")
        console.click("#queue tbody tr button.accept")
        _until(ui, lambda: ui.root.step == "consult_call", "call")
        assert ui.root.find("consult_caption").text == "suzuki（総合案内）"
        console.wait_for_function(
            "() => window.consult.dc && window.consult.dc.readyState === 'open'"
        )
        _tap(ui, "consult_again")  # もう一度お願いします
        console.wait_for_function("() => window.consult.chat.some(m => !m.mine)")
        console.evaluate("() => window.consult.sendChat('わかりました。')")
        _until(ui, lambda: "わかりました。" in ui.root.find("consult_chat").text, "chat")

        console.click("#hangup")  # the specialist ends it
        _until(ui, lambda: ui.root.step == "consult_ended", "end")
        assert ui.root.find("consult_reason").text == "担当者が相談を終えました。"
        _tap(ui, "consult_finish")
        assert ui.root.step == "home" and s.consult is None
        assert port.wait_for("exited", 15)["code"] == 0
