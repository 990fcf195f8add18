"""The kiosk session's `consult_source` (kiosk.session._consult): one `ConsultFlow` per
consultation over a `CallPort` (one worker process per call), its events handed to the session
on the UI's clock.

Guarantees: no worker starts until the flow's `start()` (the resident's Start tap); every event
the worker reports reaches `deliver` through `scheduler` (Kivy's clock in the kiosk), never on
the port's reader thread, and so does the worker's exit (`exited`), even when it died without a
last line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from kiosk.call.errors import CallWorkerError
from kiosk.call.flow import ConsultFlow
from kiosk.call.port import CallPort

__all__ = ["consult_source"]

Scheduler = Callable[[Callable[[], None]], None]


def consult_source(
    request_socket: str,
    scheduler: Scheduler,
    *,
    media: str = "devices",
    ice_servers: Sequence[str] = (),
    **port_options: Any,
) -> Callable[[str, Callable[[dict], None]], ConsultFlow]:
    """`KioskSession.consult_source` for this terminal's agent socket and media (`port_options`:
    more `CallPort` arguments, e.g. the tests' `launcher` into a network namespace)."""

    def source(language: str, deliver: Callable[[dict], None]) -> ConsultFlow:
        def on_event(event: dict) -> None:
            scheduler(lambda: deliver(event))

        def open_port() -> CallPort:
            port = CallPort(request_socket, media=media, ice_servers=ice_servers,
                            on_event=on_event, **port_options)  # fmt: skip

            def exited(event: dict) -> None:  # on the UI thread
                if flow._port is port:  # not the worker of a call reconnected since
                    deliver(event)

            # A worker that dies (a crash, killed) sends no last line: its exit is the event,
            # so the screen says the connection was lost instead of waiting for ever.
            threading.Thread(
                target=_on_exit, args=(port, lambda e: scheduler(lambda: exited(e))), daemon=True
            ).start()
            return port

        flow = ConsultFlow(open_port, language)
        return flow

    return source


def _on_exit(port: CallPort, on_event: Callable[[dict], None]) -> None:
    try:
        event = port.wait_for("exited", _FOREVER_S)
    except CallWorkerError:
        return
    on_event(event)


_FOREVER_S = 7 * 24 * 3600.0
