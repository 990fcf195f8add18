"""The life-event rules engine: answers to yes/no questions → the procedures a household needs.

Pure and total: no I/O, no clock. Rules are data from the catalog, evaluated in order:
the result starts as the event's `always` list; each rule whose every condition holds adds its
procedures (in its order, no duplicates) and then removes its `remove` list. A condition on a
question left unanswered does not hold. The result keeps first-added order, so the checklist
reads in the order the catalog author wrote. An answer of None is 「わからない」: it counts as the
question's `unsure` answer (the one that keeps procedures on the list), and `unsure_procedures`
names the procedures that are there only because of such an answer (the counter confirms them).
`due_date` turns a procedure's `due_days` and the
event date the resident gave into the last day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from kiosk.catalog._model import LifeEvent, Procedure, Rule

__all__ = ["due_date", "rule_matches", "select_procedures", "unsure_procedures"]


def rule_matches(rule: Rule, answers: Mapping[str, bool | None]) -> bool:
    return all(q in answers and answers[q] is want for q, want in rule.when)


def _effective(event: LifeEvent, answers: Mapping[str, bool | None]) -> dict[str, bool | None]:
    """「わからない」 (None) as the question's `unsure` answer; unknown questions stay None."""
    unsure = {q.id: q.unsure for q in event.questions}
    return {q: (unsure.get(q) if v is None else v) for q, v in answers.items()}


def unsure_procedures(event: LifeEvent, answers: Mapping[str, bool | None]) -> set[str]:
    """Procedures on the list only because a question was answered 「わからない」."""
    effective = _effective(event, answers)
    sure = {q: v for q, v in answers.items() if v is not None}
    kept_anyway = set(select_procedures(event, sure))
    return {
        pid
        for rule in event.rules
        if rule_matches(rule, effective)
        and any(answers.get(q, False) is None for q, _ in rule.when)
        for pid in rule.add
        if pid not in kept_anyway
    } & set(select_procedures(event, answers))


def select_procedures(event: LifeEvent, answers: Mapping[str, bool | None]) -> list[str]:
    """Procedure ids for `event` given `answers` (question id → yes/no, None: わからない)."""
    answers = _effective(event, answers)
    selected: list[str] = list(dict.fromkeys(event.always))
    for rule in event.rules:
        if not rule_matches(rule, answers):
            continue
        for pid in rule.add:
            if pid not in selected:
                selected.append(pid)
        if rule.remove:
            selected = [p for p in selected if p not in rule.remove]
    return selected


def due_date(procedure: Procedure, event_date: date | None) -> date | None:
    """The last day for `procedure` counted from the date the resident gave for the event
    (None when either is unknown: the screen then shows the deadline's words only)."""
    if event_date is None or procedure.due_days is None:
        return None
    return event_date + timedelta(days=procedure.due_days)
