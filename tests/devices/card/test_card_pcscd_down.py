"""pcscd not running: every entry point says so with NoReaderError instead of a PC/SC code, and the
card watcher keeps retrying without crashing. libpcsclite reads PCSCLITE_CSOCK_NAME once per
process, so each case runs in a subprocess pointed at a socket that does not exist."""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, sys, threading
from devices.card import CardReader, CardWatcher, NoReaderError, list_readers
out = {}
for name, call in (("list_readers", list_readers), ("connect", lambda: CardReader().connect()),
                   ("connect_named", lambda: CardReader("Virtual PCD 00 00").connect())):
    try:
        call()
        out[name] = "no error"
    except NoReaderError as e:
        out[name] = [type(e).__name__, e.reason, str(e)]
class Obs:
    def __init__(self): self.events = []
    def card_inserted(self, r): self.events.append(("in", r))
    def card_removed(self, r): self.events.append(("out", r))
obs = Obs()
w = CardWatcher(obs).start()
threading.Event().wait(0.3)
w.stop()
out["watcher_events"] = obs.events
out["watcher_threads"] = [t.name for t in threading.enumerate() if t.name == "card-watcher"]
print(json.dumps(out))
"""


def test_pcscd_not_running(tmp_path):
    env = dict(os.environ, PCSCLITE_CSOCK_NAME=str(tmp_path / "no-pcscd.comm"))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for name in ("list_readers", "connect", "connect_named"):
        assert out[name][0] == "NoReaderError", out
        assert out[name][1] == "pcscd is not running"
    assert out["watcher_events"] == [] and out["watcher_threads"] == []


@pytest.mark.parametrize("args", [["card-sim", "run", "--port", "9", "--connect-timeout", "0.2"]])
def test_cli_without_vpcd_is_one_line_error(args):
    proc = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach vpcd"), proc.stderr
