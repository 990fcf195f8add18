"""A dropped link with real parts (`CallRig`): mid-call the console's network link goes down
(the veth in its namespace); the terminal's call worker sees its video stop, ends the call as
`network` and tells the relay; the console says the connection dropped and releases the camera;
the record says ended by `network`, outcome `dropped`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from madoguchi.rig.call import CallRig
from sync.central.consult import ConsultTables
from sync.central.stores import open_store

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")

PASSWORD = "correct horse battery"


def test_a_dropped_link_ends_the_call_with_a_clear_message_on_both_sides(tmp_path):
    with CallRig(tmp_path) as rig:
        rig.add_staff("tanaka", PASSWORD, "specialist")
        terminal = rig.call_port()
        terminal.wait_for("ready", 20)
        terminal.call("care", "ko")
        terminal.wait_for("queued", 20)
        console = rig.console_page("tanaka", PASSWORD)
        console.wait_for_selector("#queue tbody tr button.accept")
        console.click("#queue tbody tr button.accept")
        terminal.wait_for("connected", 20)
        console.wait_for_function("() => window.consult.frames >= 20", timeout=30_000)

        subprocess.run(["ip", "-n", rig.b, "link", "set", "veth1", "down"], check=True, timeout=10)

        ended = terminal.wait_for("ended", 30)
        assert ended["by"] == "network"
        assert terminal.close() == 0
        console.wait_for_function("() => window.consult.endedBy === 'network'", timeout=20_000)
        assert "通信が切れました" in console.inner_text("#status")
        assert console.evaluate("() => window.consult.local") is None  # camera released
        store = open_store(rig.db)
        try:
            (record,) = ConsultTables(store).records()
        finally:
            store.close()
        assert (record.state, record.ended_by, record.outcome) == ("ended", "network", "dropped")
