"""The contract of madoguchi-sync-agent.service (Type=notify, WatchdogSec=): the real
`madoguchi sync-agent run` started as systemd would start it (NOTIFY_SOCKET, WATCHDOG_USEC,
WATCHDOG_PID) sends READY=1, keeps sending WATCHDOG=1 while its loop runs (no central
reachable: it is offline and retrying), and on SIGTERM sends STOPPING=1 and exits 0."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from madoguchi.rig import free_port
from provisioning import enroll_device, init_central


def test_agent_speaks_sd_notify(tmp_path):
    init_central(tmp_path / "central")
    port = free_port()
    enroll_device(
        tmp_path / "central",
        tmp_path / "bundle",
        device_id="notify-01",
        center="c",
        endpoint=f"tcp://127.0.0.1:{port}",
    )  # nothing listens there
    address = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(30)
    madoguchi = str(Path(sys.executable).with_name("madoguchi"))
    argv = [
        madoguchi,
        "sync-agent",
        "run",
        "--bundle",
        str(tmp_path / "bundle"),
        "--outbox",
        str(tmp_path / "outbox.sqlite3"),
        "--bundles-dir",
        str(tmp_path / "bundles"),
        "--status",
        str(tmp_path / "run" / "status.json"),
        "--request-socket",
        "",
    ]
    # WATCHDOG_PID must name the service's main process: exec through a shell that sets it
    env = {**os.environ, "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "1000000"}
    proc = subprocess.Popen(
        ["/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$@"', "sh", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        states = []
        while states.count(b"WATCHDOG=1") < 2:
            states.append(sock.recv(4096))
        assert states[0] == b"READY=1", states
        proc.send_signal(signal.SIGTERM)
        while b"STOPPING=1" not in states:
            states.append(sock.recv(4096))
        assert proc.wait(30) == 0, proc.stderr.read()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stderr.close()
        sock.close()
