"""Life events and procedures: questions one at a time, the rules-selected checklist (printable),
and choosing a procedure.

Invariants: answers are accepted only for the question on screen, in order (a question an earlier
answer settles, by the catalog's `ask_if`, is never shown and stays unanswered); the checklist is
exactly `select_procedures(event, answers)` from the catalog's rules (no rule lives in code);
each item's procedure is the one in the event's context (`Catalog.procedure_in`), so deadlines
and documents are the event's own. An item is DONE (済) or PREFILLED only when the outbox
accepted its submission in this visit, and it then carries that reference number; everything
else says where it can be done. The printed checklist names procedures, places, documents,
deadlines, fees and reference numbers, nothing about the resident.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from kiosk.catalog import CompletionKind, Procedure, due_date, select_procedures
from kiosk.session._base import _SessionCore
from kiosk.session.ports import PortPrintError
from kiosk.session.steps import ChecklistItem, ItemState, NoticeCode, Step

_OPEN_STATE = {
    CompletionKind.KIOSK: ItemState.HERE,
    CompletionKind.PREFILL: ItemState.PREFILL,
    CompletionKind.OFFICE: ItemState.OFFICE,
    CompletionKind.ONLINE: ItemState.ONLINE,
}
# An event date further than this from today is a typo (moving out is dated ahead, a death or a
# birth a little back; claims that run two years are not counted from the date anyway).
_MAX_EVENT_DATE_DAYS = 400


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
        self._skip_settled_questions()
        if self.current_question is None:
            self._make_checklist()
        self._changed()
        return True

    def _skip_settled_questions(self) -> None:
        """Pass over questions an earlier answer settles (the catalog's `ask_if`)."""
        while self.current_question is not None and not self.current_question.asked(self.answers):
            self.question_index += 1

    def _make_checklist(self) -> None:
        self._refresh_checklist()
        self._go(Step.CHECKLIST)

    def _refresh_checklist(self) -> None:
        assert self.life_event is not None
        items = []
        for pid in select_procedures(self.life_event, self.answers):
            p = self.checklist_procedure(pid)
            reference = self.submitted.get(pid)
            if reference is not None:
                state = ItemState.DONE if p.finished_here else ItemState.PREFILLED
            else:
                state = _OPEN_STATE[p.completion.kind]
            due = due_date(p, self.event_date)
            items.append(
                ChecklistItem(
                    pid, p.kiosk_capable, state, reference, due.isoformat() if due else None
                )
            )
        self.checklist = items

    def checklist_procedure(self, procedure_id: str) -> Procedure:
        """The procedure as it applies to the chosen life event (its deadline and documents)."""
        return self.catalog.procedure_in(self.life_event, procedure_id)

    def today(self) -> _dt.date:
        return _dt.datetime.fromtimestamp(self._wall_clock()).date()

    def set_event_date(self, value: str) -> bool:
        """The date of the life event (ISO `YYYY-MM-DD`): deadlines on the checklist are counted
        from it. A malformed or implausible date is refused with a notice and changes nothing."""
        if self.step is not Step.CHECKLIST or self.life_event is None:
            return False
        self.touch()
        try:
            day = (
                _dt.date.fromisoformat(value)
                if isinstance(value, str) and len(value) == 10
                else None
            )
        except ValueError:
            day = None
        if day is None or abs((day - self.today()).days) > _MAX_EVENT_DATE_DAYS:
            self._notice(NoticeCode.INVALID_VALUE, field="event_date")
            self._changed()
            return False
        self.notice = None
        self.event_date = day
        self._refresh_checklist()
        self._changed()
        return True

    def shift_event_date(self, days: int) -> bool:
        """The checklist's date buttons: move the event date by `days` (from today when unset)."""
        if self.step is not Step.CHECKLIST or self.life_event is None or type(days) is not int:
            return False
        if abs(days) > 2 * _MAX_EVENT_DATE_DAYS:  # would leave the range anyway (or overflow)
            days = 2 * _MAX_EVENT_DATE_DAYS + 1
        base = self.event_date or self.today()
        return self.set_event_date((base + _dt.timedelta(days=days)).isoformat())

    def event_date_today(self) -> bool:
        """The checklist's "today" button."""
        if self.step is not Step.CHECKLIST or self.life_event is None:
            return False
        return self.set_event_date(self.today().isoformat())

    def return_to_checklist(self) -> bool:
        """From the done screen back to the life event's checklist, where the procedure just
        submitted (its reference number is on the screen) now shows as 済 / 事前入力済."""
        if self.step is not Step.DONE or self.life_event is None:
            return False
        self.touch()
        proc = self.procedure
        if proc is not None and self.reference is not None:
            self.submitted[proc.id] = self.reference
        self.procedure = None
        self.reference = None
        self.receipt_printed = False
        self.notice = None
        self._make_checklist()
        self._changed()
        return True

    def print_checklist(self) -> bool:
        if self.step is not Step.CHECKLIST or self.life_event is None:
            return False
        self.touch()
        data = self._checklist_print_data()

        def done(_: Any, error: BaseException | None) -> None:
            if isinstance(error, PortPrintError):
                self._notice(NoticeCode.PRINTER_FAILED, reasons=list(error.reasons))
            elif error is not None:
                raise error
            else:
                self._notice(NoticeCode.CHECKLIST_PRINTED)

        self._run(lambda: self._print("checklist", data), done)
        return True

    def _checklist_print_data(self) -> dict[str, Any]:
        assert self.life_event is not None
        lang, event = self.language, self.life_event
        items = []
        for item in self.checklist:
            p = self.checklist_procedure(item.procedure_id)
            items.append(
                {
                    "name": p.name[lang],
                    "name_ja": p.name["ja"],
                    "state": item.state.value,
                    "reference": item.reference,
                    # Kept for readers of the older shape (where = the catalog's completion).
                    "where": p.completion.kind.value,
                    "office": p.completion.office[lang] if p.completion.office else None,
                    "documents": [d[lang] for d in p.documents],
                    "deadline": p.deadline[lang] if p.deadline else None,
                    "due": item.due,
                    "fee_yen": p.fee_yen,
                    "url": p.url,
                }
            )
        return {
            "title": event.name[lang],
            "event_date": self.event_date.isoformat() if self.event_date else None,
            "event_date_label": event.date_label[lang] if event.date_label else None,
            "items": items,
        }

    def where_next(self, proc: Procedure | None = None) -> dict[str, Any]:
        """What a done screen, receipt or slip tells about what comes next for `proc` (default:
        the current procedure) in the resident's language: the counter, the deadline (and its
        date when the event date is known) and what to bring. Empty values when not known."""
        proc = proc or self.procedure
        lang = self.language
        if proc is None:
            return {"completion": None, "office": None, "deadline": None, "due": None,
                    "documents": []}  # fmt: skip
        if self.life_event is not None and proc.id in self.catalog.procedures:
            proc = self.checklist_procedure(proc.id)
        due = due_date(proc, self.event_date)
        return {
            "completion": proc.completion.kind.value,
            "office": proc.completion.office[lang] if proc.completion.office else None,
            "deadline": proc.deadline[lang] if proc.deadline else None,
            "due": due.isoformat() if due else None,
            "documents": [d[lang] for d in proc.documents],
        }

    def certificate_where_next(self, certificate_id: str) -> dict[str, Any]:
        """What a claim slip tells: the counter that hands the certificate over and what to
        bring (from the catalog, in the resident's language)."""
        cert = self.catalog.certificates.get(certificate_id)
        lang = self.language
        if cert is None:
            return {"office": None, "documents": []}
        return {
            "office": cert.office[lang] if cert.office else None,
            "documents": [d[lang] for d in cert.documents],
        }

    def choose_procedure(self, procedure_id: str) -> bool:
        proc = self.catalog.procedures.get(procedure_id)
        if proc is None or self.step not in (Step.HOME, Step.PROCEDURES, Step.CHECKLIST):
            return False
        self.touch()
        if self._service not in ("life_event", "procedure"):
            self._begin_service("procedure")
        # From a checklist the procedure is the one in the event's context (its deadline and
        # documents); from the plain list it is the catalog's shared entry.
        self.procedure = proc
        if self.step is Step.CHECKLIST and self.life_event is not None:
            self.procedure = self.checklist_procedure(procedure_id)
        self._go(Step.PROCEDURE_INTRO)
        self._changed()
        return True
