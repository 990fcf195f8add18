"""The center queue core on real SQLite files: numbers, calling order, staff steps, events kept
until the outbox takes them, offline tickets adopted once, bad input refused."""

from __future__ import annotations

import pytest

from kiosk.center import (
    CenterQueue,
    CounterPausedError,
    QueueInputError,
    StaffCalls,
    TicketStateError,
)

pytestmark = pytest.mark.timeout(30)


class Clock:
    def __init__(self) -> None:
        self.t = 1_796_000_000.0  # 2026-11-29

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def host(tmp_path, clock):
    q = CenterQueue(tmp_path / "host.db", "higashi", clock=clock)
    yield q
    q.close()


def test_numbers_per_service_priority_and_order(host, clock):
    a1, before = host.issue("procedure")
    assert (a1.label, before) == ("A-001", 0)
    clock.t += 10
    b1, _ = host.issue("certificate", "en")
    clock.t += 10
    a2, before = host.issue("procedure")
    assert (b1.label, a2.label, before) == ("B-001", "A-002", 2)
    clock.t += 10
    r1, before = host.issue("reserved")
    assert r1.label == "R-001" and before == 0  # nobody with a reservation ahead
    assert [t.label for t in host.waiting_tickets()] == ["R-001", "A-001", "B-001", "A-002"]
    called = host.call_next("1")
    assert called.label == "R-001" and called.counter == "1" and called.state == "called"
    assert host.board()["calling"][0]["label"] == "R-001"


def test_staff_steps_and_events_reach_the_sink_once(host, clock):
    host.issue("procedure")
    host.issue("procedure")
    t = host.call_next("1")
    host.recall(t.label)
    host.start(t.label)
    clock.t += 300
    host.end(t.label)
    u = host.call_next("2")
    host.no_show(u.label)
    with pytest.raises(TicketStateError):
        host.end(u.label)
    got: list = []
    assert host.flush(lambda kind, body: got.append((kind, body))) == 8
    assert host.flush(lambda kind, body: got.append((kind, body))) == 0
    events = [(b["ticket"], b["event"]) for k, b in got if k == "queue_event"]
    assert events == [
        ("A-001", "issued"), ("A-002", "issued"), ("A-001", "called"), ("A-001", "recalled"),
        ("A-001", "started"), ("A-001", "ended"), ("A-002", "called"), ("A-002", "no_show"),
    ]  # fmt: skip
    assert all(b["center"] == "higashi" and "name" not in b for _, b in got)
    # the measured counter time (A-001: 5 min from call to end) drives the estimate: two
    # counters open (both called someone this hour), both free; three waiting go 1, 2, 1 and
    # the next is called when counter 2 is free again after 5 min; one waiting: a free counter
    for _ in range(3):
        host.issue("procedure")
    assert host.estimate_wait_min("procedure", 3) == 5
    assert host.estimate_wait_min("procedure", 1) == 0
    host.pause("2", True)  # one counter left: 3 x 5 min
    assert host.estimate_wait_min("procedure", 3) == 15


def test_full_outbox_keeps_events_for_the_next_flush(host):
    host.issue("procedure")
    host.issue("certificate")

    def refusing(kind, body):
        raise OSError("outbox full")

    assert host.flush(refusing) == 0 and host.unsent_events() == 2
    got: list = []
    assert host.flush(lambda k, b: got.append(b["ticket"])) == 2 and got == ["A-001", "B-001"]


def test_transfer_pause_and_counter_targets(host, clock):
    host.issue("procedure")
    clock.t += 1
    host.issue("procedure")
    t = host.call_next("1")
    host.transfer(t.label, counter="3")
    assert host.call_next("1").label == "A-002"  # A-001 now waits for counter 3 only
    assert host.call_next("1") is None
    assert host.call_next("3").label == "A-001"
    host.pause("2", True)
    with pytest.raises(CounterPausedError):
        host.call_next("2")
    assert host.board()["paused"] == ["2"]
    host.pause("2", False)
    assert host.call_next("2") is None


def test_offline_terminal_numbers_never_collide_and_merge_in_one_order(tmp_path, host, clock):
    term = CenterQueue(tmp_path / "t2.db", "higashi", clock=clock, mark="2")
    host.issue("procedure")  # A-001 at t0
    clock.t += 5
    offline, _ = term.issue("procedure")  # the link is cut: A2-001 at t0+5
    clock.t += 5
    host.issue("procedure")  # A-002 at t0+10
    assert offline.label == "A2-001"
    pending = term.unhanded()
    assert host.adopt(pending) == 1
    assert host.adopt(pending) == 0  # sent twice: taken once
    term.mark_handed(pending)
    assert term.unhanded() == []
    labels = [t.label for t in host.all_tickets()]
    assert labels == ["A-001", "A2-001", "A-002"] and len(set(labels)) == 3
    assert [host.call_next("1").label for _ in range(3)] == ["A-001", "A2-001", "A-002"]
    term.close()


@pytest.mark.parametrize(
    "call, code",
    [
        (lambda q: q.issue("bogus"), "unknown_service"),
        (lambda q: q.issue("procedure", "x" * 40), "bad_language"),
        (lambda q: q.call_next("../1"), "bad_counter"),
        (lambda q: q.start("A-999"), "unknown_ticket"),
        (lambda q: q.start("'; DROP"), "bad_ticket"),
        (lambda q: q.transfer("A-001"), "transfer_target"),
        (lambda q: q.adopt([{"label": "A-001", "service": "procedure", "day": "2026-11-29",
                             "issued_at": 1.0}]), "bad_ticket"),  # a host label: refused
        (lambda q: q.adopt([{"label": "B2-001", "service": "procedure", "day": "2026-11-29",
                             "issued_at": 1.0}]), "bad_ticket"),
        (lambda q: q.adopt([{"label": "A2-001", "service": "procedure", "day": "x",
                             "issued_at": 1.0}]), "bad_ticket"),
        (lambda q: q.adopt([{"label": "A2-001", "service": "procedure", "day": "2026-11-29",
                             "issued_at": float("nan")}]), "bad_ticket"),
        (lambda q: q.adopt(["A2-001"]), "bad_ticket"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_changes(host, call, code):
    host.issue("procedure")
    before = host.all_tickets()
    with pytest.raises(QueueInputError) as e:
        call(host)
    assert e.value.code == code
    assert host.all_tickets() == before


def test_staff_calls_repeat_then_answer_with_response_time(host, clock):
    calls = StaffCalls(host, repeat_s=30)
    call_id = calls.raise_call("kiosk-2", "procedure_form")
    clock.t += 65
    state = calls.state(call_id)
    assert state["state"] == "calling" and state["repeats"] == 2
    assert [c["id"] for c in calls.open_calls()] == [call_id]
    answered = calls.answer(call_id, "1")
    assert answered["state"] == "answered" and answered["waited_s"] == 65
    assert calls.open_calls() == []
    got: list = []
    host.flush(lambda k, b: got.append((k, b)))
    assert [(k, b["event"]) for k, b in got] == [
        ("staff_call", "called"),
        ("staff_call", "answered"),
    ]
    assert got[1][1]["response_s"] == 65
    for bad in [("kiosk 2", "home"), ("kiosk-2", "Home!"), ("", "home")]:
        with pytest.raises(QueueInputError):
            calls.raise_call(*bad)
    with pytest.raises(QueueInputError):
        calls.answer("0" * 16)
