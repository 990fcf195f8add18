"""The demo's video consultation (オンライン窓口): a terminal calls city hall and a specialist
answers in the consultation console, all on this machine.

Offscreen (`make demo` without a display) it places one real call through
`madoguchi.rig.call.CallRig`: the terminal's call worker (synthetic camera and microphone) in
one network namespace, the console and Debian's chromium (fake camera) in another, the
signaling through a real enrolled agent and receiver. The specialist accepts, one chat line goes
each way, the resident's form is shown, the specialist ends the call, and the consultation record
is read back from the store. WebRTC skips loopback, hence the namespaces: without root (or
without chromium, aiortc or playwright) the call is skipped and the summary says why.

With a display the demo instead serves the console on loopback with a demo account (see
`_cli`), so a person can take a call from the kiosk window in their own browser.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

__all__ = ["DEMO_SPECIALIST", "call_unavailable", "run_call"]

DEMO_SPECIALIST = "demo-specialist"


def call_unavailable() -> str | None:
    """Why the offscreen call cannot run here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces: WebRTC skips loopback)"
    if shutil.which("chromium") is None:
        return "Debian's chromium is not installed"
    for module in ("aiortc", "playwright"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (the call and test extras)"
    return None


def run_call(out: Path) -> dict:
    """One consultation end to end; a summary for the demo's JSON (never personal data)."""
    why = call_unavailable()
    if why:
        return {"skipped": why}
    from kiosk.call.flow import ConsultFlow
    from madoguchi.rig.call import CallRig, FlowPump
    from sync.central.consult.records import summarize
    from sync.central.consult.tables import ConsultTables
    from sync.central.stores import open_store

    workdir = out / "call"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    password = secrets.token_urlsafe(12)
    with CallRig(workdir) as rig:
        rig.add_staff(DEMO_SPECIALIST, password, "specialist")
        pump = FlowPump(timeout=30.0)
        flow = ConsultFlow(pump.opener(rig.call_port), "ja")
        flow.choose_topic("general")  # わからない・総合案内
        flow.start()  # the resident's tap on 相談を始める
        pump.until(flow, lambda v: v["step"] == "waiting" and v.get("position") == 1)
        console = rig.console_page(DEMO_SPECIALIST, password)
        console.wait_for_selector("#queue tbody tr button.accept")
        accepted = time.monotonic()
        console.click("#queue tbody tr button.accept")
        view = pump.until(flow, lambda v: v["step"] == "in_call")
        connected_s = time.monotonic() - accepted
        console.wait_for_function(
            "() => window.consult.dc && window.consult.dc.readyState === 'open'"
        )
        console.evaluate("() => window.consult.sendChat('転入届は、この端末でできます。')")
        pump.until(flow, lambda v: bool(v["chat"]))
        flow.send_chat("ありがとうございます")
        console.wait_for_function("() => window.consult.chat.some(m => !m.mine)")
        flow.show_form([("届出", "転入届"), ("世帯人数", "3")])
        console.wait_for_selector("#shared-panel", state="visible")
        screens = out / "screens"
        screens.mkdir(parents=True, exist_ok=True)
        console.screenshot(path=str(screens / "consult-console-demo.png"))
        console.click("#hangup")
        ended = pump.until(flow, lambda v: v["step"] == "ended")
        flow.wipe()
        store = open_store(rig.db)
        try:
            record = summarize(ConsultTables(store).records(since=0))
        finally:
            store.close()
    return {
        "connected_s": round(connected_s, 2),
        "caption": f"{view['staff_name']}（{view['staff_role']}）",
        "chat_lines": 2,
        "form_shown": True,
        "ended": ended["reason"],
        "record": {k: record[k] for k in ("total", "by_topic", "by_outcome", "by_ended_by")},
        "console_screenshot": "screens/consult-console-demo.png",
    }
