"""The checklist and done screens as a resident sees them (issue 20), in the test window with the
preview ports: each row states the item's true state and its deadline, with the date counted from
the event date set by the date buttons; a translated row keeps the Japanese name for staff;
after a submission the done screen says what comes next and leads back to the list, where only
that item says done, with its reference number."""

from __future__ import annotations

import datetime

import pytest

from kiosk.ui.walk import PreviewUi
from tests.support.kivy_ui import frames, tap


@pytest.fixture
def ui(kivy_window):
    with PreviewUi(kivy_window) as preview:
        preview.worker.hold = False  # jobs run as they come: no held outcomes in this test
        yield preview


def _tap(ui, kid):
    widget = ui.root.find(kid)
    assert widget is not None, kid
    tap(widget)
    frames(2)


def _text(ui, kid):
    widget = ui.root.find(kid)
    assert widget is not None, kid
    return widget.text


def _to_checklist(ui, language):
    s = ui.session
    s.choose_language(language)
    s.open_life_events()
    s.choose_life_event("birth")
    while s.current_question is not None:
        s.answer(s.current_question.id, s.current_question.id == "on_national_health_insurance")
    ui.app.render()
    frames(2)
    assert ui.root.step == "checklist"


@pytest.mark.timeout(120)
def test_checklist_rows_tell_state_deadline_and_date(ui):
    _to_checklist(ui, "en")
    assert "Not set" in _text(ui, "event_date")
    assert "(by " not in _text(ui, "proc_birth_registration")
    _tap(ui, "date_today")
    today = ui.session.today()
    assert today.isoformat() in _text(ui, "event_date")
    _tap(ui, "date_change")  # the 年・月・日 steppers open (review A13)
    _tap(ui, "date_earlier")
    day = today - datetime.timedelta(days=1)
    assert ui.session.event_date == day
    row = _text(ui, "proc_birth_registration")
    assert "Birth registration（出生届）" in row  # the Japanese name beside, for staff
    assert f"(by {(day + datetime.timedelta(days=13)).isoformat()})" in row
    assert row.startswith("[Go to the counter]\n") and "Where: City Hall" in row
    assert "Bring: " in row and "Maternal and Child Health" in row
    nhi = _text(ui, "proc_nhi_enroll")
    assert nhi.startswith("[Can be done here]\n") and "Done" not in nhi
    assert f"(by {(day + datetime.timedelta(days=14)).isoformat()})" in nhi


@pytest.mark.timeout(120)
def test_done_screen_says_what_next_and_the_list_then_says_done(ui):
    _to_checklist(ui, "ja")
    s = ui.session
    s.choose_procedure("nhi_enroll")
    s.start_procedure()
    s.card_inserted()
    s.submit_pin("1234")
    for fv in s.form.values:
        if not fv.value and fv.spec.required:
            s.correct_field(fv.name, "ヤマダ" if fv.spec.kind == "kana" else "5")
    assert s.confirm(), s.notice
    ui.app.render()
    frames(2)
    assert ui.root.step == "done"
    assert "窓口に行く必要はありません" in _text(ui, "where_next")
    reference = s.reference
    _tap(ui, "checklist")
    assert ui.root.step == "checklist"
    done_row = _text(ui, "proc_nhi_enroll")
    assert done_row.startswith("【済み】\n")
    assert f"この機械で受け付けました（受付番号 {reference}）" in done_row
    others = [_text(ui, f"proc_{i.procedure_id}") for i in s.checklist if i.reference is None]
    assert others and not any("済" in row for row in others)


@pytest.mark.timeout(120)
def test_online_item_shows_its_url_as_a_qr_code(ui):
    from devices.printer.documents import qr_matrix

    s = ui.session
    s.choose_language("en")
    s.open_life_events()
    s.choose_life_event("moving_out")  # 転出届 is online (マイナポータル)
    while s.current_question is not None:
        s.answer(s.current_question.id, True)
    ui.app.render()
    frames(2)
    row = _text(ui, "proc_moving_out")
    assert "Online at home" in row and "（転出届）" in row
    _tap(ui, "proc_moving_out")
    assert ui.root.step == "procedure_intro"
    url = s.catalog.procedures["moving_out"].url
    qr = ui.root.find("online_qr")
    assert qr is not None and qr.data == url and qr.height > 0
    dark = sum(sum(r) for r in qr_matrix(url))
    assert len(qr.canvas.children) > dark  # every dark module is drawn
    assert url in ui.root.current_screen.ids.details.text
    _tap(ui, "back")
    assert s.choose_procedure("child_allowance_end")  # at a counter: no code
    ui.app.render()
    frames(2)
    assert ui.root.step == "procedure_intro"
    assert ui.root.find("online_qr").data == "" and ui.root.find("online_qr").height == 0


@pytest.mark.timeout(120)
def test_the_date_button_says_choose_until_a_date_is_chosen(ui):
    """No date yet: 「日付を選ぶ」 (review: 「日付を変える」 changed nothing that was there)."""
    _to_checklist(ui, "ja")
    assert _text(ui, "date_change") == "日付を選ぶ"
    _tap(ui, "date_today")
    assert _text(ui, "date_change") == "日付を変える"
