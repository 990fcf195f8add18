"""Screens where a resident starts: home, life events and their questions, the checklist,
the list of procedures and a procedure's introduction.

The checklist shows each item's true state from the session (done / pre-filled only with this
visit's reference number), its deadline with the date counted from the event date the resident
sets with the date buttons, and the Japanese name beside a translated one."""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Rectangle
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens._base import KScreen
from kiosk.ui.screens._datewords import long_date_words
from kiosk.ui.screens._household import HouseholdEditorMixin, date_words
from madoguchi.core.i18n import LANGUAGE_NAMES, LANGUAGES


class HomeScreen(KScreen):
    GUIDANCE = "Welcome. Touch what you want to do."
    certificates_limited = BooleanProperty(False)  # a printer certificates need is out

    def render(self, s: Any) -> None:
        self.certificates_limited = bool(self.flows.certificates.printers_missing())
        rows = [
            (f"lang_{code}", LANGUAGE_NAMES[code], "selected" if code == s.language else "choice",
             self.tap(self.flows.visit.choose_language, code))
            for code in LANGUAGES
        ]  # fmt: skip
        self.fill(self.ids.languages, rows, personal=False)


class LifeEventsScreen(KScreen):
    GUIDANCE = "Choose what happened in your life."

    def render(self, s: Any) -> None:
        self.fill(
            self.ids.rows,
            [(f"event_{e.id}", self.t(s, e.name), "choice",
              self.tap(self.flows.visit.choose_life_event, e.id))
             for e in s.catalog.life_events.values()],
            personal=False,
        )  # fmt: skip


class LifeEventQuestionsScreen(KScreen):
    GUIDANCE = "Please answer yes or no."
    question_id = StringProperty("")
    can_be_unsure = BooleanProperty(False)  # the catalog offers わからない for this question

    def render(self, s: Any) -> None:
        q = s.current_question
        event = s.life_event
        self.ids.event_name.text = self.t(s, event.name) if event else ""
        self.ids.question.text = self.t(s, q.text) if q else ""
        self.ids.hint.text = self.t(s, q.hint) if q is not None and q.hint else " "
        self.question_id = q.id if q else ""
        self.can_be_unsure = q is not None and q.unsure is not None
        total = len(event.questions) if event else 0
        self.ids.progress.text = self.tr(
            "Question {n} of {total}", n=min(s.question_index + 1, total), total=total
        )

    def answer(self, yes: bool | None) -> None:
        self.act(self.flows.visit.answer, self.question_id, yes)


def _where(app: Any, s: Any, proc: Any) -> str:
    kind = str(proc.completion.kind)
    office = proc.completion.office.get(s.language) if proc.completion.office else ""
    if kind == "kiosk":
        return app.tr("Here on this machine, now")
    if kind == "prefill":
        return app.tr("Pre-fill here, then finish at the counter: {office}", office=office)
    if kind == "online":
        return app.tr("Online at home (My Number Portal)")
    return app.tr("At the counter: {office}", office=office)


def _state(app: Any, s: Any, item: Any, proc: Any) -> str:
    """An item's true state: done/pre-filled only with this visit's reference number."""
    state = str(item.state)
    if state == "done":
        return app.tr("Done here (reference number {reference})", reference=item.reference)
    if state == "prefilled":
        office = proc.completion.office.get(s.language) if proc.completion.office else ""
        return app.tr(
            "Pre-filled here (reference number {reference}). Finish at the counter: {office}",
            reference=item.reference,
            office=office,
        )
    return _where(app, s, proc)


# The first line of each checklist card: where it is done, in words (review: the cards differed
# by colour alone). One badge per `ItemState`, each saying only what is true of it: a `prefilled`
# item was entered here and is finished at the counter: entered, and the counter next.
def badge(app: Any, state: str) -> str:
    """The checklist card's first line for an item in `state` (an `ItemState` value)."""
    if state == "here":
        return app.tr("[Can be done here]")
    if state == "prefill":
        return app.tr("[Enter here → finish at the counter]")
    if state == "prefilled":  # entered here, the counter next (review: it read as unstarted)
        return app.tr("[Entered → go to the counter]")
    if state == "office":
        return app.tr("[Go to the counter]")
    if state == "online":
        return app.tr("[Online]")
    if state == "done":
        return app.tr("[Done]")
    raise ValueError(f"no badge for checklist state {state!r}")


