"""The resident's main journeys through `KioskSession`, driven directly (no Kivy) with the
in-memory ports: 転入 from life event to receipt, wrong then right PIN, blocked PIN, corrections."""

from __future__ import annotations

import pytest

from kiosk.session import KioskSession, NoticeCode, SessionConfig, Step


@pytest.fixture
def session(catalog, kit, clock):
    s = KioskSession(
        catalog, kit.ports(), SessionConfig(device_id="C01"), clock=clock, wall_clock=clock
    )
    s.changes = []
    s.add_observer(lambda sess: sess.changes.append(sess.step))
    return s


MOVING_IN_ANSWERS = {
    "has_employer_insurance": False,
    "has_children_under_18": True,
    "has_school_children": False,
    "has_member_65_plus": False,
    "has_member_75_plus": False,
    "wants_seal_registration": True,
    "has_dog": False,
    "needs_water_service": False,
}


def _answer_all(session, answers):
    while session.current_question is not None:
        q = session.current_question
        assert session.answer(q.id, answers[q.id])


def test_moving_in_journey_from_life_event_to_receipt(session, kit):
    assert session.step is Step.HOME
    session.choose_language("en")
    assert session.open_life_events()
    assert session.choose_life_event("moving_in")
    assert session.step is Step.LIFE_EVENT_QUESTIONS
    _answer_all(session, MOVING_IN_ANSWERS)
    assert session.step is Step.CHECKLIST
    ids = [item.procedure_id for item in session.checklist]
    assert ids == [
        "moving_in",
        "mynumber_card_update",
        "pension_address",
        "nhi_enroll",
        "child_allowance",
        "child_medical_subsidy",
        "seal_registration",
    ]
    assert session.print_checklist()
    assert session.notice.code is NoticeCode.CHECKLIST_PRINTED
    assert kit.printer.printed[-1].kind == "checklist"
    assert len(kit.printer.printed[-1].data["items"]) == 7

    assert session.choose_procedure("nhi_enroll")
    assert session.step is Step.PROCEDURE_INTRO
    assert session.start_procedure()
    assert session.step is Step.PLACE_CARD
    session.card_inserted("Virtual PCD 00 00")
    assert session.step is Step.PIN_ENTRY
    assert session.tries_left == 3 and not session.last_try_warning
    assert session.submit_pin("1234")
    assert session.step is Step.FORM_CONFIRM
    form = session.form
    assert form.get("name") == "山田 花子"
    assert form.get("birth_date") == "1985-04-01"
    assert form.field("name").from_card
    assert form.missing() == ["name_kana", "insured_count", "phone"]
    assert not session.confirm()
    assert session.notice.code is NoticeCode.MISSING_VALUES
    assert session.correct_field("name_kana", "ヤマダ ハナコ")
    assert not session.correct_field("insured_count", "abc")
    assert session.notice.code is NoticeCode.INVALID_VALUE
    assert session.correct_field("insured_count", "2")
    assert session.correct_field("phone", "0312345678")
    assert session.correct_field("address", "東京都千代田区千代田1番2号")
    assert form.field("address").corrected
    assert session.confirm()
    assert session.step is Step.DONE
    assert session.receipt_printed
    assert session.reference.startswith("C01-")

    kind, body = [(k, b) for k, b in kit.outbox.records if k == "application"][0]
    assert body["procedure"] == "nhi_enroll"
    assert body["values"]["name"] == "山田 花子"
    assert body["values"]["phone"] == "0312345678"
    assert body["corrected"] == ["address"]
    receipt = kit.printer.printed[-1]
    assert receipt.kind == "receipt" and receipt.language == "en"
    assert receipt.data["reference"] == session.reference == receipt.data["qr"]
    assert "山田" not in repr(receipt.data)  # the receipt carries no personal data
    # Personal data is dropped as soon as the outbox took it.
    assert session.form is None and form.get("name") == ""

    assert session.finish()
    assert session.step is Step.SURVEY
    metric = kit.outbox.of_kind("metric")[-1]
    assert metric["service"] == "life_event" and metric["outcome"] == "done"
    steps = [s for s, _ in metric["steps"]]
    assert "pin_entry" in steps and "form_confirm" in steps
    assert "山田" not in repr(metric)
    assert session.submit_survey(9, ["ease", "language"])
    survey = kit.outbox.of_kind("survey")[-1]
    assert survey["score"] == 9 and survey["reasons"] == ["ease", "language"]
    assert set(survey) == {"service", "score", "reasons", "language", "catalog_version"}
    assert session.step is Step.HOME
    assert session.language == "ja"  # next resident starts afresh
    assert kit.printer.session == []  # printer's session buffer wiped
    assert session.changes  # observers heard every change


