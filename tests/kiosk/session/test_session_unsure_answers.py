"""「わからない」 on a life event's questions (review A12, issue 19): offered only where the catalog
says a resident may not know (which health insurance they are on), it keeps the procedures that
might be needed on the checklist and marks them for the counter to confirm; a sure answer never
does. Over the in-memory ports; the catalog's rules engine is called directly too."""

from __future__ import annotations

import json

import pytest

from kiosk.catalog import load_catalog, select_procedures, unsure_procedures
from kiosk.catalog.errors import CatalogSchemaError
from kiosk.session import KioskSession, SessionConfig, Step
from tests.support.paths import REPO


@pytest.fixture
def session(catalog, kit, clock):
    return KioskSession(
        catalog, kit.ports(), SessionConfig(device_id="C01"), clock=clock, wall_clock=clock
    )


def _to_questions(session, event="moving_in"):
    assert session.open_life_events()
    assert session.choose_life_event(event)
    assert session.step is Step.LIFE_EVENT_QUESTIONS


def test_unsure_insurance_keeps_nhi_on_the_list_to_be_confirmed(session):
    _to_questions(session)
    q = session.current_question
    assert q.id == "has_employer_insurance" and q.unsure is False and q.hint is not None
    assert session.answer(q.id, None)  # わからない
    while session.current_question is not None:
        assert session.answer(session.current_question.id, False)
    ids = [i.procedure_id for i in session.checklist]
    assert "nhi_enroll" in ids  # kept: the counter checks whether it is needed
    assert session.flows.visit.to_confirm("nhi_enroll")
    assert not session.flows.visit.to_confirm("moving_in")  # always on the list: sure
    printed = session.flows.visit._checklist_print_data()["items"]
    assert {i["name_ja"]: i["confirm"] for i in printed}["国民健康保険 加入"] is True


def test_a_sure_answer_marks_nothing(session):
    _to_questions(session)
    while session.current_question is not None:
        assert session.answer(session.current_question.id, False)
    assert "nhi_enroll" in [i.procedure_id for i in session.checklist]
    assert not any(session.flows.visit.to_confirm(i.procedure_id) for i in session.checklist)


def test_unsure_is_refused_where_the_catalog_does_not_offer_it(session):
    _to_questions(session)
    assert session.answer("has_employer_insurance", False)
    q = session.current_question
    assert q.id == "has_children_under_18" and q.unsure is None
    assert not session.answer(q.id, None)  # only はい / いいえ here
    assert session.current_question.id == q.id and q.id not in session.answers


def test_unsure_on_a_condition_skips_the_questions_it_would_settle(catalog):
    """The death event: 「わからない」 on 国保 keeps the 国保 items, and the rules engine says
    which ones are there only because of it."""
    event = catalog.life_events["death"]
    assert catalog.life_events["death"].questions[0].unsure is True
    sure = select_procedures(event, {"deceased_on_nhi": False})
    unsure = select_procedures(event, {"deceased_on_nhi": None})
    assert set(sure) < set(unsure)
    assert unsure_procedures(event, {"deceased_on_nhi": None}) == set(unsure) - set(sure)
    assert unsure_procedures(event, {"deceased_on_nhi": True}) == set()


def test_every_question_is_phrased_positively_and_hints_are_one_line(catalog):
    """No negative questions (「…がまだですか？」 with はい/いいえ is read backwards), and a hint
    is one short line in every language."""
    for event in catalog.life_events.values():
        for q in event.questions:
            ja = q.text["ja"]
            assert not any(neg in ja for neg in ("ないですか", "まだですか", "ませんか")), ja
            if q.hint is not None:
                for lang in ("ja", "ja-easy", "en", "zh-Hans", "ko", "pt-BR", "vi"):
                    assert "\n" not in q.hint[lang] and len(q.hint[lang]) <= 100, (q.id, lang)


@pytest.mark.parametrize("bad", ["yes", 1, [], {}])
def test_a_malformed_unsure_in_the_catalog_is_refused(bad):
    doc = json.loads((REPO / "kiosk/catalog/default_catalog.json").read_text(encoding="utf-8"))
    question = doc["life_events"][0]["questions"][0]
    question["unsure"] = bad
    with pytest.raises(CatalogSchemaError, match="unsure"):
        load_catalog(json.dumps(doc).encode())
