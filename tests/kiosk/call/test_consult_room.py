"""Issue 18's done-when, with real parts (`CallRig(janus=True)`: the worker in namespace A; the
console, Debian's chromium and Debian's Janus in namespace B; signaling through the terminal's
agent, CURVE link and receiver): the resident's flow holds a video call with the front desk,
with chat both ways and a form shown; the front desk hands over to a welfare specialist; the
specialist invites a second specialist and an interpreter, who join from their own consoles;
all four parties see (frames counted per party) and hear (audio bytes per party) each other,
chat reaches everyone; someone not invited is kept out; the end puts everyone out and the
record lists every role."""

from __future__ import annotations

import time

import pytest

from kiosk.call.flow import ConsultFlow
from madoguchi.rig.call import CallRig
from sync.central.consult import ConsultTables
from sync.central.stores import open_store
from tests.support.consult import Pump, room_call_marks
from tests.support.paths import screenshot_dir

pytestmark = room_call_marks(240)
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")

PASSWORD = "correct horse battery"
SCREENSHOTS = screenshot_dir()
FRAMES = 20  # decoded per party: about a second of video at the rates measured here


def _accept(page, topic: str) -> None:
    row = f"#queue tbody tr:has-text('{topic}') button.accept"
    page.wait_for_selector(row)
    page.click(row)
    page.wait_for_function("() => window.consult.phase === 'call'", timeout=30_000)


def _join(page, role: str) -> None:
    row = f"#invites tbody tr:has-text('{role}') button.join"
    page.wait_for_selector(row, timeout=20_000)
    page.click(row)
    page.wait_for_function("() => window.consult.phase === 'call'", timeout=30_000)


