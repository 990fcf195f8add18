"""A kiosk session on the center's queue and staff calls: a real queue host on loopback (SQLite,
waitress), the terminal's fallback queue and real sealed outboxes; the link to the host cut
through a real TCP forwarder. The staff member's answer comes through the host's console API."""

from __future__ import annotations

import pytest

from devices.card import CardReader
from kiosk.catalog import default_catalog
from kiosk.center import CenterQueue, HostClient, TerminalQueue
from kiosk.services import CardReaderAdapter, OutboxAdapter
from kiosk.session import KioskSession, NoticeCode, SessionConfig, SessionPorts, Step
from kiosk.staff_alert import CenterStaffAlert
from kiosk.voice import Voice, VoiceConfig
from tests.support.center import CuttableLink, client, opened, running_host
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(60)


class Clock:
    def __init__(self) -> None:
        self.t = 1_796_000_000.0

    def __call__(self) -> float:
        return self.t


def _kiosk(tmp, kit, url, device, mark, clock):
    queue = TerminalQueue(
        HostClient(url, client_token(), timeout_s=1.0),
        CenterQueue(tmp / f"{device}-fallback.db", "higashi", mark=mark),
        kit.outbox.append,
        terminal=device,
        clock=clock,
    )
    alert = CenterStaffAlert(queue, Voice(VoiceConfig(enabled_by_default=False)))
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader("no reader")),
        outbox=OutboxAdapter(kit.outbox),
        queue=queue,
        alert=alert,
    )
    session = KioskSession(
        default_catalog(),
        ports,
        SessionConfig(device_id=device, staff_call_repeat_s=1),
        clock=clock,
    )
    return session, queue


def client_token():
    from tests.support.center import TOKEN

    return TOKEN


def _ticket(session, service):
    assert session.take_queue_ticket(service)
    assert session.step is Step.QUEUE_TICKET
    label = session.ticket.number
    session.home()
    return label


def test_tickets_from_the_host_then_partitioned_then_merged(tmp_path):
    central = central_kit()
    hkit, kit = device_kit(tmp_path, central, "H"), device_kit(tmp_path, central, "K2")
    clock = Clock()
    with running_host(tmp_path, hkit.outbox) as (host, server):
        link = CuttableLink(server._server.effective_port)
        session, queue = _kiosk(tmp_path, kit, link.url, "K2", "2", clock)
        try:
            assert _ticket(session, "procedure") == "A-001"
            assert not session.take_queue_ticket("passport")  # unknown service: refused
            assert session.step is Step.HOME
            link.cut()
            assert _ticket(session, "procedure") == "A2-001"
            assert _ticket(session, "certificate") == "B2-001"
            # the second resident did not wait for the host again (retry_s not passed)
            assert link.refused == 1
            assert (
                client(server).call("POST", "/api/tickets", {"service": "procedure"})["ticket"][
                    "label"
                ]
                == "A-002"
            )
            link.restore()
            assert queue.sync()
            labels = [t.label for t in host.queue.waiting_tickets()]
            assert labels == ["A-001", "A2-001", "B2-001", "A-002"]
            assert queue.fallback.unhanded() == []
        finally:
            link.close()
            queue.host.close()
    issued = [b["ticket"] for b in opened(kit, central, "queue_event")]
    assert issued == ["A2-001", "B2-001"]  # the terminal records only what it issued offline
    host_issued = [b["ticket"] for b in opened(hkit, central, "queue_event")]
    assert host_issued == ["A-001", "A-002"]


def test_staff_call_calling_then_coming_unanswered_and_failed(tmp_path):
    central = central_kit()
    hkit, kit = device_kit(tmp_path, central, "H"), device_kit(tmp_path, central, "K1")
    clock = Clock()
    with running_host(tmp_path, hkit.outbox, repeat_s=60, clock=clock) as (host, server):
        link = CuttableLink(server._server.effective_port)
        session, queue = _kiosk(tmp_path, kit, link.url, "K1", "1", clock)
        try:
            session.open_booking()
            session.call_staff()
            assert session.notice.code is NoticeCode.STAFF_CALLING
            [call] = host.calls.open_calls()
            assert (call["terminal"], call["screen"]) == ("K1", session.step.value)
            # nobody answers for a minute: the terminal says so and calls again
            clock.t += 61
            session.tick()
            assert session.notice.code is NoticeCode.STAFF_UNANSWERED
            assert session.notice.params["repeats"] >= 1
            host.calls.answer(call["id"], "1")
            host.flush()  # as the console route does after an answer
            clock.t += 3
            session.tick()
            assert session.notice.code is NoticeCode.STAFF_COMING
            session.home()
            link.cut()
            clock.t += 2
            session.call_staff()
            assert session.notice.code is NoticeCode.STAFF_CALL_FAILED
        finally:
            link.close()
            queue.host.close()
    calls = [(b["event"], b["terminal"]) for b in opened(hkit, central, "staff_call")]
    assert calls == [("called", "K1"), ("answered", "K1")]