def test_wrong_pin_then_right_pin_never_retries(session, kit):
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    assert session.submit_pin("9999")
    assert session.step is Step.PIN_ENTRY
    assert session.notice.code is NoticeCode.WRONG_PIN
    assert session.notice.params == {"tries_left": 2}
    assert session.tries_left == 2
    assert kit.card.verify_calls == ["kenhojo"]  # exactly one VERIFY: no automatic retry
    assert session.submit_pin("0000")
    assert session.tries_left == 1 and session.last_try_warning
    assert kit.card.verify_calls == ["kenhojo", "kenhojo"]
    assert session.submit_pin("1234")
    assert session.step is Step.FORM_CONFIRM
    assert kit.card.verify_calls == ["kenhojo"] * 3
    assert kit.card.kenhojo_tries == 3


def test_tries_left_shown_before_first_entry_and_blocked_goes_to_counter(session, kit):
    kit.card.kenhojo_tries = 1
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    assert session.step is Step.PIN_ENTRY and session.last_try_warning
    assert kit.card.verify_calls == []  # reading tries left spends none
    session.submit_pin("9999")
    assert session.step is Step.PIN_BLOCKED
    assert session.notice.code is NoticeCode.PIN_BLOCKED
    assert not session.submit_pin("1234")  # no further entry is possible
    assert kit.card.verify_calls == ["kenhojo"]
    assert session.finish()  # leads to survey, then wipe


def test_already_blocked_card_never_gets_a_verify(session, kit):
    kit.card.kenhojo_tries = 0
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    assert session.step is Step.PIN_BLOCKED
    assert kit.card.verify_calls == []


@pytest.mark.parametrize("pin", ["", "123", "12345", "abcd", "１２３４", "12 4"])
def test_malformed_pin_is_refused_without_touching_the_card(session, kit, pin):
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    assert not session.submit_pin(pin)
    assert session.notice.code is NoticeCode.INVALID_VALUE
    assert kit.card.verify_calls == []
    assert session.tries_left == 3


def test_card_already_in_reader_when_procedure_starts(session, kit):
    session.card_inserted()
    assert session.step is Step.HOME
    session.choose_procedure("child_allowance")
    session.start_procedure()
    assert session.step is Step.PIN_ENTRY


def test_office_procedure_cannot_start_at_the_kiosk(session):
    session.choose_procedure("birth_registration")
    assert session.step is Step.PROCEDURE_INTRO
    assert not session.start_procedure()
    assert session.step is Step.PROCEDURE_INTRO


def test_receipt_printer_out_of_paper_resident_told_staff_reprints(session, kit, catalog):
    kit.printer.fail_with = ("media-empty",)
    session.choose_procedure("seal_registration_cancel")
    session.start_procedure()
    session.card_inserted()
    session.submit_pin("1234")
    session.correct_field("phone", "09012345678")
    assert session.confirm()
    assert session.step is Step.DONE
    assert not session.receipt_printed
    assert session.notice.code is NoticeCode.PRINTER_FAILED
    assert session.notice.params["reasons"] == ["media-empty"]
    assert session.reference  # shown on screen even without paper
    assert len(kit.outbox.of_kind("application")) == 1
    session.finish()
    session.skip_survey()
    # Staff: paper refilled, reprint the pending receipt.
    from kiosk.session import hash_staff_pin

    staff = KioskSession(
        catalog,
        kit.ports(),
        SessionConfig(staff_pin_hash=hash_staff_pin("246810", iterations=1000)),
    )
    assert staff.open_staff()
    assert not staff.submit_staff_pin("111111")
    assert staff.submit_staff_pin("246810")
    assert staff.printer.pending_reprints == 1
    kit.printer.fail_with = ()
    assert staff.staff_reprint()
    assert staff.notice.code is NoticeCode.REPRINTED and staff.notice.params == {"count": 1}
    assert kit.printer.printed[-1].kind == "receipt"


def test_outbox_full_keeps_the_form_and_says_so(session, kit):
    kit.outbox.full = True
    session.choose_procedure("seal_registration_cancel")
    session.start_procedure()
    session.card_inserted()
    session.submit_pin("1234")
    session.correct_field("phone", "09012345678")
    assert session.confirm()
    assert session.step is Step.FORM_CONFIRM
    assert session.notice.code is NoticeCode.OUTBOX_FULL
    assert session.form.get("name") == "山田 花子"
