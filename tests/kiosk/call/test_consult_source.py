"""`kiosk.call.source.consult_source`, the kiosk session's way to start call workers: the real
worker process's events reach the session only through the scheduler (the UI's clock), and a
worker that dies without a last line ends the consultation plainly ("the connection was lost",
reconnect or booking) instead of leaving the resident on the waiting screen for ever."""

from __future__ import annotations

import os
import queue
import signal
import time

import pytest

from kiosk.call.source import consult_source
from kiosk.catalog import default_catalog
from kiosk.session import ConsultHours, KioskSession, Step
from kiosk.session.memory import MemoryKit

pytestmark = pytest.mark.timeout(60)


def test_a_worker_that_dies_ends_the_consultation_plainly(tmp_path):
    clock_queue: queue.SimpleQueue = queue.SimpleQueue()  # the UI's clock: run in this thread
    session = KioskSession(default_catalog(), MemoryKit().ports())
    session.consult_source = consult_source(
        f"ipc://{tmp_path}/no-agent.sock", clock_queue.put, media="synthetic"
    )
    session.consult_hours = ConsultHours.parse(["mon-sun 00:00-24:00", "holidays open"])
    session.refresh_status()
    assert session.flows.consult.open() and session.flows.consult.choose_topic("tax")
    assert session.flows.consult.start()
    assert session.step is Step.CONSULT_WAITING
    port = session.visit_state.consult._port
    os.kill(port.pid, signal.SIGKILL)  # before it could say anything

    deadline = time.monotonic() + 30
    while session.step is not Step.CONSULT_ENDED:
        assert time.monotonic() < deadline, session.consult
        try:
            clock_queue.get(timeout=0.2)()
        except queue.Empty:
            pass
    view = session.consult
    assert view["reason"] == "The connection was lost."
    assert view["offer_booking"] and view["offer_reconnect"]
    session.home()
    assert session.consult is None
