"""Life events and procedures (the part of the visit flow, `kiosk.session._visit.VisitFlow`, that
walks the catalog): questions one at a time, the rules-selected checklist (printable),
and choosing a procedure.

Invariants: answers are accepted only for the question on screen, in order (a question an earlier
answer settles, by the catalog's `ask_if`, is never shown and stays unanswered); 「わからない」
(`answer(id, None)`) only where the catalog offers it, and it keeps the procedures it might need on
the list, marked for the counter to confirm (`to_confirm`); the checklist is
exactly `select_procedures(event, answers)` from the catalog's rules (no rule lives in code);
each item's procedure is the one in the event's context (`Catalog.procedure_in`), so deadlines
and documents are the event's own. An item is DONE (済) or PREFILLED only when the outbox
accepted its submission in this visit, and it then carries that reference number; everything
else says where it can be done. The printed checklist names procedures, places, documents,
deadlines, fees and reference numbers, nothing about the resident.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from typing import Any

from kiosk.catalog import (
    CompletionKind,
    Procedure,
    due_date,
    select_procedures,
    unsure_procedures,
)
from kiosk.session._base import _SessionCore
from kiosk.session.ports import PortPrintError
from kiosk.session.steps import ChecklistItem, ItemState, NoticeCode, Step

__all__ = ["LifeEventSteps"]

_OPEN_STATE = {
    CompletionKind.KIOSK: ItemState.HERE,
    CompletionKind.PREFILL: ItemState.PREFILL,
    CompletionKind.OFFICE: ItemState.OFFICE,
    CompletionKind.ONLINE: ItemState.ONLINE,
}
# An event date further than this from today is a typo (moving out is dated ahead, a death or a
# birth a little back; claims that run two years are not counted from the date anyway).
_MAX_EVENT_DATE_DAYS = 400


class LifeEventSteps:
    """The visit flow's life-event part: questions, checklist, event date, choosing a procedure,
    where to go next. Holds only the session (its `VisitState` has the answers and checklist)."""

    __slots__ = ("_s",)

    def __init__(self, session: _SessionCore) -> None:
        self._s = session  # the KioskSession (typed as its core: no import of the session)

    def choose_life_event(self, event_id: str) -> bool:
        s = self._s
        event = s.catalog.life_events.get(event_id)
        if event is None or s.step not in (Step.HOME, Step.LIFE_EVENTS):
            return False
        s.touch()
        if s._service != "life_event":
            s._begin_service("life_event")
        s.life_event = event
        s.answers = {}
        s.question_index = 0
        s._go(Step.LIFE_EVENT_QUESTIONS)
        if not event.questions:
            self._make_checklist()
        s._changed()
        return True

    def answer(self, question_id: str, yes: bool | None) -> bool:
        """はい (True), いいえ (False) or, where the catalog offers it, わからない (None)."""
        s = self._s
        q = s.current_question
        if s.step is not Step.LIFE_EVENT_QUESTIONS or q is None or q.id != question_id:
            return False
        if yes is None and q.unsure is None:
            return False  # not offered for this question: only はい / いいえ
        s.touch()
        s.answers[question_id] = None if yes is None else bool(yes)
        s.question_index += 1
        self._skip_settled_questions()
        if s.current_question is None:
            self._make_checklist()
        s._changed()
        return True

    def _skip_settled_questions(self) -> None:
        """Pass over questions an earlier answer settles (the catalog's `ask_if`)."""
        s = self._s
        while s.current_question is not None and not s.current_question.asked(s.answers):
            s.question_index += 1

    def _make_checklist(self) -> None:
        s = self._s
        self._refresh_checklist()
        s._go(Step.CHECKLIST)

    def _refresh_checklist(self) -> None:
        s = self._s
        assert s.life_event is not None
        items = []
        for pid in select_procedures(s.life_event, s.answers):
            p = self.checklist_procedure(pid)
            reference = s.submitted.get(pid)
            if reference is not None:
                state = ItemState.DONE if p.finished_here else ItemState.PREFILLED
            else:
                state = _OPEN_STATE[p.completion.kind]
            due = due_date(p, s.event_date)
            items.append(
                ChecklistItem(
                    pid, p.kiosk_capable, state, reference, due.isoformat() if due else None
                )
            )
        s.checklist = items

    def to_confirm(self, procedure_id: str) -> bool:
        """The item is on the checklist only because of a 「わからない」: the counter confirms
        whether it is needed (the row says 窓口で確認します)."""
        s = self._s
        if s.life_event is None:
            return False
        return procedure_id in unsure_procedures(s.life_event, s.answers)

    def checklist_procedure(self, procedure_id: str) -> Procedure:
        """The procedure as it applies to the chosen life event (its deadline and documents)."""
        s = self._s
        return s.catalog.procedure_in(s.life_event, procedure_id)

    def today(self) -> _dt.date:
        s = self._s
        return _dt.datetime.fromtimestamp(s._wall_clock()).date()

    def set_event_date(self, value: str) -> bool:
        """The date of the life event (ISO `YYYY-MM-DD`): deadlines on the checklist are counted
        from it. A malformed or implausible date is refused with a notice and changes nothing."""
        s = self._s
        if s.step is not Step.CHECKLIST or s.life_event is None:
            return False
        s.touch()
        try:
            day = (
                _dt.date.fromisoformat(value)
                if isinstance(value, str) and len(value) == 10
                else None
            )
        except ValueError:
            day = None
        if day is None or abs((day - self.today()).days) > _MAX_EVENT_DATE_DAYS:
            s._notice(NoticeCode.INVALID_VALUE, field="event_date")
            s._changed()
            return False
        s.notice = None
        s.event_date = day
        self._refresh_checklist()
        s._changed()
        return True

    def shift_event_date(self, days: int = 0, months: int = 0) -> bool:
        """The checklist's date steppers (年・月・日 ▲▼): move the event date by `days` and
        `months` (a year is 12; from today when unset). A day past the new month's end becomes
        its last day (1月31日 + 1か月 = 2月28日)."""
        s = self._s
        if s.step is not Step.CHECKLIST or s.life_event is None:
            return False
        if type(days) is not int or type(months) is not int:
            return False
        if abs(days) > 2 * _MAX_EVENT_DATE_DAYS:  # would leave the range anyway (or overflow)
            days = 2 * _MAX_EVENT_DATE_DAYS + 1
        months = max(-48, min(48, months))  # 4 years either way is out of range anyway
        base = s.event_date or self.today()
        if months:
            index = base.year * 12 + base.month - 1 + months
            year, month = divmod(index, 12)
            last = calendar.monthrange(year, month + 1)[1]
            base = base.replace(year=year, month=month + 1, day=min(base.day, last))
        return self.set_event_date((base + _dt.timedelta(days=days)).isoformat())

    def event_date_today(self) -> bool:
        """The checklist's "today" button."""
        s = self._s
        if s.step is not Step.CHECKLIST or s.life_event is None:
            return False
        return self.set_event_date(self.today().isoformat())

    def return_to_checklist(self) -> bool:
        """From the done screen back to the life event's checklist, where the procedure just
        submitted (its reference number is on the screen) now shows as 済 / 事前入力済."""
        s = self._s
        if s.step is not Step.DONE or s.life_event is None:
            return False
        s.touch()
        proc = s.procedure
        if proc is not None and s.reference is not None:
            s.submitted[proc.id] = s.reference
        s.procedure = None
        s.reference = None
        s.receipt_printed = False
        s.notice = None
        self._make_checklist()
        s._changed()
        return True

    def print_checklist(self) -> bool:
        s = self._s
        if s.step is not Step.CHECKLIST or s.life_event is None:
            return False
        s.touch()
        data = self._checklist_print_data()

        def done(_: Any, error: BaseException | None) -> None:
            if isinstance(error, PortPrintError):
                s._notice(NoticeCode.PRINTER_FAILED, reasons=list(error.reasons))
            elif error is not None:
                raise error
            else:
                s._notice(NoticeCode.CHECKLIST_PRINTED)

        s._run(lambda: s._print("checklist", data), done)
        return True

    def _checklist_print_data(self) -> dict[str, Any]:
        s = self._s
        assert s.life_event is not None
        lang, event = s.language, s.life_event
        items = []
        for item in s.checklist:
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
                    "confirm": self.to_confirm(item.procedure_id),
                }
            )
        return {
            "title": event.name[lang],
            "event_date": s.event_date.isoformat() if s.event_date else None,
            "event_date_label": event.date_label[lang] if event.date_label else None,
            "items": items,
        }

    def where_next(self, proc: Procedure | None = None) -> dict[str, Any]:
        """What a done screen, receipt or slip tells about what comes next for `proc` (default:
        the current procedure) in the resident's language: the counter, the deadline (and its
        date when the event date is known) and what to bring. Empty values when not known."""
        s = self._s
        proc = proc or s.procedure
        lang = s.language
        if proc is None:
            return {"completion": None, "office": None, "deadline": None, "due": None,
                    "documents": []}  # fmt: skip
        if s.life_event is not None and proc.id in s.catalog.procedures:
            proc = self.checklist_procedure(proc.id)
        due = due_date(proc, s.event_date)
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
        s = self._s
        cert = s.catalog.certificates.get(certificate_id)
        lang = s.language
        if cert is None:
            return {"office": None, "documents": []}
        return {
            "office": cert.office[lang] if cert.office else None,
            "documents": [d[lang] for d in cert.documents],
        }

    def choose_procedure(self, procedure_id: str) -> bool:
        s = self._s
        proc = s.catalog.procedures.get(procedure_id)
        if proc is None or s.step not in (Step.HOME, Step.PROCEDURES, Step.CHECKLIST):
            return False
        s.touch()
        if s._service not in ("life_event", "procedure"):
            s._begin_service("procedure")
        # From a checklist the procedure is the one in the event's context (its deadline and
        # documents); from the plain list it is the catalog's shared entry.
        s.procedure = proc
        if s.step is Step.CHECKLIST and s.life_event is not None:
            s.procedure = self.checklist_procedure(procedure_id)
        s._go(Step.PROCEDURE_INTRO)
        s._changed()
        return True
