"""The call worker's failures, through the real signaling path (enrolled agent over an ipc://
request socket, CURVE, receiver, relay) and the real console app, without a browser: an answer
it cannot use, a terminal without camera, malformed commands, the kiosk going away. The worker
runs in a network namespace of the test's own (no route anywhere), so nothing leaves the
machine; each failure ends with one `ended` event saying why, never a hang."""

from __future__ import annotations

import os

import pytest

from kiosk.call import CallPort
from madoguchi.rig.call import namespace_pair
from sync.central.consult import ConsultTables
from sync.central.consult.app import ConsoleConfig, create_app
from sync.central.stores import open_store
from tests.support.consult import PASSWORD, add_staff, relay_for
from tests.support.sync import agent_for, central, device_kit, start_receiver, wait_until  # noqa: F401

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")


@pytest.fixture
def stack(tmp_path, central):  # noqa: F811
    db = str(tmp_path / "central.db")
    open_store(db).close()
    add_staff(db, "tanaka", "specialist")
    kit = device_kit(tmp_path, central, "term-w")
    relay = relay_for(db)
    receiver = start_receiver(central, db, handlers=relay.handlers())
    endpoint = f"ipc://{tmp_path / 'agent.sock'}"
    agent = agent_for(kit, central, receiver.endpoint, request_endpoint=endpoint).start()
    ports: list[CallPort] = []
    try:
        assert wait_until(lambda: agent.status.connected, 15)
        with namespace_pair() as (a, _b, _a_addr, _b_addr):

            def port(media="synthetic"):
                ports.append(CallPort(endpoint, media=media, launcher=["ip", "netns", "exec", a]))
                ports[-1].wait_for("ready", 20)
                return ports[-1]

            yield db, port
            for p in ports:
                p.close()
    finally:
        agent.stop()
        receiver.stop()
        relay.close()


def _console(db):
    client = create_app(ConsoleConfig(db, secret_key=b"k" * 32)).test_client()
    client.post("/login", data={"username": "tanaka", "password": PASSWORD})
    return client


def test_an_answer_the_worker_cannot_use_ends_the_call_plainly(stack):
    db, port = stack
    terminal = port()
    terminal.call("tax", "ja")
    terminal.wait_for("queued", 20)
    console = _console(db)
    (row,) = console.get("/api/queue").json["requests"]
    assert console.post(f"/api/accept/{row['id']}", json={}).status_code == 200
    bogus = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 0\r\n"
    assert console.post(f"/api/answer/{row['id']}", json={"sdp": bogus}).status_code == 200
    ended = terminal.wait_for("ended", 20)
    assert ended["by"] == "network" and ended["reason"].startswith("answer_")
    assert terminal.close() == 0
    store = open_store(db)
    try:
        record = ConsultTables(store).get(row["id"])
    finally:
        store.close()
    assert (record.state, record.ended_by) == ("ended", "network")


def test_a_terminal_without_a_camera_says_so_and_queues_nothing(stack):
    db, port = stack
    terminal = port(media="devices")  # no /dev/video0 in the test's namespace or machine
    terminal.call("welfare", "en")
    ended = terminal.wait_for("ended", 20)
    assert ended["by"] == "unavailable" and ended["reason"].startswith("media_")
    assert terminal.close() == 0
    store = open_store(db)
    try:
        assert ConsultTables(store).records() == []
    finally:
        store.close()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json\n", "bad_command"),
        ('["call"]\n', "bad_command"),
        ('{"cmd": "dance"}\n', "unknown_command"),
        ('{"cmd": "chat", "text": "hello"}\n', "not_connected"),
        ('{"cmd": "share", "fields": [["a", "b"]]}\n', "not_connected"),
    ],
)
def test_malformed_or_untimely_commands_get_an_error_event(stack, line, reason):
    _, port = stack
    terminal = port()
    terminal._proc.stdin.write(line)
    terminal._proc.stdin.flush()
    assert terminal.wait_for("error", 10)["reason"] == reason
    assert terminal.close() == 0


def test_the_kiosk_going_away_ends_the_waiting_request(stack):
    db, port = stack
    terminal = port()
    terminal.call("care", "ko")
    terminal.wait_for("queued", 20)
    assert terminal.close() == 0  # stdin closed: the worker hangs up and exits
    store = open_store(db)
    try:
        (record,) = ConsultTables(store).records()
    finally:
        store.close()
    assert (record.state, record.ended_by) == ("ended", "terminal")
