"""Fixtures that start the real parts (see docs/harness.md). No mocks of pcscd, cupsd, ZeroMQ,
SQLite, PostgreSQL or Kivy: each fixture starts the real thing in a temp dir and stops it.

Kivy reads its environment at import, so this module sets it up before any test imports Kivy:
a private KIVY_HOME, no argument parsing, and SDL's offscreen video driver when there is no
display (llvmpipe renders; screenshots work).
"""

from __future__ import annotations

import os
import tempfile

_kivy_home = tempfile.mkdtemp(prefix="madoguchi-kivy-home-")
os.environ.setdefault("KIVY_HOME", _kivy_home)
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")

import pytest  # noqa: E402

from madoguchi.rig import CupsRig, PcscRig, PostgresRig  # noqa: E402

# The session tests' catalog / kit / clock fixtures (a module's own fixture of the same name wins).
pytest_plugins = ["tests.support.session_fixtures"]


@pytest.fixture(scope="session")
def pcsc(tmp_path_factory):
    """A pcscd of this test session with the vpcd reader; pyscard in this process talks to it."""
    rig = PcscRig(tmp_path_factory.mktemp("pcscd")).start()
    rig.apply_env()
    yield rig
    rig.stop()


@pytest.fixture(scope="session")
def cups_server():
    """A cupsd of this test session on its own loopback port; no system printer is touched."""
    rig = CupsRig().start()
    yield rig
    rig.stop()


@pytest.fixture
def capture_queue(cups_server, request):
    """A fresh raw queue whose printer is a capture listener: (queue name, listener)."""
    name = "q_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:60]
    listener = cups_server.add_capture_queue(name)
    yield name, listener
    try:
        cups_server.lpadmin("-x", name)
    finally:
        listener.stop()
        cups_server.listeners.pop(name, None)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster on a Unix socket; yields the rig (use `.dsn`)."""
    rig = PostgresRig(fsync=False).start()
    yield rig
    rig.stop()


@pytest.fixture
def zctx():
    """A ZeroMQ context of one test; every socket left open is dropped at once (linger 0)."""
    import zmq

    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


@pytest.fixture(scope="session")
def kivy_window():
    """The one Kivy window of this process (offscreen without a display), CJK font registered."""
    from kiosk.fonts import register_fonts

    register_fonts()
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    window = EventLoop.window
    yield window
