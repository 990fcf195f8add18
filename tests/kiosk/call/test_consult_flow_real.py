"""The resident's flow (kiosk.call.flow) driving the real call worker (`CallRig`): topic,
consent tap, waiting, the call with the specialist's role and chat both ways, the specialist
ends it, wipe. Events reach the flow in the test's thread, as the kiosk hands them over on its
clock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.call.flow import ConsultFlow
from madoguchi.rig.call import CallRig
from tests.support.consult import Pump
from tests.support.paths import screenshot_dir

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")

PASSWORD = "correct horse battery"
SCREENSHOTS = screenshot_dir()


def test_the_residents_flow_through_a_real_call(tmp_path):
    with CallRig(tmp_path) as rig:
        rig.add_staff("tanaka", PASSWORD, "specialist")
        pump = Pump(timeout=20.0)

        def open_port():
            pump.port, pump.seen = rig.call_port(), 0
            return pump.port

        flow = ConsultFlow(open_port, "en")
        flow.choose_topic("child_care")
        assert pump.port is None  # the consent screen first
        flow.start()
        view = pump.until(flow, lambda v: v.get("position") == 1)
        assert view["step"] == "waiting" and view["camera_on"]

        console = rig.console_page("tanaka", PASSWORD)
        console.wait_for_selector("#queue tbody tr button.accept")
        console.click("#queue tbody tr button.accept")
        view = pump.until(flow, lambda v: v["step"] == "in_call")
        assert (view["staff_role"], view["staff_name"]) == ("specialist", "tanaka")
        console.wait_for_function(
            "() => window.consult.dc && window.consult.dc.readyState === 'open'"
        )
        console.evaluate("() => window.consult.sendChat('Bring your health insurance card.')")
        view = pump.until(flow, lambda v: v["chat"])
        assert view["chat"] == [("staff", "Bring your health insurance card.")]
        flow.send_chat("OK, thank you")
        console.wait_for_function("() => window.consult.chat.some(m => !m.mine)")
        assert (
            console.evaluate("() => window.consult.chat.find(m => !m.mine).text") == "OK, thank you"
        )

        assert console.is_hidden("#shared-panel")  # nothing shown before the resident's tap
        flow.show_form([("転入日 Moving-in date", "2026-12-01"), ("世帯人数 Household", "3")])
        console.wait_for_selector("#shared-panel", state="visible")
        assert console.eval_on_selector_all(
            "#shared-form dt, #shared-form dd", "els => els.map(e => e.textContent)"
        ) == ["転入日 Moving-in date", "2026-12-01", "世帯人数 Household", "3"]
        big = [(f"<b>field {i}</b>" + "L" * 100, "V" * 400) for i in range(45)]
        flow.show_form(big)  # bounded by the worker; shown as text, never as HTML
        console.wait_for_function("() => window.consult.sharedForm.length === 40")
        assert console.eval_on_selector_all("#shared-form dt", "els => els.length") == 40
        assert console.eval_on_selector_all("#shared-form b", "els => els.length") == 0
        first = console.eval_on_selector_all(
            "#shared-form dt, #shared-form dd", "els => els.slice(0, 2).map(e => e.textContent)"
        )
        assert first == [("<b>field 0</b>" + "L" * 100)[:80], "V" * 300]
        flow.stop_showing()
        console.wait_for_selector("#shared-panel", state="hidden")
        assert console.evaluate("() => window.consult.sharedForm") is None
        flow.show_form([("転入日 Moving-in date", "2026-12-01")])
        console.wait_for_selector("#shared-panel", state="visible")
        console.screenshot(path=str(SCREENSHOTS / "consult-console-shared-form.png"))

        level = "async () => await window.consult.audioLevel()"
        console.wait_for_function(f"async () => (await ({level})()) > 0.01", timeout=20_000)
        flow.toggle_mute()
        assert pump.port.wait_for("muted", 10)["on"] is True
        console.wait_for_function(f"async () => (await ({level})()) < 0.001", timeout=20_000)
        flow.toggle_mute()
        console.wait_for_function(f"async () => (await ({level})()) > 0.01", timeout=20_000)

        console.click("#hangup")
        view = pump.until(flow, lambda v: v["step"] == "ended")
        assert view["reason"] == "The specialist ended the consultation."
        assert not view["offer_booking"] and not view["camera_on"]
        assert console.is_hidden("#shared-panel")  # sharing ended with the call
        assert console.inner_text("#shared-form") == ""
        flow.wipe()
        assert flow.view()["chat"] == [] and pump.port.wait_for("exited", 15)["code"] == 0
