"""`madoguchi central dashboard` as a process: it refuses a non-loopback address without a
token (one line, exit 1), serves with the token on 127.0.0.1, stops on SIGTERM, takes its socket
from systemd socket activation, and its unit files keep it read-only and off the network."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sync.central import open_store
from tests.support.units import UNITS_DIR, parse_unit

pytestmark = pytest.mark.timeout(120)

TOKEN = "cli-test-token-abcdefghijklmnop"
MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MADOGUCHI_DASHBOARD_TOKEN"}
    return {**env, **extra}


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "central", "dashboard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or _env(),
    )


@pytest.mark.parametrize(
    "listen", ["0.0.0.0:8600", "[::]:8600", "192.0.2.10:8600", "dashboard.city.example:80"]
)
def test_non_loopback_without_token_is_refused_with_one_line(tmp_path, listen):
    result = _run("--db", str(tmp_path / "c.db"), "--listen", listen)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: refusing to listen on") and "MADOGUCHI_DASHBOARD_TOKEN" in last


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--listen", "nonsense"], {}, "--listen must be HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], {}, "--listen must be HOST:PORT"),
        (["--listen", "systemd"], {}, "needs sockets passed by systemd"),
        ([], {"MADOGUCHI_DASHBOARD_TOKEN": "s3cr3t"}, "too short"),
        (
            ["--token-env", "OTHER_TOKEN"],
            {"OTHER_TOKEN": "t1ny-s3cr3t"},
            "OTHER_TOKEN is too short",
        ),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path, args, env, message):
    result = _run("--db", str(tmp_path / "c.db"), *args, env=_env(**env))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr.strip().splitlines()[-1]
    assert "s3cr3t" not in result.stderr  # never the token itself


def _read_until(proc: subprocess.Popen, pattern: str, timeout: float = 30.0) -> re.Match:
    """Lines of the child's stderr until one matches (bounded in time)."""
    buffer = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.2)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            m = re.search(pattern, buffer.decode("utf-8", "replace"))
            if m:
                return m
        elif proc.poll() is not None:
            break
    raise AssertionError(f"no {pattern!r} in stderr: {buffer.decode('utf-8', 'replace')}")


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_serves_with_the_token_on_loopback_and_stops_on_sigterm(tmp_path):
    db = tmp_path / "central.db"
    open_store(str(db)).close()
    proc = subprocess.Popen(
        [MADOGUCHI, "central", "dashboard", "--db", str(db), "--listen", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(MADOGUCHI_DASHBOARD_TOKEN=TOKEN),
    )
    try:
        url = _read_until(proc, r"dashboard on (http://127\.0\.0\.1:\d+)").group(1)
        assert requests.get(url + "/api/overview", timeout=10).status_code == 401
        ok = requests.get(
            url + "/api/overview", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert ok.status_code == 200 and ok.json()["devices"] == []
    finally:
        code = _stop(proc)
        rest = proc.stderr.read().decode()
    assert code == 0
    assert TOKEN not in rest and "Traceback" not in rest


@pytest.mark.skipif(
    shutil.which("systemd-socket-activate") is None, reason="no systemd-socket-activate"
)
def test_takes_its_socket_from_systemd_socket_activation(tmp_path):
    db = tmp_path / "central.db"
    open_store(str(db)).close()
    with socket.socket() as probe:  # a free loopback port for systemd-socket-activate
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [
            "systemd-socket-activate",
            "-l",
            f"127.0.0.1:{port}",
            MADOGUCHI,
            "central",
            "dashboard",
            "--listen",
            "systemd",
            "--db",
            str(db),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    try:
        _read_until(proc, rf"Listening on 127\.0\.0\.1:{port}")
        response = requests.get(f"http://127.0.0.1:{port}/api/shelter?window=72h", timeout=30)
        assert response.status_code == 200 and response.json()["window"] == "72h"
        _read_until(proc, rf"dashboard on http://127\.0\.0\.1:{port}")
    finally:
        code = _stop(proc)
    assert code == 0


def test_an_inherited_socket_is_checked_like_an_address(tmp_path):
    """The LISTEN_FDS protocol by hand (fd 3, LISTEN_PID = the dashboard's own pid)."""
    db = tmp_path / "central.db"
    open_store(str(db)).close()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    wrapper = (
        "import os, sys\n"
        "os.dup2(int(sys.argv[1]), 3)\n"
        "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1')\n"
        "sys.argv = ['madoguchi', 'central', 'dashboard', '--listen', 'systemd', '--db', sys.argv[2]]\n"
        "from madoguchi.cli import main\n"
        "main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", wrapper, str(listener.fileno()), str(db)],
        pass_fds=(listener.fileno(),),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    listener.close()
    try:
        _read_until(proc, rf"dashboard on http://127\.0\.0\.1:{port}")
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
    finally:
        assert _stop(proc) == 0


def _service(name: str) -> dict:
    return parse_unit(UNITS_DIR / name)["Service"]


def test_dashboard_unit_is_read_only_and_off_the_network():
    dashboard = _service("madoguchi-dashboard.service")
    central = _service("madoguchi-central.service")
    for key in ("User", "Group", "UMask", "CapabilityBoundingSet", "ProtectSystem"):
        assert dashboard[key] == central[key], key
    assert dashboard["PrivateNetwork"] == ["yes"]
    assert "StateDirectory" not in dashboard and "ReadWritePaths" not in dashboard
    assert "-/var/lib/madoguchi-central" in dashboard["ReadOnlyPaths"]
    hidden = " ".join(dashboard["InaccessiblePaths"])
    for secret in ("curve_server.secret", "catalog_signing.pem", "sealing"):
        assert secret in hidden
    exec_start = dashboard["ExecStart"][0]
    assert "central dashboard" in exec_start and "--listen systemd" in exec_start
    socket_unit = parse_unit_socket(UNITS_DIR / "madoguchi-dashboard.socket")
    assert socket_unit["ListenStream"] == ["127.0.0.1:8600"]


def parse_unit_socket(path: Path) -> dict[str, list[str]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if m := re.fullmatch(r"\[(Unit|Socket|Install)\]", line):
            current = sections.setdefault(m.group(1), {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, raw
        current.setdefault(key, []).append(value)
    assert "WantedBy" in sections["Install"]
    return sections["Socket"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_socket_and_service_verify_together(tmp_path):
    for name in ("madoguchi-dashboard.service", "madoguchi-dashboard.socket"):
        text = (UNITS_DIR / name).read_text().replace("/opt/madoguchi/bin/madoguchi", MADOGUCHI)
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            str(tmp_path / "madoguchi-dashboard.socket"),
            str(tmp_path / "madoguchi-dashboard.service"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


_READ = """
import sys
from sync.central.dashboard.readonly_store import open_readonly
from sync.central.errors import StoreError
try:
    store = open_readonly(sys.argv[1])
    print("devices", len(store.devices()))
    store.close()
except StoreError as e:
    print("unreadable", e.operation)
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare"
)
def test_store_on_a_read_only_mount_as_under_the_unit(tmp_path):
    """ReadOnlyPaths= as the unit sets it (a read-only bind mount in a private mount namespace):
    readable while the receiver holds the WAL store open, 503-unreadable when nothing does."""
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    db = store_dir / "central.db"
    open_store(str(db)).close()

    mount_ro = f"mount --bind {store_dir} {store_dir} && mount -o remount,bind,ro {store_dir}"
    # Whether this machine can make the mount at all is asked on its own (a chroot, for one,
    # refuses a private mount namespace), so that a failure of the read itself is never skipped.
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", mount_ro], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        pytest.skip(f"no read-only bind mount in a private namespace here: {probe.stderr.strip()}")

    def read_in_read_only_mount() -> str:
        result = subprocess.run(
            ["unshare", "-m", "sh", "-c", f'{mount_ro} && exec "$0" -c "$1" "$2"']
            + [sys.executable, _READ, str(db)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert read_in_read_only_mount() == "unreadable open"
    receiver_side = open_store(str(db))  # the receiver keeps its connection (and -shm) open
    try:
        receiver_side.device_state("kita-01")
        assert read_in_read_only_mount() == "devices 0"
    finally:
        receiver_side.close()
    assert sorted(p.name for p in store_dir.iterdir()) == ["central.db"]
