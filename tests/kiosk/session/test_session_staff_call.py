""" "Call staff", through `KioskSession` over the in-memory ports: the staff are alerted once per
`staff_call_repeat_s` however often the button is touched, the resident sees the notice every
time, and an anonymous metric says at which step help was needed (no personal data)."""

from __future__ import annotations

import json

import pytest

from kiosk.session import KioskSession, NoticeCode, SessionConfig
from kiosk.session.memory import sample_card
from tests.support.session_fixtures import to_pin_entry


@pytest.fixture
def session(catalog, kit, clock):
    config = SessionConfig(device_id="C03", staff_call_repeat_s=20)
    return KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)


def test_a_call_alerts_staff_and_records_where_it_happened(session, kit, clock):
    to_pin_entry(session)
    clock.advance(7)
    session.call_staff()
    assert kit.alert.calls == [1]
    assert session.notice.code is NoticeCode.STAFF_CALLED and session.staff_called
    (metric,) = [m for m in kit.outbox.of_kind("metric") if m["service"] == "staff_call"]
    assert metric["outcome"] == "called" and metric["procedure"] == "seal_registration_cancel"
    assert metric["steps"] == [["pin_entry", 7000]]
    card = sample_card().data
    text = json.dumps(metric, ensure_ascii=False)
    for personal in (card.name, card.address, card.birth_date):
        assert personal not in text


def test_repeated_touches_alert_once_per_interval(session, kit, clock):
    session.call_staff()
    clock.advance(5)
    session.call_staff()
    session.call_staff()
    assert kit.alert.calls == [1]
    assert session.staff_calls == 1
    assert len([m for m in kit.outbox.of_kind("metric") if m["service"] == "staff_call"]) == 1
    clock.advance(20)
    session.call_staff()
    assert kit.alert.calls == [1, 2]
    assert session.notice.code is NoticeCode.STAFF_CALLED


def test_a_failing_alert_is_logged_not_shown(catalog, kit, clock, caplog):
    from kiosk.session import PortError

    class Broken:
        def staff_called(self, calls: int) -> None:
            raise PortError("speaker")

    ports = kit.ports()
    ports.alert = Broken()
    session = KioskSession(catalog, ports, SessionConfig(device_id="C03"), clock=clock)
    session.call_staff()
    assert session.notice.code is NoticeCode.STAFF_CALLED
    assert "staff alert failed: PortError" in caplog.text


def test_without_an_alert_port_the_resident_still_gets_the_notice(catalog, kit, clock):
    ports = kit.ports()
    ports.alert = None
    session = KioskSession(catalog, ports, SessionConfig(device_id="C03"), clock=clock)
    session.call_staff()
    assert session.notice.code is NoticeCode.STAFF_CALLED and session.staff_calls == 1
