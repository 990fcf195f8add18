"""Screens where a resident starts: home, life events and their questions, the checklist,
the list of procedures and a procedure's introduction."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.ui.screens._base import KScreen, _app, _intent
from madoguchi.i18n import LANGUAGE_NAMES, LANGUAGES


class HomeScreen(KScreen):
    GUIDANCE = "Welcome. Touch what you want to do."

    def render(self, s: Any) -> None:
        rows = [
            (f"lang_{code}", LANGUAGE_NAMES[code], "selected" if code == s.language else "choice",
             _intent("choose_language", code))
            for code in LANGUAGES
        ]  # fmt: skip
        self.fill(self.ids.languages, rows, personal=False)


class LifeEventsScreen(KScreen):
    GUIDANCE = "Choose what happened in your life."

    def render(self, s: Any) -> None:
        self.fill(
            self.ids.rows,
            [(f"event_{e.id}", self.t(s, e.name), "choice", _intent("choose_life_event", e.id))
             for e in s.catalog.life_events.values()],
            personal=False,
        )  # fmt: skip


class LifeEventQuestionsScreen(KScreen):
    GUIDANCE = "Please answer yes or no."
    question_id = StringProperty("")

    def render(self, s: Any) -> None:
        q = s.current_question
        event = s.life_event
        self.ids.event_name.text = self.t(s, event.name) if event else ""
        self.ids.question.text = self.t(s, q.text) if q else ""
        self.question_id = q.id if q else ""
        total = len(event.questions) if event else 0
        self.ids.progress.text = _app().tr(
            "Question {n} of {total}", n=min(s.question_index + 1, total), total=total
        )

    def answer(self, yes: bool) -> None:
        _app().intent("answer", self.question_id, yes)


def _where(s: Any, proc: Any) -> str:
    app = _app()
    kind = str(proc.completion.kind)
    if kind == "kiosk":
        return app.tr("Here at this terminal, now")
    if kind == "online":
        return app.tr("Online at home (My Number Portal)")
    office = proc.completion.office.get(s.language) if proc.completion.office else ""
    return app.tr("At the counter: {office}", office=office)


class ChecklistScreen(KScreen):
    GUIDANCE = "This is the list of procedures you need. You can print it."

    def render(self, s: Any) -> None:
        rows = []
        for item in s.checklist:
            p = s.catalog.procedures[item.procedure_id]
            style = "primary" if item.kiosk_capable else "choice"
            rows.append((f"proc_{p.id}", f"{self.t(s, p.name)}\n{_where(s, p)}", style,
                         _intent("choose_procedure", p.id)))  # fmt: skip
        self.fill(self.ids.rows, rows)
        self.ids.event_name.text = self.t(s, s.life_event.name) if s.life_event else ""


class ProceduresScreen(KScreen):
    GUIDANCE = "Choose a procedure."

    def render(self, s: Any) -> None:
        procs = sorted(s.catalog.procedures.values(), key=lambda p: not p.kiosk_capable)
        self.fill(
            self.ids.rows,
            [(f"proc_{p.id}", f"{self.t(s, p.name)}\n{_where(s, p)}",
              "primary" if p.kiosk_capable else "choice", _intent("choose_procedure", p.id))
             for p in procs],
            personal=False,
        )  # fmt: skip


class ProcedureIntroScreen(KScreen):
    GUIDANCE = "Please check what this procedure needs."
    kiosk_capable = BooleanProperty(False)

    def render(self, s: Any) -> None:
        app = _app()
        p = s.procedure
        if p is None:
            return
        self.kiosk_capable = p.kiosk_capable
        self.ids.name.text = self.t(s, p.name)
        lines = [self.t(s, p.summary), _where(s, p)]
        if p.documents:
            lines.append(
                app.tr("Bring: {documents}", documents=", ".join(self.t(s, d) for d in p.documents))
            )
        if p.deadline is not None:
            lines.append(app.tr("Deadline: {deadline}", deadline=self.t(s, p.deadline)))
        lines.append(app.tr("Fee: {fee} yen", fee=p.fee_yen) if p.fee_yen else app.tr("No fee"))
        self.ids.details.text = "\n".join(lines)
