"""取次ぎ with real parts (`CallRig`): the front desk takes a resident's general request, hands
the resident over to the tax queue; the terminal makes a new peer connection and offer, waits
in that queue, a tax specialist accepts, and video flows again both ways. The record keeps both
topics, both roles, one hand-over."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from madoguchi.rig.call import CallRig
from sync.central.consult import ConsultTables
from sync.central.stores import open_store

pytestmark = [
    pytest.mark.timeout(170),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")

PASSWORD = "correct horse battery"


def _accept(page, topic):
    row = f"#queue tbody tr:has-text('{topic}') button.accept"
    page.wait_for_selector(row)
    page.click(row)
    page.wait_for_function("() => window.consult.phase === 'call'")


def _frames_at_terminal(terminal, want: int = 10, tries: int = 50) -> int:
    """Frames the terminal decoded on its current peer, asked until `want` (bounded)."""
    got = 0
    for _ in range(tries):
        n = len(terminal.events)
        terminal.stats()
        got = terminal.wait_for("stats", 10, after=n)["frames_received"]
        if got >= want:
            break
        time.sleep(0.1)
    return got


def test_front_desk_hands_the_resident_over_to_a_specialist(tmp_path):
    with CallRig(tmp_path) as rig:
        rig.add_staff("kato", PASSWORD, "front_desk")
        rig.add_staff("tanaka", PASSWORD, "specialist")
        terminal = rig.call_port()
        terminal.wait_for("ready", 20)
        terminal.call("general", "ja")
        terminal.wait_for("queued", 20)

        front = rig.console_page("kato", PASSWORD)
        _accept(front, "general")
        terminal.wait_for("connected", 20)
        front.wait_for_function("() => window.consult.frames >= 10", timeout=30_000)
        front.select_option("#handover-topic", "tax")
        front.click("#handover")
        moved = terminal.wait_for("handed_over", 15)
        assert moved["topic"] == "tax"
        mark = terminal.events.index(moved)
        requeued = terminal.wait_for("queued", 20, after=mark)
        assert requeued["position"] == 1 and requeued["topic"] == "tax"
        front.wait_for_function("() => window.consult.endedBy === 'handover'")
        assert front.evaluate("() => window.consult.pc") is None

        specialist = rig.console_page("tanaka", PASSWORD)
        _accept(specialist, "tax")
        terminal.wait_for("connected", 20, after=mark)
        specialist.wait_for_function("() => window.consult.frames >= 20", timeout=30_000)
        assert _frames_at_terminal(terminal) >= 10  # the new peer's counters: tanaka's video
        specialist.select_option("#outcome", "resolved")
        specialist.click("#hangup")
        ended = terminal.wait_for("ended", 15, after=mark)
        assert ended["by"] == "console" and ended["frames_received"] >= 10
        assert not any(e.get("by") == "network" for e in terminal.events)
        assert terminal.close() == 0

        store = open_store(rig.db)
        try:
            (record,) = ConsultTables(store).records()
        finally:
            store.close()
        assert (record.topic, record.handovers, record.handover_topics, record.roles) == (
            "tax",
            1,
            "general>tax",
            "front_desk specialist",
        )
        assert (record.accepted_by, record.ended_by, record.outcome) == (
            "tanaka",
            "console",
            "resolved",
        )
