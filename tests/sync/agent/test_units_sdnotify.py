"""sync.sdnotify speaks the sd_notify datagram protocol to a real AF_UNIX socket (path and
abstract), and is a silent no-op without systemd."""

import os
import socket

import pytest

from sync import sdnotify


@pytest.fixture(params=["path", "abstract"])
def notify_socket(request, tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if request.param == "path":
        address = str(tmp_path / "notify")
        sock.bind(address)
        env_value = address
    else:
        name = f"madoguchi-test-{os.getpid()}-{id(sock)}"
        sock.bind("\0" + name)
        env_value = "@" + name
    sock.settimeout(5)
    yield sock, {"NOTIFY_SOCKET": env_value}
    sock.close()


def test_states_arrive(notify_socket):
    sock, env = notify_socket
    assert sdnotify.ready(env)
    assert sock.recv(4096) == b"READY=1"
    assert sdnotify.watchdog(env)
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert sdnotify.status("backlog 12\nrecords", env)
    assert sock.recv(4096) == b"STATUS=backlog 12 records"
    assert sdnotify.stopping(env)
    assert sock.recv(4096) == b"STOPPING=1"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"NOTIFY_SOCKET": ""},
        {"NOTIFY_SOCKET": "/nonexistent/socket"},
        {"NOTIFY_SOCKET": "vsock:2:3"},
    ],
)
def test_without_systemd_is_a_no_op(env):
    assert sdnotify.ready(env) is False
    assert sdnotify.watchdog(env) is False


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "x"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval(env, expected):
    assert sdnotify.watchdog_interval(env) == expected
