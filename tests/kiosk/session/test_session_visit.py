"""The one-stop visit in `KioskSession` (in-memory ports): one card read and PIN with consent,
the checklist as the hub, answers given once prefilling later forms, household members, and the
wipe at the end. Bad household input is refused with a notice naming the field."""

from __future__ import annotations

import pytest

from kiosk.session import KioskSession, NoticeCode, SessionConfig, Step


@pytest.fixture
def session(catalog, kit, clock):
    return KioskSession(
        catalog, kit.ports(), SessionConfig(device_id="C01"), clock=clock, wall_clock=clock
    )


ANSWERS = {
    "has_employer_insurance": False,
    "has_children_under_18": True,
    "has_school_children": False,
    "has_member_65_plus": False,
    "has_member_75_plus": False,
    "wants_seal_registration": False,
    "has_dog": False,
    "needs_water_service": False,
}


def _to_checklist(session) -> None:
    assert session.open_life_events()
    assert session.choose_life_event("moving_in")
    while session.current_question is not None:
        q = session.current_question
        assert session.answer(q.id, ANSWERS.get(q.id, False))
    assert session.step is Step.CHECKLIST


def _start(session, procedure_id: str) -> None:
    assert session.choose_procedure(procedure_id)
    assert session.start_procedure()


def _fill(session, values: dict[str, str]) -> None:
    for name, value in values.items():
        assert session.correct_field(name, value), (name, session.notice)


def test_one_card_read_for_the_whole_visit_with_consent(session, kit):
    _to_checklist(session)
    assert session.add_household_member("やまだたろう", "1983-02-01", "spouse")
    assert session.add_household_member("ヤマダ ユイ", "2019-06-10", "child")
    assert [m.name_kana for m in session.household] == ["ヤマダタロウ", "ヤマダ ユイ"]

    _start(session, "moving_in")
    session.card_inserted()
    assert session.submit_pin("1234")
    assert session.step is Step.FORM_CONFIRM
    assert session.form.get("household_size") == "3"  # from the household, not typed
    assert session.can_keep_card_for_visit
    assert session.use_card_for_visit(True)
    _fill(session, {"name_kana": "ヤマダハナコ", "new_town": "sakura", "new_chome": "3",
                    "new_lot": "12", "moved_on": "2026-11-20", "phone": "05320001"})  # fmt: skip
    assert session.confirm()
    assert session.step is Step.DONE
    assert session.form is None  # the done screen holds only the reference
    assert session.return_to_checklist()
    assert session.event_date.isoformat() == "2026-11-20"  # the moving date answered once

    for procedure_id in ("nhi_enroll", "child_allowance", "child_medical_subsidy"):
        _start(session, procedure_id)
        assert session.step is Step.FORM_CONFIRM  # no card, no PIN
        form = session.form
        assert form.get("name") == "山田 花子"
        if form.field("name_kana") is not None:
            assert form.get("name_kana") == "ヤマダハナコ"
        assert form.get("phone") == "05320001"
        if procedure_id == "nhi_enroll":
            assert form.get("insured_count") == "3"
        if procedure_id == "child_allowance":
            assert form.get("children") == "1" and form.get("child_name_kana") == "ヤマダ ユイ"
            _fill(session, {"bank_code": "0001", "branch_code": "123", "account_number": "1234567"})
        assert session.form.missing() == [], procedure_id
        assert session.confirm()
        assert session.return_to_checklist()

    assert kit.card.verify_calls == ["kenhojo"]  # one PIN for four procedures
    done = {i.procedure_id: i.state.value for i in session.checklist if i.reference}
    assert done == {"moving_in": "prefilled", "nhi_enroll": "done", "child_allowance": "done",
                    "child_medical_subsidy": "done"}  # fmt: skip
    others = [i for i in session.checklist if i.reference is None]
    assert others and all(i.state.value in ("office", "online") for i in others)
    apps = kit.outbox.of_kind("application")
    assert [a["procedure"] for a in apps] == [
        "moving_in", "nhi_enroll", "child_allowance", "child_medical_subsidy"]  # fmt: skip
    assert apps[3]["values"]["child_name_kana"] == "ヤマダ ユイ"

    kept_card, members = session._visit_card, list(session.household)
    assert session.finish() and session.step is Step.SURVEY
    assert session.skip_survey()
    assert session.household == [] and session.visit_values == {}
    assert not session.visit_card_kept and not session.visit_consent
    assert kept_card.name == "" and all(m.name_kana == "" for m in members)  # blanked in place


def test_without_consent_each_procedure_reads_the_card(session, kit):
    _to_checklist(session)
    _start(session, "nhi_enroll")
    session.card_inserted()
    session.submit_pin("1234")
    _fill(session, {"name_kana": "ヤマダハナコ", "insured_count": "1", "phone": "0532"})
    assert session.confirm() and session.return_to_checklist()
    assert not session.visit_card_kept and session.visit_values == {}
    _start(session, "child_allowance")
    assert session.step is Step.PIN_ENTRY  # the card again: nothing was kept


def test_card_pulled_on_a_consented_form_keeps_the_visit(session, kit):
    _to_checklist(session)
    _start(session, "nhi_enroll")
    session.card_inserted()
    session.submit_pin("1234")
    assert session.use_card_for_visit(True)
    session.card_removed()
    assert session.step is Step.FORM_CONFIRM and session.form.get("name") == "山田 花子"


def test_card_pulled_without_consent_still_wipes(session, kit):
    _to_checklist(session)
    _start(session, "nhi_enroll")
    session.card_inserted()
    session.submit_pin("1234")
    session.card_removed()
    assert session.step is Step.HOME and session.notice.code is NoticeCode.CARD_REMOVED