def _list_sep(s: Any) -> str:
    return "、" if s.language in ("ja", "ja-easy", "zh-Hans") else ", "


def _deadline(app: Any, s: Any, proc: Any, due: str | None) -> str:
    if proc.deadline is None:
        return ""
    words = proc.deadline.get(s.language)
    if due:
        # 2026年11月18日 where the language writes dates so (not ISO: review A17)
        day = date_words(due, s.language)
        return app.tr("Deadline: {deadline} (by {date})", deadline=words, date=day)
    return app.tr("Deadline: {deadline}", deadline=words)


class ChecklistScreen(HouseholdEditorMixin, KScreen):
    """The visit's hub: the procedures with their true state, the household members added so
    far, and the household editor (`_household`)."""

    GUIDANCE = "This is the list of procedures you need. You can print it."
    has_date = BooleanProperty(False)
    date_open = BooleanProperty(False)  # presentation only: the 年・月・日 steppers are shown
    date_set = BooleanProperty(False)  # a date is chosen: 日付を変える, else 日付を選ぶ
    event_title = StringProperty("")

    def render(self, s: Any) -> None:
        from kivy.clock import Clock

        Clock.schedule_once(self._clamp_list, 0)  # after this render's layout
        rows = self.member_rows(s)
        for item in s.checklist:
            p = self.flows.visit.checklist_procedure(item.procedure_id)
            name = self.t(s, p.name)
            if s.language != "ja":
                name = f"{name}（{p.name['ja']}）"  # staff read the Japanese name
            state = str(item.state)
            # the badge first; for `here` it already says all the where-line would
            lines = [badge(self.host, state), name]
            if state in ("prefill", "office"):  # the badge says how; this line says where
                office = self.t(s, p.completion.office)
                lines.append(self.tr("Where: {office}", office=office) if office else "")
            elif state != "here":  # the badge already says all of "here"
                lines.append(_state(self.host, s, item, p))
            if self.flows.visit.to_confirm(item.procedure_id):  # kept by a 「わからない」
                lines.append(self.tr("We will check this with you at the counter."))
            if state != "done":  # what is left to do: by when, what to bring, fee
                lines.append(_deadline(self.host, s, p, item.due))
                if p.documents:
                    docs = _list_sep(s).join(self.t(s, d) for d in p.documents)
                    lines.append(self.tr("Bring: {documents}", documents=docs))
                if p.fee_yen:
                    lines.append(self.tr("Fee: {fee} yen", fee=p.fee_yen))
            style = "selected" if item.reference else "primary" if item.kiosk_capable else "choice"
            rows.append((f"proc_{p.id}", "\n".join(x for x in lines if x), style,
                         self.tap(self.flows.visit.choose_procedure, p.id)))  # fmt: skip
            # 相談する beside each item: a specialist by video, the item's topic preselected.
            rows.append((f"consult_{p.id}", self.tr("Talk with a specialist about this"),
                         "secondary", self.tap(self.flows.consult.open_from, p.id)))  # fmt: skip
        self.fill(self.ids.rows, rows)
        for w in self.ids.rows.children:  # a card of several lines reads from its left edge
            if w.kid.startswith("proc_"):
                w.halign = "left"
        event = s.life_event
        self.event_title = self.t(s, event.name) if event else ""
        self.has_date = bool(event and event.date_label)
        self.date_set = bool(s.event_date)
        if self.has_date:
            day = (
                long_date_words(s.event_date.isoformat(), s.language)
                if s.event_date
                else self.tr("Not set")
            )
            self.ids.event_date.text = self.tr(
                "{label}: {date}", label=self.t(s, event.date_label), date=day
            )
        else:
            self.ids.event_date.text = ""

    def on_enter(self, *_args: Any) -> None:
        # Back at the hub (after a form, a done screen): the list from its top. Rows that got
        # shorter (a done item shows its reference only) otherwise leave the ScrollView past its
        # end, the list drawn off screen and a tap on it landing on nothing.
        from kivy.clock import Clock

        Clock.schedule_once(self._list_to_top, 0)

    def _list_to_top(self, *_args: Any) -> None:
        scroll = self.ids.list_scroll
        if scroll is not None:
            scroll.scroll_y = 1.0

    def _clamp_list(self, *_args: Any) -> None:
        """Rows that changed height (a member added, an item done) may leave the ScrollView
        past either end: put it back within its content."""
        scroll = self.ids.list_scroll
        if scroll is not None and not 0.0 <= scroll.scroll_y <= 1.0:
            scroll.scroll_y = min(1.0, max(0.0, scroll.scroll_y))

    def clear(self) -> None:
        self.date_open = False
        self.cancel_member()
        self.member_title = self.member_hint = ""
        super().clear()


