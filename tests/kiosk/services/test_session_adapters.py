"""The adapters in `kiosk.services` translate the real libraries' errors into the session's port
errors and read real state (LocalState queue counters, the agent's status file)."""

from __future__ import annotations

import pytest

from devices.card import errors as ce
from kiosk.services import LocalQueueAdapter, OnlineAdapter, StatusAdapter, translate_card_error
from kiosk.session import (
    PortCardDataError,
    PortCardRemovedError,
    PortCertificateExpiredError,
    PortNoCardError,
    PortNotMyNumberCardError,
    PortOfflineError,
    PortPinBlockedError,
    PortRefusedError,
    PortWrongPinError,
)
from sync.agent import AgentStatus, write_status
from sync.errors import AgentOfflineError, RequestRefusedError, RequestTimeoutError
from sync.localstate import LocalState

CARD_ERRORS = [
    (ce.WrongPinError("kenhojo", 2), PortWrongPinError),
    (ce.PinBlockedError("kenhojo"), PortPinBlockedError),
    (ce.CardRemovedError("VERIFY"), PortCardRemovedError),
    (ce.NoCardError("r"), PortNoCardError),
    (ce.NoReaderError("pcscd down"), PortNoCardError),
    (ce.NotMyNumberCardError("kenhojo", 0x6A82), PortNotMyNumberCardError),
    (ce.CardDataError("0002", "bad TLV"), PortCardDataError),
    (ce.CertificateExpiredError("a", "b"), PortCertificateExpiredError),
    (ce.CardStatusError("SIGN", 0x6F00), PortCardDataError),
]


@pytest.mark.parametrize(
    "error, port_error", CARD_ERRORS, ids=[type(e).__name__ for e, _ in CARD_ERRORS]
)
def test_card_errors_are_translated(error, port_error):
    translated = translate_card_error(error)
    assert type(translated) is port_error
    if port_error is PortWrongPinError:
        assert translated.tries_left == 2


class _Client:
    def __init__(self, outcome):
        self.outcome = outcome

    def request(self, kind, payload, timeout):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.mark.parametrize(
    "outcome, error",
    [
        (RequestTimeoutError("certificate.issue", 3.0), PortOfflineError),
        (AgentOfflineError("certificate.issue"), PortOfflineError),
        (RequestRefusedError("certificate.issue", "unknown_kind"), PortRefusedError),
        ({"ok": False, "reason": "bad_signature"}, PortRefusedError),
        (["not", "a", "dict"], PortRefusedError),
    ],
)
def test_online_outcomes_are_translated(outcome, error):
    with pytest.raises(error):
        OnlineAdapter(_Client(outcome)).request("certificate.issue", {}, 1.0)


def test_online_reply_passes_through():
    assert OnlineAdapter(_Client({"ok": True, "x": 1})).request("k", {}, 1.0)["x"] == 1


def test_queue_counters_in_localstate(tmp_path):
    day = ["2026-11-29"]
    with LocalState(tmp_path / "state.db") as state:
        q = LocalQueueAdapter(state, today=lambda: day[0])
        assert q.call_next() is None
        assert q.take_ticket() == ("A-001", 0)  # the label the calling display uses
        assert q.take_ticket() == ("A-002", 1)
        assert q.waiting() == 2
        assert q.call_next() == "A-001"
        assert q.take_ticket() == ("A-003", 1)
        day[0] = "2026-11-30"  # a new day starts at 1
        assert q.take_ticket() == ("A-001", 0)


def test_status_from_the_agent_status_file(tmp_path):
    path = tmp_path / "agent.json"
    adapter = StatusAdapter(path, clock=lambda: 1000.0)
    assert not adapter.sync_status().online  # no agent ever ran
    write_status(
        path, AgentStatus(connected=True, backlog=4, last_success_at=990.0, updated_at=995.0)
    )
    status = adapter.sync_status()
    assert status.online and status.outbox_depth == 4 and status.last_sync == 990.0
    write_status(path, AgentStatus(connected=True, updated_at=900.0))
    assert not adapter.sync_status().online  # stale: the agent stopped writing
