"""A video consultation end to end with real parts (`madoguchi.rig.call.CallRig`): the terminal's
call worker (aiortc, synthetic audio and video) in one network namespace, the specialist console
in Debian's headless chromium (fake camera) in another, signaling through the terminal's sync
agent, CURVE link and receiver. The call connects, frames are decoded on both sides (counted),
chat goes both ways, either side hangs up and everything is cleaned up; a console user without
the role cannot accept; a revoked terminal is refused."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from madoguchi.rig.call import CallRig
from sync.central.consult import ConsultTables
from sync.central.stores import open_store
from tests.support.paths import screenshot_dir

pytestmark = [
    pytest.mark.timeout(170),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")

PASSWORD = "correct horse battery"
SCREENSHOTS = screenshot_dir()
FRAMES = 40  # well over a second of video each way at 20-30 frames/s


def _records(db):
    store = open_store(db)
    try:
        t = ConsultTables(store)
        return t.records(), t
    finally:
        store.close()


def _accept_first(page):
    page.wait_for_selector("#queue tbody tr button.accept:not([disabled])")
    page.click("#queue tbody tr button.accept")
    page.wait_for_function("() => window.consult.phase === 'call'")


def test_terminal_and_console_hold_a_video_call_with_chat(tmp_path):
    with CallRig(tmp_path) as rig:
        rig.add_staff("tanaka", PASSWORD, "specialist")
        rig.add_staff("nguyen", PASSWORD, "interpreter")

        # --- a console user without the role sees the request but cannot take it ---------
        terminal = rig.call_port()
        terminal.wait_for("ready", 20)
        terminal.call("welfare", "en")
        queued = terminal.wait_for("queued", 20)
        assert queued["position"] == 1
        interpreter = rig.console_page("nguyen", PASSWORD)
        interpreter.wait_for_selector("#queue tbody tr")
        row = interpreter.inner_text("#queue tbody tr")
        # topic, center and language in staff words, not ids
        assert "福祉 Welfare" in row and "東町コミュニティセンター" in row and "英語 English" in row
        # the wait in each language's own units (the review read 「1 秒 s」)
        wait = interpreter.inner_text("#queue tbody tr td.wait")
        assert re.fullmatch(r"待ち時間 \d+(秒|分)\s+waiting \d+ (seconds?|minutes?)", wait), wait
        assert interpreter.evaluate(
            "[1, 59, 60, 61, 3600, 3900].map(window.consult.formatWait)"
        ) == [
            ["待ち時間 1秒", "waiting 1 second"],
            ["待ち時間 59秒", "waiting 59 seconds"],
            ["待ち時間 1分", "waiting 1 minute"],
            ["待ち時間 1分", "waiting 1 minute"],
            ["待ち時間 1時間", "waiting 1 hour"],
            ["待ち時間 1時間5分", "waiting 1 hour 5 minutes"],
        ]
        assert interpreter.is_disabled("#queue tbody tr button.accept")
        assert interpreter.is_visible("#no-accept")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        interpreter.screenshot(path=str(SCREENSHOTS / "consult-console-queue.png"))
        status = interpreter.evaluate(
            "async (id) => (await fetch('/api/accept/' + id, {method: 'POST', headers: "
            "{'Content-Type': 'application/json'}, body: '{}'})).status",
            interpreter.get_attribute("#queue tbody tr", "data-id"),
        )
        assert status == 403

        # --- the specialist accepts: media both ways, chat both ways ----------------------
        console = rig.console_page("tanaka", PASSWORD)
        _accept_first(console)
        # The header says what the resident reads and what to write in; the big picture says
        # whose it is; the message box takes its panel's width.
        lines = console.inner_text("#call-language").split("\n")
        assert [line.strip() for line in lines if line.strip()] == [
            "相談者の言語：英語（英語で書いてください）",
            "Resident's language: English (write in English)",
        ]
        assert console.inner_text("#remote-label").startswith("相談者（東町コミュニティセンター）")
        widths = console.evaluate(
            "() => [document.getElementById('chat-text').getBoundingClientRect().width,"
            " document.getElementById('chat-form').getBoundingClientRect().width]"
        )
        assert widths[0] >= 0.8 * widths[1] and widths[1] > 600, widths
        terminal.wait_for("connected", 20)
        console.wait_for_function(f"() => window.consult.frames >= {FRAMES}", timeout=30_000)
        console.fill("#chat-text", "住所は市役所2階です / City hall, 2nd floor")
        console.click("#chat-send")
        got = terminal.wait_for("chat", 10)
        assert got["text"] == "住所は市役所2階です / City hall, 2nd floor"
        terminal.chat("ありがとうございます")
        console.wait_for_function("() => window.consult.chat.some(m => !m.mine)")
        assert (
            console.evaluate("window.consult.chat.find(m => !m.mine).text")
            == "ありがとうございます"
        )
        assert "ありがとうございます" in console.inner_text("#chat-log")
        terminal.stats()
        stats = terminal.wait_for("stats", 10)
        assert stats["frames_received"] >= 10 and stats["audio_received"] >= 10
        console.screenshot(path=str(SCREENSHOTS / "consult-console-call.png"), full_page=True)

        # --- the console hangs up: the terminal ends and cleans up ------------------------
        console.select_option("#outcome", "resolved")
        console.click("#hangup")
        ended = terminal.wait_for("ended", 15)
        assert ended["by"] == "console"
        assert ended["frames_sent"] >= FRAMES and ended["frames_received"] >= FRAMES
        assert terminal.close() == 0
        console.wait_for_selector("#call-panel", state="hidden")
        assert console.evaluate("window.consult.pc") is None
        assert console.evaluate("window.consult.local") is None  # camera released

        # --- a second call, and the terminal hangs up -------------------------------------
        terminal = rig.call_port()
        terminal.wait_for("ready", 20)
        terminal.call("tax", "ja")
        terminal.wait_for("queued", 20)
        _accept_first(console)
        assert console.inner_text("#call-language-ja") == "相談者の言語：日本語"
        terminal.wait_for("connected", 20)
        console.wait_for_function("() => window.consult.frames >= 10", timeout=30_000)
        terminal.hangup()
        ended = terminal.wait_for("ended", 15)
        assert ended["by"] == "terminal"
        console.wait_for_function("() => window.consult.endedBy === 'terminal'")
        console.wait_for_selector("#call-panel", state="hidden")
        assert terminal.close() == 0

        records, _ = _records(rig.db)
        assert [(r.topic, r.state, r.ended_by, r.accepted_role) for r in records] == [
            ("welfare", "ended", "console", "specialist"),
            ("tax", "ended", "terminal", "specialist"),
        ]
        assert records[0].outcome == "resolved"
        store = open_store(rig.db)
        try:  # no SDP outlives its call
            assert store._execute("SELECT COUNT(*) FROM consult_signals")[0][0] == 0
        finally:
            store.close()

        # --- a revoked terminal cannot signal ---------------------------------------------
        rig.revoke()
        terminal = rig.call_port()
        terminal.wait_for("ready", 20)
        terminal.call("welfare", "ja")
        ended = terminal.wait_for("ended", 20)
        assert ended["by"] in ("unavailable", "refused")
        assert terminal.close() == 0
        assert len(_records(rig.db)[0]) == 2
