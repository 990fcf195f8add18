"""The session's consult flow (kiosk/session/_consult.py) as logic: the entries (home, a
procedure, a checklist item), the topic and the consent tap, the session's steps following the
call flow (the real `kiosk.call.ConsultFlow`; its worker's events handed in as the kiosk's clock
would), idle during and after a call, printing what the staff member sends through the printer
port, offline and outside hours, and the wipe. The real worker and console:
tests/kiosk/call/test_consult_session_real.py."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.call import ConsultFlow
from kiosk.call.flow import SCREEN_OF
from kiosk.session import ConsultHours, KioskSession, SessionConfig, SessionConfigError, Step
from kiosk.session._consult import CONSULT_STEP_OF, topic_for_procedure
from tests.support.consult_session import RecordingSource

pytestmark = pytest.mark.timeout(30)

ALWAYS = ConsultHours.parse(["mon-sun 00:00-24:00", "holidays open"])
CHECKLIST_ITEM = {
    "title": "転入のあとに",
    "items": [{"procedure": "国民健康保険", "office": "保険年金課"}],
}


@pytest.fixture
def source():
    return RecordingSource()


@pytest.fixture
def session(catalog, kit, clock, source):
    s = KioskSession(catalog, kit.ports(), SessionConfig(), clock=clock, wall_clock=clock)
    s.consult_source = source
    s.consult_hours = ALWAYS
    s.refresh_status()  # online, as the first tick would find it
    return s


def _to_call(session, source):
    assert session.flows.consult.open()
    assert session.flows.consult.choose_topic("welfare")
    assert session.flows.consult.start()
    source.deliver({"event": "queued", "position": 1})
    source.deliver({"event": "answered", "role": "specialist", "name": "田中"})
    source.deliver({"event": "connected"})
    assert session.step is Step.CONSULT_CALL


def test_the_steps_match_the_call_flows_screens():
    for flow_step, step in CONSULT_STEP_OF.items():
        if flow_step != "topic":  # the topic has a consult screen of its own
            assert SCREEN_OF[flow_step] == step.value


def test_home_topic_consent_and_no_call_without_the_tap(session, source):
    assert session.flows.consult.open()
    assert session.step is Step.CONSULT_TOPIC
    assert session.consult["step"] == "topic"
    assert not source.ports  # no worker yet
    assert not session.flows.consult.start()  # no topic: nothing to start
    assert session.flows.consult.choose_topic("general")
    assert session.step is Step.CONSULT_CONSENT
    assert not source.ports  # the consent screen: still nothing started
    assert session.consult_flow is session.flows.consult
    assert session.flows.consult.start()
    assert source.ports[0].asked == [("call", "general", "ja")]
    assert session.step is Step.CONSULT_WAITING
    assert session.consult["camera_on"]


def test_back_from_consent_and_topic(session, source):
    session.flows.consult.open()
    session.flows.consult.choose_topic("tax")
    assert session.flows.consult.back()
    assert session.step is Step.CONSULT_TOPIC and session.consult["topic"] is None
    assert session.flows.consult.back()
    assert session.step is Step.HOME and session.consult is None
    assert not source.ports


def test_a_procedure_and_a_checklist_item_preselect_their_topic(session, source, catalog):
    assert topic_for_procedure("child_allowance", catalog.topics) == "child_care"
    assert topic_for_procedure("seal_registration", catalog.topics) == "general"
    assert topic_for_procedure("care_certification", catalog.topics) == "care"
    session.open_procedures()
    session.choose_procedure("child_allowance")
    assert session.flows.consult.open_from("child_allowance")
    assert session.step is Step.CONSULT_CONSENT
    assert session.consult["topic"] == "child_care"
    assert ("相談したい手続き", "児童手当 認定請求") in session.flows.consult.form_fields
    assert session.flows.consult.back()  # back to the procedure, not to a topic list
    assert session.step is Step.PROCEDURE_INTRO and session.consult is None

    session.home()
    session.open_life_events()
    session.choose_life_event("moving_in")
    while session.current_question is not None:
        session.answer(session.current_question.id, True)
    assert session.step is Step.CHECKLIST
    item = next(i for i in session.checklist if i.procedure_id == "ltc_insurance_transfer")
    assert session.flows.consult.open_from(item.procedure_id)
    assert session.consult["topic"] == "care"
    fields = dict(session.flows.consult.form_fields)
    assert fields["児童手当 認定請求"] == "この端末でできる"  # the checklist, in the staff's words
    assert fields["介護保険 住所地変更（転入）"] == "窓口で手続き"
    assert not session.flows.consult.open_from("no_such_procedure")
    session.flows.consult.back()
    assert session.step is Step.CHECKLIST


def test_the_call_chat_form_and_hang_up_follow_the_flow(session, source):
    _to_call(session, source)
    assert session.consult["staff_name"] == "田中"
    source.deliver({"event": "chat", "text": "こんにちは"})
    assert session.flows.consult.send_chat("はい")
    assert session.consult["chat"] == [("staff", "こんにちは"), ("resident", "はい")]
    port = source.ports[0]
    assert not any(a[0] == "share" for a in port.asked)  # nothing shown before the tap
    assert session.flows.consult.show_form([("日付", "2026-12-01")])
    assert port.asked[-1] == ("share", [("日付", "2026-12-01")])
    assert session.flows.consult.toggle_mute() and port.asked[-1] == ("mute", True)
    assert session.flows.consult.hang_up() and port.asked[-1] == ("hangup",)
    source.deliver({"event": "ended", "by": "terminal"})
    assert session.step is Step.CONSULT_ENDED
    assert session.consult["reason"] == "You ended the consultation."


def test_the_booking_offered_at_the_end_is_on_the_consultations_topic(session, source):
    session.flows.consult.open()
    session.flows.consult.choose_topic("tax")
    session.flows.consult.start()
    source.deliver({"event": "ended", "by": "refused", "reason": "no_staff"})
    assert session.consult["offer_booking"]
    assert session.flows.consult.book()
    assert session.consult is None and source.ports[0].closed
    assert session.topic == "tax" and session.step is Step.BOOKING_SLOT  # its times, at once


def test_idle_does_not_wipe_during_a_live_call_but_does_after(session, source, clock):
    _to_call(session, source)
    for _ in range(10):  # ten minutes without a touch: the resident is talking
        clock.advance(60)
        session.tick()
    assert session.step is Step.CONSULT_CALL
    source.deliver({"event": "ended", "by": "console"})
    assert session.step is Step.CONSULT_ENDED
    clock.advance(session.config.idle_timeout_s + 1)
    session.tick()
    assert session.step is Step.STILL_THERE
    clock.advance(session.config.still_there_timeout_s + 1)
    session.tick()
    assert session.step is Step.HOME and session.consult is None
    assert source.ports[0].closed  # the worker was closed by the wipe


def test_a_document_the_staff_send_prints_through_the_printer_port(session, source, kit):
    _to_call(session, source)
    source.deliver({"event": "print", "kind": "checklist", "data": CHECKLIST_ITEM})
    (job,) = kit.printer.printed
    assert (job.kind, job.data) == ("checklist", CHECKLIST_ITEM)
    assert source.ports[0].asked[-1] == ("print_result", True, "")
    assert "print_pending" not in session.consult
    kit.printer.fail_with = ("media-empty",)
    source.deliver({"event": "print", "kind": "checklist", "data": CHECKLIST_ITEM})
    assert source.ports[0].asked[-1][:2] == ("print_result", False)


def test_offline_outside_hours_and_no_worker_are_said_before_the_consent(
    session, source, kit, clock
):
    kit.status.status = kit.status.status.__class__(online=False)
    session.refresh_status()
    assert session.flows.consult.open()
    assert session.step is Step.CONSULT_UNAVAILABLE
    assert session.consult_unavailable == "offline" and not source.flows
    assert session.flows.consult.book()  # the booking offered instead
    assert session.step is Step.BOOKING_TOPIC and session.consult_unavailable is None

    session.home()
    kit.status.status = kit.status.status.__class__(online=True)
    session.refresh_status()
    today = dt.datetime.fromtimestamp(clock()).weekday()
    other_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(today + 1) % 7]
    not_today = [f"{other_day} 00:00-24:00", "holidays open"]
    session.consult_hours = ConsultHours.parse(not_today)
    assert session.flows.consult.open()
    assert session.consult_unavailable == "hours"
    assert session.flows.consult.back() and session.step is Step.HOME

    session.consult_source = None
    session.consult_hours = ALWAYS
    assert session.flows.consult.open() and session.consult_unavailable == "error"


def test_a_worker_that_cannot_start_is_said_plainly(session, source):
    def broken(language, deliver):
        def open_port():
            raise OSError("no worker")

        return ConsultFlow(open_port, language)

    session.consult_source = broken
    session.flows.consult.open()
    session.flows.consult.choose_topic("tax")
    assert not session.flows.consult.start()
    assert session.step is Step.CONSULT_UNAVAILABLE and session.consult is None


def test_the_wipe_forgets_the_call_and_late_events_are_dropped(session, source):
    _to_call(session, source)
    session.flows.consult.show_form([("日付", "2026-12-01")])
    source.deliver({"event": "chat", "text": "住所は？"})
    flow, deliver = source.flows[0], source.deliver
    session.home()
    assert session.step is Step.HOME and session.consult is None
    assert source.ports[0].closed
    assert flow.view()["chat"] == [] and flow.form_fields == [] and flow.view()["topic"] is None
    deliver({"event": "chat", "text": "late"})  # the old worker's last line: nobody hears it
    assert session.consult is None and flow.view()["chat"] == []
    assert session.visit_state.consult is None


@pytest.mark.parametrize(
    "lines",
    [
        "weekdays 9-5",
        ["mon-fri 17:00-08:30"],
        ["fri-mon 09:00-17:00"],
        ["mon-fri 25:00-26:00"],
        [1, 2],
        ["sun 09:00-09:00"],
    ],
)
def test_bad_consult_hours_are_refused_plainly(lines):
    with pytest.raises(SessionConfigError, match="consult hours"):
        ConsultHours.parse(lines)


def test_consult_hours_open_and_close():
    hours = ConsultHours.parse(["mon-fri 08:30-17:15", "sat 09:00-12:00"])
    assert hours.open_at(dt.datetime(2026, 12, 4, 8, 30))  # a Friday
    assert not hours.open_at(dt.datetime(2026, 12, 4, 17, 15))
    assert hours.open_at(dt.datetime(2026, 12, 5, 11, 59))  # Saturday morning
    assert not hours.open_at(dt.datetime(2026, 12, 6, 10, 0))  # Sunday
    assert hours.runs() == [(0, 4, "8:30", "17:15"), (5, 5, "9:00", "12:00")]  # as said on screen
