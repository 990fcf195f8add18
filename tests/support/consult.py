"""Helpers for the consult tests: staff accounts, the relay over a real store, a minimal SDP
offer. The namespaces, receiver, agent, console and chromium of the call test are
`madoguchi.rig.call.CallRig` (shared with `madoguchi bench call`)."""

from __future__ import annotations

from madoguchi.rig.call import FlowPump
from sync.central.consult import ConsultRelay, ConsultTables, hash_password
from sync.central.stores import open_store

PASSWORD = "correct horse battery"
# A real offer's shape (what check_sdp accepts): the relay stores it, never parses deeper.
OFFER = (
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 10.0.0.1\r\na=sendrecv\r\n"
)
ANSWER = OFFER.replace("o=- 1 1", "o=- 2 2")


def add_staff(db: str, username: str, *roles: str, display_name: str | None = None) -> None:
    """An account with `PASSWORD`, shown as `display_name` (default: the username)."""
    store = open_store(db)
    try:
        ConsultTables(store).add_staff(
            username, hash_password(PASSWORD), roles, display_name or username
        )
    finally:
        store.close()


def room_call_marks(timeout: int) -> list:
    """The marks of a test that holds a call in a Janus room with consoles in Debian's chromium:
    its timeout, and skips without root (network namespaces), chromium or janus."""
    import os
    from pathlib import Path

    import pytest

    return [
        pytest.mark.timeout(timeout),
        pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
        pytest.mark.skipif(
            not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"
        ),
        pytest.mark.skipif(not Path("/usr/bin/janus").exists(), reason="Debian's janus missing"),
    ]


def relay_for(db: str, centers: dict | None = None) -> ConsultRelay:
    centers = centers or {}
    return ConsultRelay(db, lambda device_id: centers.get(device_id, "?"))


# The worker's events into the resident's flow: the rig's, shared with the demo and the bench.
Pump = FlowPump
