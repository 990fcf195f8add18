"""Life events and procedures: questions one at a time, the rules-selected checklist (printable),
and choosing a procedure.

Invariants: answers are accepted only for the question on screen, in order; the checklist is
exactly `select_procedures(event, answers)` from the catalog's rules (no rule lives in code); the
printed checklist names procedures, places, documents and deadlines, nothing about the resident.
"""

from __future__ import annotations

from typing import Any

from kiosk.catalog import select_procedures
from kiosk.session._base import _SessionCore
from kiosk.session.ports import PortPrintError
from kiosk.session.steps import ChecklistItem, NoticeCode, Step


class _EventFlow(_SessionCore):
    # ---- life events -----------------------------------------------------------------------

    def choose_life_event(self, event_id: str) -> bool:
        event = self.catalog.life_events.get(event_id)
        if event is None or self.step not in (Step.HOME, Step.LIFE_EVENTS):
            return False
        self.touch()
        if self._service != "life_event":
            self._begin_service("life_event")
        self.life_event = event
        self.answers = {}
        self.question_index = 0
        self._go(Step.LIFE_EVENT_QUESTIONS)
        if not event.questions:
            self._make_checklist()
        self._changed()
        return True

    def answer(self, question_id: str, yes: bool) -> bool:
        q = self.current_question
        if self.step is not Step.LIFE_EVENT_QUESTIONS or q is None or q.id != question_id:
            return False
        self.touch()
        self.answers[question_id] = bool(yes)
        self.question_index += 1
        if self.current_question is None:
            self._make_checklist()
        self._changed()
        return True

    def _make_checklist(self) -> None:
        assert self.life_event is not None
        ids = select_procedures(self.life_event, self.answers)
        self.checklist = [
            ChecklistItem(pid, self.catalog.procedures[pid].kiosk_capable) for pid in ids
        ]
        self._go(Step.CHECKLIST)

    def print_checklist(self) -> bool:
        if self.step is not Step.CHECKLIST or self.life_event is None:
            return False
        self.touch()
        lang = self.language
        items = []
        for item in self.checklist:
            p = self.catalog.procedures[item.procedure_id]
            items.append(
                {
                    "name": p.name[lang],
                    "where": p.completion.kind.value,
                    "office": p.completion.office[lang] if p.completion.office else None,
                    "documents": [d[lang] for d in p.documents],
                    "deadline": p.deadline[lang] if p.deadline else None,
                    "fee_yen": p.fee_yen,
                }
            )
        data = {"title": self.life_event.name[lang], "items": items}

        def done(_: Any, error: BaseException | None) -> None:
            if isinstance(error, PortPrintError):
                self._notice(NoticeCode.PRINTER_FAILED, reasons=list(error.reasons))
            elif error is not None:
                raise error
            else:
                self._notice(NoticeCode.CHECKLIST_PRINTED)

        self._run(lambda: self._print("checklist", data), done)
        return True

    def choose_procedure(self, procedure_id: str) -> bool:
        proc = self.catalog.procedures.get(procedure_id)
        if proc is None or self.step not in (Step.HOME, Step.PROCEDURES, Step.CHECKLIST):
            return False
        self.touch()
        if self._service not in ("life_event", "procedure"):
            self._begin_service("procedure")
        self.procedure = proc
        self._go(Step.PROCEDURE_INTRO)
        self._changed()
        return True