def _every_party(page, parties: set[str]) -> None:
    """The page decodes video of each of `parties` and receives their audio."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "([want, n]) => { const f = window.consult.partyFrames();"
            " return want.every((p) => (f[p] || 0) >= n); }",
            arg=[sorted(parties), FRAMES],
            timeout=45_000,
        )
        page.wait_for_function(
            "async (want) => { const a = await window.consult.partyAudio();"
            " return want.every((p) => (a[p] || 0) > 2000); }",
            arg=sorted(parties),
            timeout=30_000,
        )
    except PlaywrightTimeout:
        seen = page.evaluate(
            "async () => [window.consult.partyFrames(), await window.consult.partyAudio(),"
            " window.consult.phase]"
        )
        raise AssertionError(f"wanted {sorted(parties)}, the page has {seen}") from None


def _terminal_frames(port) -> dict:
    n = len(port.events)
    port.stats()
    return port.wait_for("stats", 10, after=n).get("frames_by_party", {})


def _terminal_decodes(port, parties: set[str], timeout: float = 30.0) -> None:
    """The terminal decodes at least FRAMES frames of each of `parties` (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        frames = _terminal_frames(port)
        if all(frames.get(p, 0) >= FRAMES for p in parties):
            return
        assert time.monotonic() < deadline, frames
        time.sleep(0.2)


def test_a_call_with_chat_form_handover_then_a_second_specialist_and_an_interpreter(tmp_path):
    with CallRig(tmp_path, janus=True) as rig:
        rig.add_staff("kato", PASSWORD, "front_desk")
        rig.add_staff("tanaka", PASSWORD, "specialist")
        rig.add_staff("sato", PASSWORD, "specialist")
        rig.add_staff("nguyen", PASSWORD, "interpreter")
        rig.add_staff("suzuki", PASSWORD, "specialist")
        pump = Pump(timeout=30.0)

        def open_port():
            pump.port, pump.seen = rig.call_port(), 0
            return pump.port

        flow = ConsultFlow(open_port, "en")
        flow.choose_topic("general")  # わからない・総合案内
        flow.start()
        pump.until(flow, lambda v: v.get("position") == 1)

        # --- the front desk takes the call: video both ways, chat both ways, a form shown ----
        front = rig.console_page("kato", PASSWORD)
        _accept(front, "general")
        view = pump.until(flow, lambda v: v["step"] == "in_call")
        assert (view["staff_role"], view["staff_name"]) == ("front_desk", "kato")
        _every_party(front, {"terminal"})
        _terminal_decodes(pump.port, {"front_desk|kato"})
        front.wait_for_function(
            "() => window.consult.dc && window.consult.dc.readyState === 'open'"
        )
        front.evaluate("() => window.consult.sendChat('福祉の担当におつなぎします。')")
        view = pump.until(flow, lambda v: v["chat"])
        assert view["chat"] == [("staff", "福祉の担当におつなぎします。")]
        flow.send_chat("はい、お願いします")
        front.wait_for_function("() => window.consult.chat.some((m) => !m.mine)")
        assert front.evaluate("() => window.consult.chat.find((m) => !m.mine).text") == (
            "はい、お願いします"
        )
        assert front.is_hidden("#shared-panel")  # nothing before the resident's tap
        flow.show_form([("転入日 Moving-in date", "2026-12-01"), ("世帯人数 Household", "3")])
        front.wait_for_selector("#shared-panel", state="visible")
        assert front.eval_on_selector_all(
            "#shared-form dt, #shared-form dd", "els => els.map(e => e.textContent)"
        ) == ["転入日 Moving-in date", "2026-12-01", "世帯人数 Household", "3"]

        # --- 取次ぎ: to a welfare specialist, in a new room -----------------------------------
        front.select_option("#handover-topic", "welfare")
        front.click("#handover")
        # The flow may pass through "handed_over" between two looks (the worker queues again at
        # once): the topic it ends up in, and the worker's event, say the hand-over happened.
        view = pump.until(flow, lambda v: v["topic"] == "welfare")
        assert view["step"] in ("handed_over", "waiting") and "sharing" not in view
        assert any(e.get("event") == "handed_over" for e in pump.port.events)
        front.wait_for_function("() => window.consult.endedBy === 'handover'")
        view = pump.until(flow, lambda v: v["step"] == "waiting" and v.get("position") == 1)

        tanaka = rig.console_page("tanaka", PASSWORD)
        _accept(tanaka, "welfare")
        try:
            view = pump.until(flow, lambda v: v["step"] == "in_call")
        except AssertionError as e:  # what the relay says to the terminal now, for the report
            cid = tanaka.evaluate("() => window.consult.call")
            polled = rig.relay.handle(rig.device_id, {"op": "poll", "consultation": cid})
            raise AssertionError(f"{e}; the relay's poll: {polled}") from None
        assert (view["staff_role"], view["staff_name"]) == ("specialist", "tanaka")
        _every_party(tanaka, {"terminal"})
        assert tanaka.is_hidden("#shared-panel")  # the form was shown to the front desk only
        assert tanaka.evaluate("() => window.consult.partyFrames()").keys() == {"terminal"}

        # --- a second specialist and an interpreter join -----------------------------------
        tanaka.select_option("#invite-role", "interpreter")
        tanaka.click("#invite")
        tanaka.wait_for_function("() => document.getElementById('invite-status').textContent")
        tanaka.evaluate("() => window.consult.invite('specialist')")
        nguyen = rig.console_page("nguyen", PASSWORD)
        # An interpreter is not offered the specialist's invitation, and cannot take it.
        nguyen.wait_for_selector("#invites tbody tr:has-text('interpreter')")
        assert nguyen.locator("#invites tbody tr").count() == 1
        cid = nguyen.get_attribute("#invites tbody tr", "data-id")
        refused = nguyen.evaluate(
            "async (id) => (await fetch('/api/join/' + id, {method: 'POST', headers: "
            "{'Content-Type': 'application/json'}, body: JSON.stringify({role: 'specialist'})}))"
            ".status",
            cid,
        )
        assert refused == 403
        _join(nguyen, "interpreter")
        sato = rig.console_page("sato", PASSWORD)
        _join(sato, "specialist")

        everyone = {"terminal", "specialist|tanaka", "specialist|sato", "interpreter|nguyen"}
        for page, me in (
            (tanaka, "specialist|tanaka"),
            (sato, "specialist|sato"),
            (nguyen, "interpreter|nguyen"),
        ):
            _every_party(page, everyone - {me})
        view = pump.until(flow, lambda v: len(v.get("others", [])) == 3)
        assert sorted(view["others"]) == [
            ("interpreter", "nguyen"),
            ("specialist", "sato"),
            ("specialist", "tanaka"),
        ]
        _terminal_decodes(pump.port, everyone - {"terminal"})  # every staff member's video
        # ... and shows it to the resident: the holder large, the others small, each in a
        # stream of the frame buffer the call screen draws.
        video = pump.port.video
        assert video.stream_of("specialist", "tanaka") == "main"
        small = {video.stream_of("specialist", "sato"), video.stream_of("interpreter", "nguyen")}
        assert small == {"party1", "party2"}
        deadline = time.monotonic() + 30
        while not all(video.seq(s) >= 5 for s in ("main", *small)):
            assert time.monotonic() < deadline, {s: video.seq(s) for s in ("main", *small)}
            time.sleep(0.1)
        assert (video.read("main").width, video.read("main").height) == (640, 480)
        assert all(video.read(s).width <= 240 and video.read(s).height <= 180 for s in small)

        # Chat reaches everyone: the interpreter's line at the terminal, the resident's on
        # every console.
        nguyen.evaluate("() => window.consult.sendChat('Tôi là thông dịch viên.')")
        view = pump.until(flow, lambda v: ("staff", "Tôi là thông dịch viên.") in v["chat"])
        flow.send_chat("ありがとうございます")
        for page in (tanaka, sato, nguyen):
            page.wait_for_function(
                "() => window.consult.chat.some((m) => m.text === 'ありがとうございます')"
            )
        assert tanaka.evaluate(
            "() => window.consult.chat.some((m) => m.text === 'Tôi là thông dịch viên.')"
        )

        # Someone not in the call sees no room and cannot subscribe to its feeds.
        suzuki = rig.console_page("suzuki", PASSWORD)
        for path, body in (("/api/room/%s", None), ("/api/room/%s/subscribe", {"feed": 1})):
            status = suzuki.evaluate(
                "async ([url, body]) => (await fetch(url, body === null ? {} : {method: 'POST',"
                " headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)}))"
                ".status",
                [path % cid, body],
            )
            assert status == 403

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tanaka.evaluate("() => window.scrollTo(0, 0)")
        tanaka.screenshot(path=str(SCREENSHOTS / "consult-console-room.png"), full_page=True)
        nguyen.screenshot(path=str(SCREENSHOTS / "consult-console-room-interpreter.png"))

        # --- the holder ends the call: everyone out, the room gone, the record -------------
        tanaka.select_option("#outcome", "resolved")
        tanaka.click("#hangup")
        view = pump.until(flow, lambda v: v["step"] == "ended")
        assert view["reason"] == "The specialist ended the consultation."
        for page in (sato, nguyen):
            page.wait_for_function("() => window.consult.call === null", timeout=15_000)
            assert page.evaluate("() => window.consult.pc") is None
        flow.wipe()
        assert rig.relay.rooms.feeds(rig.room_of(cid)) == []

        store = open_store(rig.db)
        try:
            (record,) = ConsultTables(store).records()
        finally:
            store.close()
        assert (record.handover_topics, record.handovers, record.outcome) == (
            "general>welfare",
            1,
            "resolved",
        )
        assert record.roles == "front_desk specialist interpreter specialist"
