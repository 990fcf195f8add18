"""`madoguchi kiosk` tells systemd READY=1 only once the home screen is on the display
(madoguchi-kiosk.service is Type=notify; the image's boot check and the update health check
read "active" as "home screen drawn"). Real Kivy window offscreen, real AF_UNIX datagram socket
as NOTIFY_SOCKET."""

from __future__ import annotations

import socket

import pytest

from kiosk._cli import _announce_home_drawn
from kiosk.ui.walk import PreviewUi


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def _frames(window, n: int) -> None:
    from kivy.base import EventLoop

    for _ in range(n):
        EventLoop.idle()


def test_ready_after_the_home_screen_is_drawn_and_only_once(kivy_window, notify_socket, caplog):
    with PreviewUi(kivy_window) as ui:
        assert ui.app.root_widget.step == "home"
        notify_socket.setblocking(False)
        with pytest.raises(BlockingIOError):  # nothing before the hook is armed
            notify_socket.recv(64)
        _announce_home_drawn(ui.app)
        _frames(kivy_window, 3)
        notify_socket.settimeout(5)
        assert notify_socket.recv(64) == b"READY=1"
        _frames(kivy_window, 3)
        notify_socket.setblocking(False)
        with pytest.raises(BlockingIOError):  # once: later frames send nothing more
            notify_socket.recv(64)


def test_no_ready_while_another_screen_is_shown(kivy_window, notify_socket):
    with PreviewUi(kivy_window) as ui:
        ui.session.choose_language("en")
        steps = ui.walk()
        next(steps)  # home
        step = next(steps)  # the screen after home
        assert ui.app.root_widget.step == step != "home"
        _announce_home_drawn(ui.app)
        _frames(kivy_window, 3)
        notify_socket.setblocking(False)
        with pytest.raises(BlockingIOError):
            notify_socket.recv(64)
