"""番号札 with a choice of service at a kiosk on the center's queue: the queue_service step shows
each service's wait from the queue host (real host on loopback, measured handling times), a
ticket is taken for the chosen service, and 予約あり is given only for a booking central confirmed
for today. The booking check is the real `consultation.booking_status` through a real agent and
receiver (SQLite store; the terminal's offline booking record opened by processing and decided by
the booking applier). Every other answer (not found, provisional, another day, no connection)
is said and a 手続き ticket is offered instead."""

from __future__ import annotations

import datetime as _dt

import pytest

from devices.card import CardReader
from kiosk.catalog import default_catalog
from kiosk.center import CenterQueue, TerminalQueue
from kiosk.services import CardReaderAdapter, OnlineAdapter, OutboxAdapter
from kiosk.session import KioskSession, SessionConfig, SessionPorts, Step
from sync.central.bookings import BookingApplier, booking_status_handler, kiosk_reference
from sync.central.processing import Processor
from sync.central.stores import open_store
from tests.support.center import client, running_host
from tests.support.sync import (
    KEY_ID,
    agent_for,
    central_kit,
    device_kit,
    start_receiver,
    wait_until,
)

pytestmark = pytest.mark.timeout(90)

NOW = 1_796_000_000.0
CENTERS = {"HOST": "higashi", "K2": "higashi"}


def _local(t: float) -> str:
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%dT%H:%M")


def _session(kit, server, tmp, online=None):
    queue = TerminalQueue(
        client(server),
        CenterQueue(tmp / "K2-fallback.db", "higashi", mark="2"),
        kit.outbox.append,
        terminal="K2",
    )
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader("no reader")),
        outbox=OutboxAdapter(kit.outbox),
        queue=queue,
        online=online,
    )
    config = SessionConfig(device_id="K2", online_timeout_s=3.0)
    session = KioskSession(default_catalog(), ports, config, wall_clock=lambda: NOW)
    return session, queue


def test_choice_of_service_with_waits_from_the_host(tmp_path):
    central = central_kit()
    hkit, kit = device_kit(tmp_path, central, "HOST"), device_kit(tmp_path, central, "K2")
    with running_host(tmp_path, hkit.outbox) as (host, server):
        session, queue = _session(kit, server, tmp_path)
        try:
            # two people wait for certificates; one procedure was served in 12 minutes
            for service in ("certificate", "certificate", "procedure"):
                host.queue.issue(service, "ja")
            served = host.queue.call_next("1")
            host.queue.start(served.label)
            host.queue.end(served.label)
            assert session.flows.services.open_queue_services()
            assert session.step is Step.QUEUE_SERVICE
            waits = session.queue_choice.estimates
            assert set(waits) == {"procedure", "certificate", "consultation", "reserved"}
            assert waits == host.queue.estimates(session.config.minutes_per_person)
            assert waits["certificate"] >= waits["consultation"]
            # 予約あり needs a booking checked for today: refused without one
            assert not session.flows.services.take_queue_ticket("reserved")
            assert session.step is Step.QUEUE_SERVICE
            assert session.flows.services.take_queue_ticket("certificate")
            assert session.step is Step.QUEUE_TICKET
            assert session.ticket.number == "B-003"
            assert session.ticket.waiting_before == 2
        finally:
            queue.host.close()


def test_local_counter_keeps_one_tap(tmp_path):
    """A terminal without the center's queue (its own counter): 番号札 is a ticket at once."""
    from kiosk.services import LocalQueueAdapter
    from sync.localstate import LocalState

    central = central_kit()
    kit = device_kit(tmp_path, central, "K2")
    state = LocalState(tmp_path / "local.db")
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader("no reader")),
        outbox=OutboxAdapter(kit.outbox),
        queue=LocalQueueAdapter(state, today=lambda: "2026-11-29"),
    )
    session = KioskSession(default_catalog(), ports, SessionConfig(device_id="K2"))
    try:
        assert session.flows.services.open_queue_services()
        assert session.step is Step.QUEUE_TICKET and session.ticket.number == "A-001"
    finally:
        state.close()


def test_reserved_ticket_only_for_a_booking_confirmed_for_today(tmp_path):
    central = central_kit()
    db = str(tmp_path / "central.db")
    today, later = _local(NOW + 1800), _local(NOW + 86400 * 3)
    assert today[:10] == _local(NOW)[:10]
    store = open_store(db)
    store.sync_slots([("tax-today", "tax", today, 30, 1), ("tax-later", "tax", later, 30, 1)])
    store.close()
    hkit, kit = device_kit(tmp_path, central, "HOST"), device_kit(tmp_path, central, "K2")
    refs = {}
    for name, slot, start in (("today", "tax-today", today), ("later", "tax-later", later)):
        seq = kit.outbox.append(
            "booking", {"topic": "tax", "slot": slot, "start": start, "request_id": f"r-{name}"}
        ).seq
        refs[name] = kiosk_reference("K2", seq)
    handlers = {
        "consultation.booking_status": booking_status_handler(
            lambda: open_store(db), center_of=CENTERS.get
        )
    }
    receiver = start_receiver(central, db, handlers=handlers)
    agent = agent_for(kit, central, receiver.endpoint).start()
    try:
        assert wait_until(lambda: agent.status.connected)
        assert wait_until(lambda: kit.outbox.stats().pending == 0)
        Processor(lambda: open_store(db), {KEY_ID: central.sealing_key}).drain()
        BookingApplier(lambda: open_store(db), clock=lambda: NOW).drain()
        refs["pending"] = kiosk_reference("K2", 9999)  # a slip central has not decided yet
        with running_host(tmp_path, hkit.outbox) as (host, server):
            session, queue = _session(kit, server, tmp_path, OnlineAdapter(agent))
            services = session.flows.services
            try:
                answers = {}
                for name in ("later", "pending"):
                    assert services.open_queue_services()
                    assert services.check_reservation(refs[name])
                    answers[name] = session.queue_choice.reservation
                    assert session.step is Step.QUEUE_SERVICE
                    assert not services.take_queue_ticket("reserved")
                    session.home()
                assert answers == {"later": "other_day", "pending": "pending"}
                assert services.open_queue_services()
                assert not services.check_reservation("../../etc/passwd")  # not a slip number
                assert session.queue_choice.reservation == "unknown"
                assert services.check_reservation(refs["today"])  # the ticket at once
                assert session.queue_choice.reservation == "today"
                assert session.step is Step.QUEUE_TICKET and session.ticket.number == "R-001"
                assert [t.label for t in host.queue.waiting_tickets()] == ["R-001"]
                session.home()
                # central cut off: said plainly, and a 手続き ticket is still there
                agent.stop()
                assert services.open_queue_services()
                assert services.check_reservation(refs["today"])
                assert session.queue_choice.reservation == "offline"
                assert services.take_queue_ticket("procedure")
                assert session.ticket.number == "A-001"
            finally:
                queue.host.close()
    finally:
        agent.stop()
        receiver.stop()
