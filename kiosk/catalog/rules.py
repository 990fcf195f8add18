"""The life-event rules engine: answers to yes/no questions → the procedures a household needs.

Pure and total: no I/O, no clock. Rules are data from the catalog, evaluated in order:
the result starts as the event's `always` list; each rule whose every condition holds adds its
procedures (in its order, no duplicates) and then removes its `remove` list. A condition on a
question left unanswered does not hold. The result keeps first-added order, so the checklist
reads in the order the catalog author wrote. `due_date` turns a procedure's `due_days` and the
event date the resident gave into the last day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from kiosk.catalog._model import LifeEvent, Procedure, Rule

__all__ = ["due_date", "rule_matches", "select_procedures"]


def rule_matches(rule: Rule, answers: Mapping[str, bool]) -> bool:
    return all(q in answers and answers[q] is want for q, want in rule.when)


def select_procedures(event: LifeEvent, answers: Mapping[str, bool]) -> list[str]:
    """Procedure ids for `event` given `answers` (question id → yes/no)."""
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
