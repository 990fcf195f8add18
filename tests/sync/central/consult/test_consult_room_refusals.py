"""Calls with three or more parties: every refusal of the relay's room operations (the terminal's
side) and of the console's room routes (the staff's side), against a real Janus of the test's
own (Debian's janus in a network namespace the test creates, Unix-socket API only) and a real
central store. Each refusal is one clear reason; nothing crashes; Janus gone is
`room_unavailable` / 503."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from madoguchi.rig.call import namespace_pair
from madoguchi.rig.janus import JanusRig
from sync.central.consult import ConsultRelay, ConsultTables, Staff
from sync.central.consult.app import ConsoleConfig, create_app
from sync.central.consult.errors import JanusError
from sync.central.consult.janus import Rooms, room_id
from sync.central.stores import open_store
from tests.support.consult import ANSWER, OFFER, PASSWORD, add_staff

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not Path("/usr/bin/janus").exists(), reason="Debian's janus missing"),
]


@pytest.fixture(scope="module")
def janus(tmp_path_factory):
    with namespace_pair("mdgj") as (_a, b, _aa, _ba):
        with JanusRig(tmp_path_factory.mktemp("janus"), netns=b, interface="veth1") as rig:
            yield rig


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "central.db")
    open_store(path).close()
    for name, role in (("tanaka", "specialist"), ("sato", "specialist"), ("nguyen", "interpreter")):
        add_staff(path, name, role)
    return path


@pytest.fixture
def relay(db, janus):
    relay = ConsultRelay(db, lambda device_id: "東町センター", rooms=Rooms.connect(janus.socket))
    yield relay
    relay.close()


def _open(relay, device="term-1") -> str:
    got = relay.handle(device, {"op": "open", "topic": "welfare", "language": "ja", "offer": OFFER})
    assert got["ok"], got
    return got["consultation"]


def _accept(db, cid, username="tanaka") -> None:
    store = open_store(db)
    try:
        staff = Staff(username, ("specialist",), username)
        assert ConsultTables(store).accept(cid, staff, "specialist", 1.0) is not None
    finally:
        store.close()


def test_poll_of_a_call_in_a_room_says_room_and_lists_no_feed_yet(relay, db):
    cid = _open(relay)
    _accept(db, cid)
    got = relay.handle("term-1", {"op": "poll", "consultation": cid})
    assert got["ok"] and got["room"] is True and got["feeds"] == []
    assert "answer" not in got and got["staff_role"] == "specialist"


@pytest.mark.parametrize(
    ("accepted", "payload", "reason"),
    [
        (False, {"op": "publish", "offer": OFFER}, "not_in_call"),
        (True, {"op": "publish", "offer": "not sdp"}, "bad_offer"),
        (True, {"op": "publish"}, "bad_offer"),
        (True, {"op": "subscribe", "feed": 12345}, "unknown_feed"),
        (True, {"op": "subscribe", "feed": "12345"}, "unknown_feed"),
        (True, {"op": "subscribe"}, "unknown_feed"),
        (True, {"op": "start", "answer": ANSWER}, "bad_request"),
        (True, {"op": "start", "subscription": 7, "answer": "v=1"}, "bad_offer"),
        (True, {"op": "start", "subscription": 7, "answer": ANSWER}, "room_unavailable"),
        (True, {"op": "unsubscribe", "subscription": "7"}, "bad_request"),
    ],
)
def test_room_operations_refuse_bad_requests(relay, db, accepted, payload, reason):
    cid = _open(relay)
    if accepted:
        _accept(db, cid)
    got = relay.handle("term-1", {**payload, "consultation": cid})
    assert got == {"ok": False, "reason": reason}


def test_room_operations_on_someone_elses_call_are_refused(relay, db):
    cid = _open(relay, "term-1")
    _accept(db, cid)
    for op in ("publish", "subscribe", "start", "unsubscribe"):
        got = relay.handle("term-2", {"op": op, "consultation": cid, "offer": OFFER})
        assert got == {"ok": False, "reason": "unknown_consultation"}


def test_janus_gone_is_room_unavailable_never_a_crash(db, tmp_path):
    with namespace_pair("mdgk") as (_a, b, _aa, _ba):
        with JanusRig(tmp_path, netns=b, interface="veth1") as rig:
            relay = ConsultRelay(db, lambda d: "?", rooms=Rooms.connect(rig.socket))
            cid = _open(relay)
            _accept(db, cid)
        try:  # Janus stopped: the relay says so, and the poll still answers
            got = relay.handle("term-1", {"op": "subscribe", "consultation": cid, "feed": 1})
            assert got == {"ok": False, "reason": "room_unavailable"}
            polled = relay.handle("term-1", {"op": "poll", "consultation": cid})
            assert polled["ok"] and polled["state"] == "accepted"
            assert "feeds" not in polled  # the terminal keeps what it had, drops nothing
        finally:
            relay.close()


def test_a_restarted_janus_serves_new_calls_without_restarting_the_relay(db, tmp_path):
    with namespace_pair("mdgr") as (_a, b, _aa, _ba):
        with JanusRig(tmp_path, netns=b, interface="veth1") as rig:
            rooms = Rooms.connect(rig.socket)
            rooms.ensure_room(room_id("a" * 32, 0))
        try:
            with pytest.raises(JanusError):  # Janus gone: said, not hung
                rooms.ensure_room(room_id("b" * 32, 0))
            with JanusRig(tmp_path, netns=b, interface="veth1"):  # the same socket path
                rooms.ensure_room(room_id("c" * 32, 0))
                assert rooms.exists(room_id("c" * 32, 0))
                assert not rooms.exists(room_id("a" * 32, 0))  # gone with the old Janus
        finally:
            rooms.close()


# --- the console's room routes ---------------------------------------------------------------
def _client(db, janus, username):
    app = create_app(ConsoleConfig(db, secret_key=b"k" * 32, janus_socket=str(janus.socket)))
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302, r.data
    return client


def _post(client, path, body):
    return client.post(path, json=body)


def test_accept_in_a_room_and_who_may_invite_and_join(relay, db, janus):
    cid = _open(relay)
    tanaka, sato, nguyen = (_client(db, janus, u) for u in ("tanaka", "sato", "nguyen"))
    r = _post(tanaka, f"/api/accept/{cid}", {})
    assert r.status_code == 200 and r.json["room"] is True
    # Only the holder invites, and only a known role.
    assert _post(sato, f"/api/invite/{cid}", {"role": "interpreter"}).json == {
        "ok": False,
        "reason": "not_your_call",
    }
    assert _post(tanaka, f"/api/invite/{cid}", {"role": "mayor"}).status_code == 400
    assert _post(tanaka, "/api/invite/" + "0" * 32, {"role": "interpreter"}).status_code == 403
    assert _post(tanaka, "/api/invite/bad", {"role": "interpreter"}).status_code == 404
    # Nobody invited yet: nothing to join, nothing listed.
    assert nguyen.get("/api/invitations").json["invitations"] == []
    r = _post(nguyen, f"/api/join/{cid}", {"role": "interpreter"})
    assert (r.status_code, r.json["reason"]) == (409, "no_invitation")
    assert _post(tanaka, f"/api/invite/{cid}", {"role": "interpreter"}).json["ok"]
    (listed,) = nguyen.get("/api/invitations").json["invitations"]
    assert (listed["id"], listed["role"], listed["topic"]) == (cid, "interpreter", "welfare")
    assert sato.get("/api/invitations").json["invitations"] == []  # not his role
    # A role one does not have is refused; the invited role is taken.
    r = _post(sato, f"/api/join/{cid}", {"role": "interpreter"})
    assert (r.status_code, r.json["reason"]) == (403, "role_not_invited")
    assert _post(nguyen, f"/api/join/{cid}", {"role": "interpreter"}).json["room"] is True
    assert nguyen.get("/api/invitations").json["invitations"] == []  # joined: not listed again
    # In the call: the room's feeds; out of it: 403.
    assert nguyen.get(f"/api/room/{cid}").json == {"ok": True, "state": "accepted", "feeds": []}
    assert tanaka.get(f"/api/room/{cid}").json["feeds"] == []
    assert sato.get(f"/api/room/{cid}").status_code == 403
    for path, body in (
        ("publish", {"sdp": OFFER}),
        ("subscribe", {"feed": 1}),
        ("start", {"subscription": 1, "sdp": ANSWER}),
        ("leave", {}),
    ):
        assert _post(sato, f"/api/room/{cid}/{path}", body).status_code == 403
    store = open_store(db)
    try:
        assert ConsultTables(store).get(cid).roles == "specialist interpreter"
    finally:
        store.close()


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("publish", {"sdp": "nope"}, 400, "bad_offer"),
        ("publish", {}, 400, "bad_offer"),
        ("subscribe", {"feed": 999}, 400, "unknown_feed"),
        ("subscribe", {"feed": "1"}, 400, "unknown_feed"),
        ("start", {"subscription": "1", "sdp": ANSWER}, 400, "bad_answer"),
        ("start", {"subscription": 1, "sdp": "v=1"}, 400, "bad_answer"),
        ("start", {"subscription": 1, "sdp": ANSWER}, 503, "room_unavailable"),
    ],
)
def test_room_routes_refuse_bad_requests(relay, db, janus, path, body, status, reason):
    cid = _open(relay)
    tanaka = _client(db, janus, "tanaka")
    assert _post(tanaka, f"/api/accept/{cid}", {}).json["ok"]
    r = _post(tanaka, f"/api/room/{cid}/{path}", body)
    assert (r.status_code, r.json["reason"]) == (status, reason)


def test_the_end_of_the_call_closes_the_room_and_the_invitations(relay, db, janus):
    cid = _open(relay)
    tanaka, nguyen = _client(db, janus, "tanaka"), _client(db, janus, "nguyen")
    assert _post(tanaka, f"/api/accept/{cid}", {}).json["ok"]
    assert _post(tanaka, f"/api/invite/{cid}", {"role": "interpreter"}).json["ok"]
    rooms = relay.rooms
    rooms.ensure_room(room_id(cid, 0))
    assert _post(tanaka, f"/api/hangup/{cid}", {"outcome": "resolved"}).json["ok"]
    assert nguyen.get("/api/invitations").json["invitations"] == []
    assert nguyen.get(f"/api/room/{cid}").json == {
        "ok": True,
        "state": "ended",
        "ended_by": "console",
    }
    r = _post(nguyen, f"/api/join/{cid}", {"role": "interpreter"})
    assert (r.status_code, r.json["reason"]) == (409, "no_invitation")
    assert not rooms.exists(room_id(cid, 0))  # the room was destroyed


def test_one_partys_requests_at_the_same_time_share_one_janus_session(janus):
    """A console subscribes to every feed of a room at once: the party's Janus session is made
    once. (Two sessions made by a race left the losing request's subscription unknown at
    `start`: room_unavailable, and the newcomer's picture came seconds late.)"""
    import threading

    rooms = Rooms.connect(janus.socket)
    made = []
    create = rooms.client.create_session

    def counting_create():
        made.append(create())
        return made[-1]

    rooms.client.create_session = counting_create
    try:
        rooms.ensure_room(4343)  # its own admin session
        made.clear()
        start = threading.Barrier(4)
        got: list[dict] = []

        def first_request():
            start.wait(5)
            got.append(rooms._party(4343, "staff:nguyen"))

        threads = [threading.Thread(target=first_request) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(got) == 4 and all(entry is got[0] for entry in got)
        assert len(made) == 1
    finally:
        rooms.close()
