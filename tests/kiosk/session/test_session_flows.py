"""The session's typed flows (`session.flows`): what the UI calls. Journeys driven through the
flows alone reach the same steps, records and prints as the session's own intents; the flows
keep no state of their own; every intent the UI needs has a flow method."""

from __future__ import annotations

import inspect

import pytest

from kiosk.session import (
    CardFlow,
    CertificatesFlow,
    Flows,
    FormsFlow,
    KioskSession,
    NoticeCode,
    ServicesFlow,
    SessionConfig,
    StaffFlow,
    Step,
    VisitFlow,
    hash_staff_pin,
)

STAFF_PIN = "246802"
# What the resident types on the 転入 form (the card fills the rest; fictional values).
MOVING_IN_FORM = {
    "name_kana": "ヤマダ ハナコ",
    "name_latin": "Hanako Yamada",
    "new_town": "sakura",
    "new_chome": "2",
    "new_lot": "15",
    "moved_on": "2026-11-20",
    "household_size": "3",
    "phone": "0532000000",
}


@pytest.fixture
def session(catalog, kit, clock):
    config = SessionConfig(
        device_id="C01", staff_pin_hash=hash_staff_pin(STAFF_PIN, iterations=1000)
    )
    return KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)


def test_a_life_event_visit_through_the_flows_alone(session, kit):
    f = session.flows
    assert f.visit.choose_language("en")
    assert f.visit.open_life_events()
    assert f.visit.choose_life_event("moving_in")
    while session.current_question is not None:
        assert f.visit.answer(session.current_question.id, False)
    assert session.step is Step.CHECKLIST
    assert f.visit.print_checklist()
    assert session.notice.code is NoticeCode.CHECKLIST_PRINTED
    assert f.visit.choose_procedure("moving_in")
    assert session.step is Step.PROCEDURE_INTRO
    assert f.card.start_procedure()
    assert session.step is Step.PLACE_CARD
    f.card.card_inserted("Virtual PCD 00 00")
    assert session.step is Step.PIN_ENTRY
    assert not f.card.submit_pin("12a4")  # refused before the card sees it
    assert session.notice.code is NoticeCode.INVALID_VALUE
    assert kit.card.verify_calls == []
    assert f.card.submit_pin("1234")
    assert session.step is Step.FORM_CONFIRM
    assert session.can_keep_card_for_visit
    assert f.forms.use_card_for_visit(True)
    for name in session.form.missing():
        assert f.forms.correct_field(name, MOVING_IN_FORM[name]), name
    assert f.forms.confirm()
    assert session.step is Step.DONE
    assert session.reference.startswith("C01-")
    assert kit.outbox.of_kind("application")[-1]["procedure"] == "moving_in"
    assert f.visit.return_to_checklist()
    assert session.step is Step.CHECKLIST
    done = {i.procedure_id: i.reference for i in session.checklist}
    assert done["moving_in"] is not None
    assert f.services.finish()
    assert session.step is Step.SURVEY
    assert f.services.submit_survey(8, ["ease"])
    assert kit.outbox.of_kind("survey")[-1]["score"] == 8
    assert session.step is Step.HOME and session.language == "ja"  # wiped


def test_services_certificates_and_staff_through_the_flows(session, kit):
    f = session.flows
    assert f.services.open_booking()
    assert session.step is Step.BOOKING_TOPIC
    assert f.visit.back()
    assert session.step is Step.HOME
    assert f.certificates.open()
    assert session.step is Step.CERTIFICATE_CHOOSE
    assert f.certificates.printers_missing() == session.certificate_printers_missing()
    assert not f.certificates.choose("resident_record", 99, None)  # too many copies
    assert session.notice.code is NoticeCode.INVALID_VALUE
    assert session.step is Step.CERTIFICATE_CHOOSE
    f.visit.home()
    assert session.step is Step.HOME
    assert f.staff.open()
    assert session.step is Step.STAFF_PIN
    assert not f.staff.submit_pin("000000")
    assert session.notice.code is NoticeCode.STAFF_PIN_WRONG
    assert f.staff.submit_pin(STAFF_PIN)
    assert session.step is Step.STAFF_MENU
    f.staff.set_out_of_service(True)
    assert session.out_of_service
    assert f.staff.diagnostics()
    assert session.step is Step.STAFF_DIAGNOSTICS
    assert session.diagnostics is not None
    assert f.visit.back()
    assert session.step is Step.STAFF_MENU
    f.staff.exit()
    assert session.step is Step.OUT_OF_SERVICE


