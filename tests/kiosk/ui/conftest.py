"""Fixtures of the kiosk UI tests: the real app in the test window over the real card reader
(pcscd + vpcd), the test cupsd's capture queue, a sealed outbox and LocalState."""

from __future__ import annotations

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from devices.card import CardReader, CardWatcher, ScheduledObserver  # noqa: E402
from devices.printer import Printer, PrinterConfig  # noqa: E402
from devices.printer.documents import DocumentRenderer  # noqa: E402
from kiosk.catalog import default_catalog  # noqa: E402
from kiosk.services import (  # noqa: E402
    CardReaderAdapter,
    LocalQueueAdapter,
    OutboxAdapter,
    PrinterAdapter,
)
from kiosk.session import KioskSession, SessionConfig, SessionPorts  # noqa: E402
from sync.localstate import LocalState  # noqa: E402
from sync.outbox import Outbox, OutboxConfig  # noqa: E402
from tests.support.kiosk_driver import CENTRAL, STAFF_HASH, KioskUi  # noqa: E402


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


@pytest.fixture
def kiosk_ui(kivy_window, pcsc, cups_server, capture_queue, renderer, tmp_path):
    from kiosk.app import build_app, kivy_scheduler
    from kiosk.ui.walk import mount, unmount

    queue, listener = capture_queue
    printer = Printer(
        PrinterConfig(
            server=str(cups_server.socket_path), queues={"receipt": queue, "document": queue}
        )
    )
    adapter = PrinterAdapter(printer, renderer, city_name="豊橋市", center_name="東部地域センター")
    adapter.queue = queue
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0), "C01", CENTRAL.public_key(), "s1"
    ).open()
    state = LocalState(tmp_path / "local.db")
    reader = pcsc.reader_name(0)
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader(reader)),
        outbox=OutboxAdapter(outbox),
        printer=adapter,
        queue=LocalQueueAdapter(state, today=lambda: "2026-11-29"),
    )
    clock = [1000.0]
    session = KioskSession(
        default_catalog(),
        ports,
        SessionConfig(device_id="C01", staff_pin_hash=STAFF_HASH, online_timeout_s=0.5),
        clock=lambda: clock[0],
    )
    app = build_app(session, tick_interval_s=None)
    root = mount(app, kivy_window)
    watcher = CardWatcher(ScheduledObserver(session, kivy_scheduler()), reader).start()
    ui = KioskUi(kivy_window, session, app, root, listener, outbox, clock)
    ui.reader, ui.pcsc, ui.queue, ui.cups = reader, pcsc, queue, cups_server
    ui.frames(2)
    yield ui
    session.wipe()
    watcher.stop()
    unmount(app, kivy_window)
    state.close()
    outbox.close()
