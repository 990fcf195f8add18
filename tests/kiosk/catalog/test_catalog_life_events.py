"""The shipped catalog tells the truth per life event (issue 20): for each event, the selected
procedures, and in that event's context each one's deadline (words and days counted from the
event date), documents and where it is done, against the table in
`tests/kiosk/catalog/data/catalog_life_events.toml`. Every procedure names the public page it was checked
against and when."""

from __future__ import annotations

import itertools
import tomllib
from datetime import date
from pathlib import Path

import pytest

from kiosk.catalog import CompletionKind, default_catalog, due_date, select_procedures

TABLE = tomllib.loads(
    (Path(__file__).parent / "data" / "catalog_life_events.toml").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


def _answers(event, row):
    assert row["answers"] == "all"
    return {q.id: q.id not in row.get("no", ()) for q in event.questions}


@pytest.mark.parametrize("event_id", sorted(TABLE))
def test_life_event_procedures_deadlines_and_documents(catalog, event_id):
    row = TABLE[event_id]
    event = catalog.life_events[event_id]
    selected = select_procedures(event, _answers(event, row))
    assert selected == row["procedures"]
    # No combination of answers brings back a procedure that does not belong to this event.
    qids = [q.id for q in event.questions]
    for combo in itertools.product([True, False], repeat=len(qids)):
        chosen = select_procedures(event, dict(zip(qids, combo, strict=True)))
        assert not set(row["absent"]) & set(chosen), (event_id, combo)
    for pid, want in row.get("expect", {}).items():
        p = catalog.procedure_in(event, pid)
        where = f"{event_id}/{pid}"
        if "completion" in want:
            assert p.completion.kind.value == want["completion"], where
        if "deadline" in want:
            assert p.deadline is not None and p.deadline["ja"] == want["deadline"], where
        if "not_deadline" in want:
            assert want["not_deadline"] not in (p.deadline["ja"] if p.deadline else ""), where
        if "due_days" in want:
            assert p.due_days == want["due_days"], where
        documents = " / ".join(d["ja"] for d in p.documents)
        for needed in want.get("documents", []):
            assert needed in documents, (where, needed, documents)
        for wrong in want.get("not_documents", []):
            assert wrong not in documents, (where, wrong, documents)
        if "summary" in want:
            assert want["summary"] in p.summary["ja"], where


def test_every_event_in_the_table(catalog):
    assert set(TABLE) == set(catalog.life_events)


def test_shared_procedures_take_the_event_context(catalog):
    """国保加入 after a birth is counted from the birth and needs no certificate of loss of other
    insurance; the same entry after moving in is counted from the move."""
    birth = catalog.procedure_in(catalog.life_events["birth"], "nhi_enroll")
    moving = catalog.procedure_in(catalog.life_events["moving_in"], "nhi_enroll")
    assert "生まれた日" in birth.deadline["ja"] and "引っ越し" not in birth.deadline["ja"]
    assert "引っ越した日" in moving.deadline["ja"]
    assert not any("資格喪失" in d["ja"] for d in birth.documents)
    # Other languages follow the same context.
    assert "birth" in birth.deadline["en"] and "moving" in moving.deadline["en"]


def test_due_date_counts_from_the_event_date(catalog):
    birth = catalog.life_events["birth"]
    day = date(2026, 12, 1)
    assert due_date(catalog.procedure_in(birth, "birth_registration"), day) == date(2026, 12, 14)
    assert due_date(catalog.procedure_in(birth, "child_allowance"), day) == date(2026, 12, 16)
    assert due_date(catalog.procedure_in(birth, "infant_checkups"), day) is None
    assert due_date(catalog.procedure_in(birth, "birth_registration"), None) is None


def test_every_procedure_names_its_source_and_check_date(catalog):
    for p in catalog.procedures.values():
        assert p.source and p.source.startswith("https://"), p.id
        assert p.checked and date.fromisoformat(p.checked) <= date(2027, 1, 1), p.id


def test_online_procedures_have_a_url_and_counters_a_name(catalog):
    for p in catalog.procedures.values():
        if p.completion.kind is CompletionKind.ONLINE:
            assert p.url and p.url.startswith("https://"), p.id
        if p.completion.kind in (CompletionKind.OFFICE, CompletionKind.PREFILL):
            assert p.completion.office is not None, p.id


def test_moving_in_is_prefilled_here_and_finished_at_the_counter(catalog):
    p = catalog.procedures["moving_in"]
    assert p.completion.kind is CompletionKind.PREFILL
    assert p.kiosk_capable and not p.finished_here
    # where it is finished comes from the completion (the intro's where-line), said once: the
    # summary no longer repeats it (review: the intro said it twice)
    assert p.completion.office is not None and "事前入力" not in p.summary["ja"]
