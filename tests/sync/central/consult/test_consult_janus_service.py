"""`madoguchi consult janus`, what the madoguchi-janus service runs: it writes the configuration
and becomes Debian's Janus, which then serves rooms on the Unix socket and nothing on the
network. Run for real inside a network namespace the test creates; bad settings are one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from madoguchi.rig.call import namespace_pair
from sync.central.consult.errors import JanusError
from sync.central.consult.janus import Rooms
from sync.central.consult.janus_config import write_config

MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))


def _start(tmp_path: Path, netns: str, socket: Path) -> subprocess.Popen:
    """The service's command; Janus 1.1 can lose its own start-up race in the Unix-socket
    transport and exit (systemd's Restart= starts it again): so do we, up to five times."""
    argv = [MADOGUCHI, "consult", "janus", "--config-dir", str(tmp_path / "config")]
    argv += ["--socket", str(socket), "--interface", "veth1", "--rtp-ports", "41000-41099"]
    for _ in range(5):
        proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while proc.poll() is None and not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        if proc.poll() is None and socket.exists():
            return proc
        proc.kill()
        proc.wait(5)
    pytest.fail("janus did not start in five tries")


@pytest.mark.timeout(90)
@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
@pytest.mark.skipif(not Path("/usr/bin/janus").exists(), reason="Debian's janus missing")
def test_the_service_command_becomes_janus_and_serves_rooms(tmp_path):
    socket = tmp_path / "api.sock"
    with namespace_pair("mdgs") as (_a, b, _aa, _ba):
        proc = _start(tmp_path, b, socket)
        try:
            # `ip netns exec` and then our command exec'd: the process is Janus itself, no
            # Python wrapper left around it (systemd's signals reach Janus).
            assert Path(f"/proc/{proc.pid}/comm").read_text().strip() == "janus"
            rooms = Rooms.connect(socket)
            try:
                rooms.ensure_room(4242)
                assert rooms.exists(4242)
                rooms.close_room(4242)
                assert not rooms.exists(4242)
            finally:
                rooms.close()
            # Nothing listens on TCP inside its namespace: no HTTP, WebSocket or admin port.
            listening = subprocess.run(
                ["ip", "netns", "exec", b, "ss", "-Htln"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
            assert listening.strip() == ""
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    config = (tmp_path / "config" / "janus.jcfg").read_text()
    assert 'rtp_port_range = "41000-41099"' in config and 'ice_enforce_list = "veth1"' in config
    assert "stun_server" not in config and "turn_server" not in config


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--rtp-ports", "40000"], "RTP port range"),
        (["--rtp-ports", "500-600"], "RTP port range"),
        (["--rtp-ports", "41000-40000"], "RTP port range"),
        (["--interface", "eth0; rm -rf /"], "not a network interface name"),
    ],
)
def test_bad_settings_are_one_line(tmp_path, args, words):
    argv = [MADOGUCHI, "consult", "janus", "--config-dir", str(tmp_path / "c")]
    result = subprocess.run(
        [*argv, "--socket", str(tmp_path / "api.sock"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "c" / "janus.jcfg").exists()  # nothing half-written


def test_config_writer_refuses_before_writing(tmp_path):
    with pytest.raises(JanusError, match="RTP port range"):
        write_config(tmp_path / "c", socket=tmp_path / "s", rtp_ports="1-2")
    assert not (tmp_path / "c").exists()


def test_janus_missing_is_named(tmp_path, monkeypatch):
    from sync.central.consult import janus_config

    monkeypatch.setattr(janus_config, "JANUS", str(tmp_path / "no-janus"))
    with pytest.raises(JanusError, match=r"janus is not installed \(Debian package 'janus'\)"):
        janus_config.janus_argv(tmp_path)