class ProceduresScreen(KScreen):
    GUIDANCE = "Choose a procedure."

    def render(self, s: Any) -> None:
        procs = sorted(s.catalog.procedures.values(), key=lambda p: not p.kiosk_capable)
        self.fill(
            self.ids.rows,
            [(f"proc_{p.id}", f"{self.t(s, p.name)}\n{_where(self.host, s, p)}",
              "primary" if p.kiosk_capable else "choice",
              self.tap(self.flows.visit.choose_procedure, p.id))
             for p in procs],
            personal=False,
        )  # fmt: skip


class QrView(Widget):
    """A QR code drawn as dark squares on white (the catalog's URL of an online procedure, to
    scan with a phone). Presentation only: the matrix comes from the printer's `qr_matrix`."""

    data = StringProperty("")

    def on_data(self, *_: Any) -> None:
        self._draw()

    def on_size(self, *_: Any) -> None:
        self._draw()

    def on_pos(self, *_: Any) -> None:
        self._draw()

    def _draw(self) -> None:
        self.canvas.clear()
        if not self.data:
            return
        from devices.printer.documents import qr_matrix

        matrix = qr_matrix(self.data)
        quiet = 4
        side = min(self.width, self.height)
        cell = side / (len(matrix) + 2 * quiet)
        x0, y0 = self.x + (self.width - side) / 2, self.y + (self.height - side) / 2
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(pos=(x0, y0), size=(side, side))
            Color(0, 0, 0, 1)
            for r, row in enumerate(matrix):
                for c, dark in enumerate(row):
                    if dark:
                        top = y0 + side - (quiet + r + 1) * cell
                        Rectangle(pos=(x0 + (quiet + c) * cell, top), size=(cell, cell))


class ProcedureIntroScreen(KScreen):
    GUIDANCE = "Please check what this procedure needs."
    kiosk_capable = BooleanProperty(False)
    online_url = StringProperty("")

    def render(self, s: Any) -> None:
        app = self.host
        p = s.procedure
        if p is None:
            return
        self.kiosk_capable = p.kiosk_capable
        self.ids.name.text = self.t(s, p.name)
        lines = [self.t(s, p.summary), _where(app, s, p)]
        if p.documents:
            docs = _list_sep(s).join(self.t(s, d) for d in p.documents)
            lines.append(app.tr("Bring: {documents}", documents=docs))
        due = next((i.due for i in s.checklist if i.procedure_id == p.id), None)
        deadline = _deadline(app, s, p, due)
        if deadline:
            lines.append(deadline)
        lines.append(app.tr("Fee: {fee} yen", fee=p.fee_yen) if p.fee_yen else app.tr("No fee"))
        self.online_url = p.url if str(p.completion.kind) == "online" and p.url else ""
        if self.online_url:
            lines.append(app.tr("Scan the code with your phone to do it online: {url}", url=p.url))
        self.ids.details.text = "\n".join(lines)


class ProcedureCounterScreen(KScreen):
    """No card, or its PIN not known (from the intro's `no_card`): the procedure is done at the
    counter, said plainly, with a queue ticket for it offered when this machine can print one."""

    GUIDANCE = "This is done at the counter. You can take a queue ticket."
    can_take_ticket = BooleanProperty(False)

    def render(self, s: Any) -> None:
        p = s.procedure
        if p is None:
            return
        self.can_take_ticket = self.flows.services.can_take_ticket
        lines = [
            self.tr(
                "Without your My Number Card, or if you do not know its PIN (4 digits), the"
                " staff at this center's counter will help you with “{procedure}”.",
                procedure=self.t(s, p.name),
            )
        ]
        if p.completion.office:  # where it ends, not where the ticket is for (review)
            lines.append(
                self.tr(
                    "The procedure is finished at: {office}", office=self.t(s, p.completion.office)
                )
            )
        self.ids.explain.text = "\n\n".join(lines)
        # what to do now, on its own in heading size: the button's own words
        self.ids.next_step.text = (
            self.tr("Touch “{button}” and wait until your number is called.",
                    button=self.tr("Take a queue ticket"))
            if self.can_take_ticket
            else self.tr("Please go to the counter. The staff will help you.")
        )  # fmt: skip
