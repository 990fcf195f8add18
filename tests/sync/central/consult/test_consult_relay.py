"""The signaling relay's terminal side through the real path: an enrolled device's agent, the
CURVE link, the real receiver (ZAP allowlist) and its `consult` request kind, on a real store.
A revoked terminal cannot signal; bad requests get a reason and change nothing."""

from __future__ import annotations

import pytest

from sync.central.consult import ConsultTables
from sync.central.stores import open_store
from sync.errors import RequestError
from tests.support.consult import OFFER, relay_for
from tests.support.sync import agent_for, central, device_kit, start_receiver, wait_until  # noqa: F401

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def rig(tmp_path, central):  # noqa: F811
    db = str(tmp_path / "central.db")
    kit = device_kit(tmp_path, central, "term-1")
    other = device_kit(tmp_path, central, "term-2")
    relay = relay_for(db, {"term-1": "東町センター", "term-2": "西町センター"})
    receiver = start_receiver(central, db, handlers=relay.handlers())
    agents = [agent_for(k, central, receiver.endpoint).start() for k in (kit, other)]
    try:
        for agent in agents:
            assert wait_until(lambda a=agent: a.status.connected, 15)
        yield db, central, agents
    finally:
        for agent in agents:
            agent.stop()
        receiver.stop()
        relay.close()


def _open(agent, topic="tax", language="ja", offer=OFFER) -> dict:
    return agent.request(
        "consult", {"op": "open", "topic": topic, "language": language, "offer": offer}
    )


def test_open_poll_positions_and_hangup_through_the_agent(rig):
    db, _, (a1, a2) = rig
    first, second = _open(a1), _open(a2)
    assert first["ok"] and first["position"] == 1
    assert second["ok"] and second["position"] == 2
    assert _open(a2, topic="welfare")["position"] == 1  # each topic has its own queue
    poll = a2.request("consult", {"op": "poll", "consultation": second["consultation"]})
    assert poll == {"ok": True, "state": "waiting", "position": 2}
    hung = a1.request("consult", {"op": "hangup", "consultation": first["consultation"]})
    assert hung == {"ok": True, "state": "ended"}
    poll = a2.request("consult", {"op": "poll", "consultation": second["consultation"]})
    assert poll["position"] == 1
    store = open_store(db)
    try:
        record = ConsultTables(store).get(first["consultation"])
    finally:
        store.close()
    assert (record.device_id, record.center, record.topic, record.language) == (
        "term-1",
        "東町センター",
        "tax",
        "ja",
    )
    assert (record.state, record.ended_by, record.outcome) == (
        "ended",
        "terminal",
        "resident_hung_up",
    )


@pytest.mark.parametrize(
    "payload, reason",
    [
        ({"op": "open", "topic": "astrology", "language": "ja", "offer": OFFER}, "unknown_topic"),
        ({"op": "open", "topic": "tax", "language": "xx", "offer": OFFER}, "unknown_language"),
        ({"op": "open", "topic": "tax", "language": "ja", "offer": "hello"}, "bad_offer"),
        (
            {"op": "open", "topic": "tax", "language": "ja", "offer": OFFER + "a" * 40000},
            "bad_offer",
        ),
        ({"op": "open", "topic": "tax", "language": "ja", "offer": 5}, "bad_offer"),
        ({"op": "open", "topic": "tax", "language": "ja", "offer": "v=0\x00m="}, "bad_offer"),
        ({"op": "poll", "consultation": "f" * 32}, "unknown_consultation"),
        ({"op": "poll", "consultation": ["x"]}, "unknown_consultation"),
        ({"op": "reoffer", "consultation": "f" * 32, "offer": OFFER}, "unknown_consultation"),
        ({"op": "reoffer", "consultation": "f" * 32, "offer": "x"}, "bad_offer"),
        ({"op": "dance"}, "unknown_op"),
        ({}, "unknown_op"),
    ],
)
def test_bad_requests_get_a_reason_and_store_nothing(rig, payload, reason):
    db, _, (a1, _) = rig
    assert a1.request("consult", payload) == {"ok": False, "reason": reason}
    store = open_store(db)
    try:
        assert ConsultTables(store).records() == []
    finally:
        store.close()


def test_a_terminal_sees_and_ends_only_its_own_requests(rig):
    _, _, (a1, a2) = rig
    mine = _open(a1)["consultation"]
    for op in ("poll", "hangup", "reoffer"):
        got = a2.request("consult", {"op": op, "consultation": mine, "offer": OFFER})
        assert got == {"ok": False, "reason": "unknown_consultation"}
    assert a1.request("consult", {"op": "poll", "consultation": mine})["state"] == "waiting"


def test_a_revoked_terminal_cannot_signal(rig):
    db, central_kit, (a1, a2) = rig
    assert _open(a1)["ok"]
    central_kit.allowlist.revoke("term-1")
    assert wait_until(lambda: not a1.status.connected, 15)
    with pytest.raises(RequestError):
        _open(a1)
    store = open_store(db)
    try:
        assert len(ConsultTables(store).records()) == 1  # only the one from before revocation
    finally:
        store.close()
    assert _open(a2)["ok"]  # the others are not affected


def test_a_terminal_reporting_a_dropped_link_is_recorded_as_network(rig):
    db, _, (a1, _) = rig
    cid = _open(a1)["consultation"]
    got = a1.request("consult", {"op": "hangup", "consultation": cid, "reason": "network"})
    assert got == {"ok": True, "state": "ended"}
    store = open_store(db)
    try:
        record = ConsultTables(store).get(cid)
    finally:
        store.close()
    assert (record.ended_by, record.outcome) == ("network", "dropped")
