"""Helpers for the consult tests: staff accounts, the relay over a real store, a minimal SDP
offer. The namespaces, receiver, agent, console and chromium of the call test are
`madoguchi.rig.call.CallRig` (shared with `madoguchi bench call`)."""

from __future__ import annotations

import time

from sync.central.consult import ConsultRelay, ConsultTables, hash_password
from sync.central.stores import open_store

PASSWORD = "correct horse battery"
# A real offer's shape (what check_sdp accepts): the relay stores it, never parses deeper.
OFFER = (
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 10.0.0.1\r\na=sendrecv\r\n"
)
ANSWER = OFFER.replace("o=- 1 1", "o=- 2 2")


def add_staff(db: str, username: str, *roles: str) -> None:
    store = open_store(db)
    try:
        ConsultTables(store).add_staff(username, hash_password(PASSWORD), roles, username)
    finally:
        store.close()


def relay_for(db: str, centers: dict | None = None) -> ConsultRelay:
    centers = centers or {}
    return ConsultRelay(db, lambda device_id: centers.get(device_id, "?"))


class Pump:
    """Hands the call worker's events to the resident's flow, in this thread (as the kiosk does
    on its clock), until a step is reached; `port` is the CallPort the test started."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.port = None
        self.seen = 0
        self.timeout = timeout

    def until(self, flow, predicate, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for event in self.port.events[self.seen :]:
                self.seen += 1
                flow.on_event(event)
            if predicate(flow.view()):
                return flow.view()
            if time.monotonic() > deadline:
                raise AssertionError(f"flow stuck at {flow.view()}; events {self.port.events[-6:]}")
            time.sleep(0.05)
