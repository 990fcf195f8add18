"""Helpers for the consult tests: staff accounts, a relay behind a real receiver and agent, a
minimal real SDP offer, and network namespaces joined by a veth pair for WebRTC peers.

Namespaces and addresses are the test's own (10.x inside them only) and are removed on exit,
even when the test fails."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid

from sync.central.consult import ConsultRelay, ConsultTables, hash_password
from sync.central.store import open_store

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


def _ip(*args: str, ns: str | None = None) -> None:
    argv = ["ip", *(("-n", ns) if ns else ()), *args]
    subprocess.run(argv, check=True, capture_output=True, timeout=10)


@contextlib.contextmanager
def namespace_pair(prefix: str = "mdgc"):
    """Two fresh network namespaces A and B, loopback up, joined by a veth pair:
    A has 10.77.0.1/24, B has 10.77.0.2/24. Yields (a, b, a_addr, b_addr)."""
    tag = f"{prefix}{os.getpid() % 10000}{uuid.uuid4().hex[:4]}"
    a, b = f"{tag}a", f"{tag}b"
    made: list[str] = []
    try:
        for ns in (a, b):
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("link", "set", "lo", "up", ns=ns)
        _ip("link", "add", "veth0", "netns", a, "type", "veth", "peer", "name", "veth1", "netns", b)
        _ip("addr", "add", "10.77.0.1/24", "dev", "veth0", ns=a)
        _ip("addr", "add", "10.77.0.2/24", "dev", "veth1", ns=b)
        _ip("link", "set", "veth0", "up", ns=a)
        _ip("link", "set", "veth1", "up", ns=b)
        yield a, b, "10.77.0.1", "10.77.0.2"
    finally:
        for ns in made:  # deleting a namespace deletes its end of the veth, and so the pair
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True, timeout=10)