def test_cancel_on_a_later_form_returns_to_the_checklist(session, kit):
    _to_checklist(session)
    _start(session, "nhi_enroll")
    session.card_inserted()
    session.submit_pin("1234")
    session.use_card_for_visit(True)
    _fill(session, {"name_kana": "ヤマダハナコ", "insured_count": "1", "phone": "0532"})
    session.confirm()
    session.return_to_checklist()
    _start(session, "child_allowance")
    assert session.back()
    assert session.step is Step.CHECKLIST and session.visit_card_kept


def test_consent_is_offered_only_in_a_life_event_visit(session, kit):
    assert session.open_procedures()
    _start(session, "nhi_enroll")
    session.card_inserted()
    session.submit_pin("1234")
    assert not session.can_keep_card_for_visit
    assert not session.use_card_for_visit(True)


@pytest.mark.parametrize(
    ("kana", "birth", "relation", "field"),
    [
        ("", "2019-06-10", "child", "member_kana"),
        ("Yamada", "2019-06-10", "child", "member_kana"),
        ("ア" * 41, "2019-06-10", "child", "member_kana"),
        ("ヤマダ", "2019-13-01", "child", "member_birth_date"),
        ("ヤマダ", "20190610", "child", "member_birth_date"),
        ("ヤマダ", "2099-01-01", "child", "member_birth_date"),
        ("ヤマダ", "1800-01-01", "child", "member_birth_date"),
        ("ヤマダ", "2019-06-10", "cousin", "member_relation"),
        (None, "2019-06-10", "child", "member_kana"),
    ],
)
def test_bad_household_member_is_refused_naming_the_field(session, kana, birth, relation, field):
    _to_checklist(session)
    assert not session.add_household_member(kana, birth, relation)
    assert session.notice.code is NoticeCode.INVALID_VALUE
    assert session.notice.params == {"field": field}
    assert session.household == []


def test_household_has_a_limit(session):
    _to_checklist(session)
    for _ in range(9):
        assert session.add_household_member("ヤマダ", "2000-01-01", "other")
    assert not session.add_household_member("ヤマダ", "2000-01-01", "other")
    assert session.notice.params == {"field": "household"}
    assert session.remove_household_member(0) and len(session.household) == 8


def test_withdrawing_consent_drops_what_was_kept(session, kit):
    _to_checklist(session)
    _start(session, "nhi_enroll")
    session.card_inserted()
    session.submit_pin("1234")
    session.use_card_for_visit(True)
    _fill(session, {"name_kana": "ヤマダハナコ", "insured_count": "1", "phone": "0532"})
    session.confirm()
    session.return_to_checklist()
    kept = session._visit_card
    _start(session, "child_allowance")
    assert session.use_card_for_visit(False)
    assert not session.visit_card_kept and session.visit_values == {} and kept.name == ""
    assert session.back()  # Cancel now ends the card service as before (nothing kept)
    assert session.step is Step.HOME


@pytest.mark.parametrize("value", [0, -1, 3601])
def test_form_idle_timeout_out_of_range_is_refused_naming_it(value):
    from kiosk.session import SessionConfigError

    with pytest.raises(SessionConfigError, match="form_idle_timeout_s"):
        SessionConfig(form_idle_timeout_s=value)


def test_questions_an_earlier_answer_settles_are_not_asked(session):
    assert session.open_life_events()
    assert session.choose_life_event("moving_in")
    asked = []
    while session.current_question is not None:
        q = session.current_question
        asked.append(q.id)
        assert session.answer(q.id, False)
    assert "has_school_children" not in asked  # settled by "no children under 18"
    assert "has_member_75_plus" not in asked  # settled by "no one 65 or over"
    assert "has_school_children" not in session.answers  # unanswered: never matches a rule
    # Back from the checklist's questions walks over the skipped ones to the last one asked.
    assert session.back()  # checklist → life events
    assert session.choose_life_event("moving_in")
    assert session.answer("has_employer_insurance", True)
    assert session.answer("has_children_under_18", False)
    assert session.current_question.id == "has_member_65_plus"
    assert session.back()
    assert session.current_question.id == "has_children_under_18"
    assert "has_children_under_18" not in session.answers
    assert session.answer("has_children_under_18", True)
    assert session.current_question.id == "has_school_children"  # asked now


def test_no_question_is_phrased_as_a_negative(catalog):
    for event in catalog.life_events.values():
        for q in event.questions:
            assert "まだ" not in q.text["ja"] and "still" not in q.text["en"], q.id


@pytest.mark.parametrize(
    ("ask_if", "error"),
    [
        ({"later_question": True}, "CatalogReferenceError"),  # not an earlier question
        ({"first": "yes"}, "CatalogSchemaError"),
        (["first"], "CatalogSchemaError"),
    ],
)
def test_bad_ask_if_is_refused_with_where(catalog, ask_if, error):
    import json

    from kiosk.catalog import load_catalog
    from kiosk.catalog.errors import CatalogError

    raw = json.loads(
        (__import__("pathlib").Path(__import__("kiosk.catalog", fromlist=["x"]).__file__).parent
         / "default_catalog.json").read_text(encoding="utf-8")
    )  # fmt: skip
    event = raw["life_events"][0]
    text = event["questions"][0]["text"]
    event["questions"] = [
        {"id": "first", "text": text},
        {"id": "second", "ask_if": ask_if, "text": text},
        {"id": "later_question", "text": text},
    ]
    event["rules"] = []
    with pytest.raises(CatalogError) as info:
        load_catalog(json.dumps(raw).encode())
    assert type(info.value).__name__ == error
    assert "questions[1].ask_if" in str(info.value)