def test_a_flow_call_that_does_not_apply_changes_nothing(session):
    f = session.flows
    assert not f.forms.confirm()  # no form on the home screen
    assert not f.card.submit_pin("1234")
    assert not f.services.finish()
    assert f.staff.call_next() is None
    assert session.step is Step.HOME and session.notice is None


def test_flows_are_one_per_session_and_hold_no_state(catalog, kit, clock):
    one = KioskSession(catalog, kit.ports(), clock=clock)
    two = KioskSession(catalog, kit.ports(), clock=clock)
    assert one.flows is one.flows
    assert one.flows.visit is not two.flows.visit
    for flow_type in (VisitFlow, CardFlow, FormsFlow, CertificatesFlow, ServicesFlow, StaffFlow):
        flow = flow_type(one)
        assert not hasattr(flow, "__dict__")  # slots: the session reference, nothing else
        assert {n for c in flow_type.__mro__ for n in getattr(c, "__slots__", ())} == {"_s"}
        with pytest.raises(AttributeError):
            flow_type(one).step = Step.DONE  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        one.flows.visit = VisitFlow(two)  # type: ignore[misc]
    assert isinstance(one.flows, Flows)


# The session's intents the screens and the frame use, each with the flow method that calls it.
UI_INTENTS = {
    "answer": "visit.answer",
    "back": "visit.back",
    "call_staff": "visit.call_staff",
    "choose_certificate": "certificates.choose",
    "choose_language": "visit.choose_language",
    "choose_life_event": "visit.choose_life_event",
    "choose_procedure": "visit.choose_procedure",
    "choose_slot": "services.choose_slot",
    "choose_topic": "services.choose_topic",
    "confirm": "forms.confirm",
    "correct_field": "forms.correct_field",
    "add_household_member": "visit.add_household_member",
    "event_date_today": "visit.event_date_today",
    "finish": "services.finish",
    "home": "visit.home",
    "open_booking": "services.open_booking",
    "open_certificates": "certificates.open",
    "open_life_events": "visit.open_life_events",
    "open_procedures": "visit.open_procedures",
    "open_staff": "staff.open",
    "print_checklist": "visit.print_checklist",
    "request_callback": "services.request_callback",
    "return_to_checklist": "visit.return_to_checklist",
    "set_high_contrast": "visit.set_high_contrast",
    "set_text_scale": "visit.set_text_scale",
    "shift_event_date": "visit.shift_event_date",
    "skip_survey": "services.skip_survey",
    "staff_assist": "staff.assist",
    "staff_call_next": "staff.call_next",
    "staff_diagnostics": "staff.diagnostics",
    "staff_exit": "staff.exit",
    "staff_refresh_diagnostics": "staff.refresh_diagnostics",
    "staff_reprint": "staff.reprint",
    "staff_set_out_of_service": "staff.set_out_of_service",
    "staff_set_shelter_mode": "staff.set_shelter_mode",
    "start_procedure": "card.start_procedure",
    "start_shelter_checkin": "card.start_shelter_checkin",
    "still_here": "visit.still_here",
    "submit_pin": "card.submit_pin",
    "submit_staff_pin": "staff.submit_pin",
    "submit_survey": "services.submit_survey",
    "take_queue_ticket": "services.take_queue_ticket",
    "toggle_voice": "visit.toggle_voice",
    "use_card_for_visit": "visit.use_card_for_visit",
}


@pytest.mark.parametrize(("intent", "path"), sorted(UI_INTENTS.items()))
def test_every_ui_intent_has_a_typed_flow_method_with_its_parameters(intent, path):
    flow_name, method_name = path.split(".")
    flow_type = {
        "visit": VisitFlow, "card": CardFlow, "forms": FormsFlow,
        "certificates": CertificatesFlow, "services": ServicesFlow, "staff": StaffFlow,
    }[flow_name]  # fmt: skip
    method = getattr(flow_type, method_name)
    wanted = inspect.signature(getattr(KioskSession, intent))
    got = inspect.signature(method)
    assert list(got.parameters) == list(wanted.parameters)
    for name, param in got.parameters.items():
        if name != "self":  # annotated, so a checker sees what the UI passes
            assert param.annotation is not inspect.Parameter.empty, (path, name)
