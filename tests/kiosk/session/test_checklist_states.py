"""The checklist's item states in the session (issue 20): what each item says before and after a
submission in this visit, 転入届's pre-entry that still needs the counter, deadlines counted from
the event date the resident sets (bad dates refused), and nothing kept past the wipe. Driven
directly over the in-memory ports; the printed form is in test_checklist_print.py."""

from __future__ import annotations

import datetime

import pytest

from kiosk.session import ItemState, KioskSession, NoticeCode, SessionConfig, Step


@pytest.fixture
def session(catalog, kit, clock):
    return KioskSession(
        catalog, kit.ports(), SessionConfig(device_id="C01"), clock=clock, wall_clock=clock
    )


def _to_checklist(session, event, answers):
    assert session.open_life_events()
    assert session.choose_life_event(event)
    while session.current_question is not None:
        q = session.current_question
        assert session.answer(q.id, answers.get(q.id, False))
    assert session.step is Step.CHECKLIST


def _states(session):
    return {i.procedure_id: i.state for i in session.checklist}


_SAMPLE = {"date": "2026-11-20", "kana": "ヤマダ", "latin": "Yamada", "number": "5",
           "address_number": "1-2"}  # fmt: skip


def _submit_from_checklist(session, procedure_id):
    assert session.choose_procedure(procedure_id)
    assert session.start_procedure()
    session.card_inserted()
    session.submit_pin("1234")
    for fv in session.form.values:
        if not fv.value and fv.spec.required:
            value = _SAMPLE.get(fv.spec.kind) or fv.spec.choices[0].id
            assert session.correct_field(fv.name, value), fv.name
    assert session.confirm(), session.notice
    assert session.step is Step.DONE
    return session.reference


def test_before_any_submission_nothing_is_done(session):
    _to_checklist(session, "moving_in", {"has_children_under_18": True})
    states = _states(session)
    assert states["moving_in"] is ItemState.PREFILL  # pre-entry here, finished at the counter
    assert states["child_allowance"] is ItemState.HERE
    assert states["mynumber_card_update"] is ItemState.OFFICE
    assert states["pension_address"] is ItemState.ONLINE
    assert all(i.reference is None for i in session.checklist)
    data = session._checklist_print_data()
    assert {i["state"] for i in data["items"]} <= {"here", "prefill", "office", "online"}
    online = next(i for i in data["items"] if i["state"] == "online")
    assert online["url"].startswith("https://")


def test_a_submission_marks_only_its_item_with_the_reference(session, kit):
    _to_checklist(session, "moving_in", {"has_children_under_18": True})
    reference = _submit_from_checklist(session, "child_allowance")
    assert session.return_to_checklist()
    done = {i.procedure_id: (i.state, i.reference) for i in session.checklist if i.reference}
    assert done == {"child_allowance": (ItemState.DONE, reference)}
    # 転入届 filed here is only pre-entered: it says so, with its reference and the counter.
    prefill_ref = _submit_from_checklist(session, "moving_in")
    receipt = kit.printer.printed[-1].data
    assert receipt["completion"] == "prefill" and "市民課" in receipt["office"]
    assert receipt["deadline"] == "引っ越した日から14日以内"  # where next: by when...
    assert "マイナンバーカード" in receipt["documents"]  # ...and what to bring
    assert session.return_to_checklist()
    item = next(i for i in session.checklist if i.procedure_id == "moving_in")
    assert (item.state, item.reference) == (ItemState.PREFILLED, prefill_ref)
    printed = session._checklist_print_data()["items"]
    states = [(i["name_ja"], i["state"], i["reference"]) for i in printed if i["reference"]]
    assert states == [
        ("転入届", "prefilled", prefill_ref),
        ("児童手当 認定請求", "done", reference),
    ]


def test_receipt_deadline_is_the_events_own_with_its_date(session, kit):
    _to_checklist(session, "birth", {"on_national_health_insurance": True})
    assert session.set_event_date("2026-11-27")
    _submit_from_checklist(session, "nhi_enroll")
    receipt = kit.printer.printed[-1].data
    assert receipt["deadline"] == "生まれた日から14日以内"  # not the moving-in text
    assert receipt["due"] == "2026-12-11"
    assert not any("資格喪失" in d for d in receipt["documents"])


def test_deadlines_count_from_the_event_date(session, clock):
    _to_checklist(session, "birth", {"on_national_health_insurance": True})
    assert all(i.due is None for i in session.checklist)  # no date given: words only
    today = datetime.datetime.fromtimestamp(clock()).date()
    assert session.set_event_date(today.isoformat())
    due = {i.procedure_id: i.due for i in session.checklist}
    assert due["birth_registration"] == (today + datetime.timedelta(days=13)).isoformat()
    assert due["nhi_enroll"] == (today + datetime.timedelta(days=14)).isoformat()
    assert due["child_allowance"] == (today + datetime.timedelta(days=15)).isoformat()
    assert due["infant_checkups"] is None
    assert session.shift_event_date(-2)
    assert session.event_date == today - datetime.timedelta(days=2)


@pytest.mark.parametrize(
    "value", ["", "2026-13-01", "2026-02-30", "20261201", "2026-12-01T00:00", "1990-01-01", None, 5]
)
def test_bad_event_dates_are_refused_and_change_nothing(session, value):
    _to_checklist(session, "birth", {})
    assert session.set_event_date("2026-11-28")
    before = list(session.checklist)
    assert not session.set_event_date(value)
    assert session.notice.code is NoticeCode.INVALID_VALUE
    assert session.notice.params == {"field": "event_date"}
    assert session.event_date == datetime.date(2026, 11, 28)
    assert session.checklist == before


def test_date_buttons_cannot_leave_the_plausible_range(session):
    _to_checklist(session, "birth", {})
    assert session.set_event_date("2026-11-28")
    for days in (10**12, -(10**12), 401 + 400):
        assert not session.shift_event_date(days)
        assert session.notice.params == {"field": "event_date"}
    assert not session.shift_event_date("1")  # not a number of days: ignored
    assert session.event_date == datetime.date(2026, 11, 28)


def test_return_to_checklist_only_from_done_of_a_life_event(session):
    assert not session.return_to_checklist()  # home
    assert session.open_procedures()
    _submit_from_checklist(session, "nhi_enroll")  # from the plain list of procedures
    assert not session.return_to_checklist()  # no life event: nothing to go back to
    assert session.step is Step.DONE


def test_the_wipe_forgets_submissions_and_the_date(session):
    _to_checklist(session, "moving_in", {"has_children_under_18": True})
    assert session.set_event_date("2026-11-25")
    _submit_from_checklist(session, "child_allowance")
    assert session.return_to_checklist() and session.submitted
    session.home()
    assert session.submitted == {} and session.event_date is None
    _to_checklist(session, "moving_in", {"has_children_under_18": True})
    assert all(i.reference is None for i in session.checklist)
