"""Whatever the real outbox refuses (full disk, a record larger than it will seal, a damaged
file) reaches the session as a port error, never as a sync exception that would crash the UI;
nothing half-written is left behind. (The session's handling of the port error — resident told,
form kept — is tested in test_session_journey.py.)"""

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.services import OutboxAdapter
from kiosk.session import PortOutboxFullError
from sync.outbox import Outbox, OutboxConfig


@pytest.fixture
def outbox(tmp_path):
    ob = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0, max_body_bytes=1024),
        "C01",
        X25519PrivateKey.generate().public_key(),
        "s1",
    ).open()
    yield ob
    ob.close()


def test_record_too_large_to_seal_is_a_port_error(outbox):
    adapter = OutboxAdapter(outbox)
    with pytest.raises(PortOutboxFullError):
        adapter.append("application", {"procedure": "moving_in", "values": {"x": "y" * 2000}})
    assert outbox.stats().last_seq == 0
    outbox.verify()
    assert adapter.append("survey", {"score": 9}).seq == 1  # and the outbox still works


def test_reserve_above_free_space_is_a_port_error(tmp_path):
    ob = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=1 << 60),
        "C01",
        X25519PrivateKey.generate().public_key(),
        "s1",
    ).open()
    try:
        with pytest.raises(PortOutboxFullError):
            OutboxAdapter(ob).append("survey", {"score": 3})
        assert ob.stats().last_seq == 0
    finally:
        ob.close()
