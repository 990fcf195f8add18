"""Thin screen classes, one per session step. They copy what the session shows into widgets and
turn taps into `app.intent(...)`; layout lives in `screens/<step>.kv`.

Invariants: a screen never decides what happens next; it keeps no resident data after `clear()`
(labels marked `personal`, keyboard buffers and dynamically built rows are emptied); the only
local state is presentation (which field the keyboard edits, which survey chips are lit).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.ui._root import iter_widgets
from kiosk.ui.widgets import (
    KanaKeyboard,
    KButton,
    Keyboard,
    KLabel,
    LatinKeyboard,
    NumericKeyboard,
)
from madoguchi.i18n import LANGUAGE_NAMES, LANGUAGES

__all__ = ["KScreen", "SCREENS"]


def _app():
    return App.get_running_app()


class KScreen(Screen):
    """Base: `render(session)`, `clear()`, `guidance()` (fixed text voice guidance reads)."""

    GUIDANCE = ""

    def render(self, s: Any) -> None:
        pass

    def clear(self) -> None:
        for w in list(iter_widgets(self)):
            if isinstance(w, Keyboard):
                w.clear()
            elif isinstance(w, KLabel) and w.personal:
                w.text = ""
            if getattr(w, "dynamic", False):
                w.clear_widgets()

    def guidance(self) -> str:
        return _app().tr(self.GUIDANCE) if self.GUIDANCE else ""

    # helpers for the Python side of rendering
    def fill(self, container, rows: list[tuple[str, str, str, Callable[[], Any] | None]]) -> None:
        """Replace a container's children with buttons (kid, text, style, on_tap or None=label)."""
        container.dynamic = True
        container.clear_widgets()
        for kid, text, style, on_tap in rows:
            if on_tap is None:
                container.add_widget(KLabel(kid=kid, text=text, style=style, personal=True))
                continue
            b = KButton(kid=kid, text=text, style=style)
            b.bind(on_release=lambda _b, fn=on_tap: fn())
            container.add_widget(b)

    @staticmethod
    def t(s: Any, text: Any) -> str:
        """A catalog `Text` in the session's language."""
        return text.get(s.language) if text is not None else ""


def _intent(name: str, *args: Any) -> Callable[[], Any]:
    return lambda: _app().intent(name, *args)


class HomeScreen(KScreen):
    GUIDANCE = "Welcome. Touch what you want to do."

    def render(self, s: Any) -> None:
        rows = [
            (f"lang_{code}", LANGUAGE_NAMES[code], "selected" if code == s.language else "choice",
             _intent("choose_language", code))
            for code in LANGUAGES
        ]  # fmt: skip
        self.fill(self.ids.languages, rows)
        self.ids.languages.dynamic = False  # not personal: keep across clears


class LifeEventsScreen(KScreen):
    GUIDANCE = "Choose what happened in your life."

    def render(self, s: Any) -> None:
        self.fill(
            self.ids.rows,
            [(f"event_{e.id}", self.t(s, e.name), "choice", _intent("choose_life_event", e.id))
             for e in s.catalog.life_events.values()],
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


class PlaceCardScreen(KScreen):
    GUIDANCE = "Place your My Number Card on the reader."
    phase = NumericProperty(0.0)

    def on_enter(self, *_args: Any) -> None:
        from kivy.animation import Animation

        Animation.cancel_all(self, "phase")
        anim = Animation(phase=1.0, duration=0.9) + Animation(phase=0.0, duration=0.9)
        anim.repeat = True
        anim.start(self)

    def on_leave(self, *_args: Any) -> None:
        from kivy.animation import Animation

        Animation.cancel_all(self, "phase")


class PinEntryScreen(KScreen):
    GUIDANCE = "Enter your 4-digit PIN. It is not shown on the screen."
    tries_left = NumericProperty(-1)
    last_try = BooleanProperty(False)
    wrong = BooleanProperty(False)  # the last PIN was wrong (the session's notice)
    jpki = BooleanProperty(False)

    def render(self, s: Any) -> None:
        tries = s.tries_left
        if tries != self.tries_left:
            self.ids.pin.clear()  # a new attempt starts empty: never re-send a PIN by itself
        self.tries_left = -1 if tries is None else tries
        self.last_try = bool(s.last_try_warning)
        self.wrong = str(getattr(s.notice, "code", "")) == "wrong_pin"
        self.jpki = str(s.card_purpose) == "jpki"

    def submit(self, value: str) -> None:
        pin, self.ids.pin.value = value, ""
        if pin:
            _app().intent("submit_pin", pin)


class BusyScreen(KScreen):
    GUIDANCE = "Please wait."


class ReadingCardScreen(BusyScreen):
    GUIDANCE = "Reading your card. Do not remove it."


class SubmittingScreen(BusyScreen):
    GUIDANCE = "Sending your application. Please wait."


class IssuingScreen(BusyScreen):
    GUIDANCE = "Issuing your certificate. Please wait."


class PinBlockedScreen(KScreen):
    GUIDANCE = "The PIN is locked. Please go to the city office counter."


_KEYBOARD_FOR = {"number": "numeric", "date": "numeric", "sex": "choice", "choice": "choice",
                 "kana": "kana", "latin": "latin", "text": "kana"}  # fmt: skip


class FormConfirmScreen(KScreen):
    """The form's values with a Correct button each. An on-screen keyboard is built only when a
    field needs it (most residents correct nothing) and dropped when the screen is cleared: each
    is up to sixty keys whose label textures live in process memory under llvmpipe."""

    GUIDANCE = "Check the form. Touch Correct to change an entry."
    editing = StringProperty("")  # presentation only: which field the keyboard edits
    editing_label = StringProperty("")
    keyboard = StringProperty("")  # 'numeric' / 'kana' / 'latin' / 'choice' / ''
    # The shown keyboard's buffer, for the edit_value label; dispatched even when unchanged, so a
    # label the wipe emptied is redrawn (' ') when the next edit starts with an empty buffer.
    edit_text = StringProperty("", force_dispatch=True)
    KEYBOARDS: dict[str, type[Keyboard]] = {
        "numeric": NumericKeyboard, "kana": KanaKeyboard, "latin": LatinKeyboard,
    }  # fmt: skip

    def __init__(self, **kwargs: Any) -> None:
        self._keyboards: dict[str, Keyboard] = {}  # built so far, each in its kv slot
        self._max_length = 40
        super().__init__(**kwargs)

    def render(self, s: Any) -> None:
        form = s.form
        container = self.ids.fields
        container.dynamic = True
        container.clear_widgets()
        if form is None:
            return
        for fv in form.values:
            label = KLabel(text=self.t(s, fv.spec.label), style="muted", role="small")
            shown = self._shown(s, fv)
            value = KLabel(
                kid=f"value_{fv.name}", text=shown, style="field", filled=True, personal=True
            )
            fix = KButton(kid=f"fix_{fv.name}", text=_app().tr("Correct"), style="secondary")
            fix.bind(on_release=lambda _b, name=fv.name: self.edit(name))
            container.add_widget(label)
            container.add_widget(value)
            container.add_widget(fix)

    def _shown(self, s: Any, fv: Any) -> str:
        if str(fv.spec.kind) == "sex":
            return {
                "1": _app().tr("Male"),
                "2": _app().tr("Female"),
                "9": _app().tr("Not stated"),
            }.get(fv.value, fv.value)
        if fv.spec.choices:
            for c in fv.spec.choices:
                if c.id == fv.value:
                    return self.t(s, c.label)
        return fv.value

    # -- keyboards, built on demand ---------------------------------------------------------------
    def on_keyboard(self, _inst: Any, name: str) -> None:
        self._ensure_keyboard(name)  # e.g. the Kana/Latin switch builds the other one now
        self._sync_edit_text()

    def _ensure_keyboard(self, name: str) -> None:
        """Build the keyboard `name` into its kv slot unless it exists (choices need none)."""
        cls = self.KEYBOARDS.get(name)
        if cls is None or name in self._keyboards:
            return
        kb = cls(kid=f"kb_{name}", max_length=self._max_length)
        kb.bind(on_ok=lambda _kb, value: self.commit(value), value=self._sync_edit_text)
        self._keyboards[name] = kb
        self.ids[f"slot_{name}"].add_widget(kb)  # a hidden slot keeps it in its stash

    def _sync_edit_text(self, *_args: Any) -> None:
        kb = self._keyboards.get(self.keyboard)
        self.edit_text = kb.value if kb is not None else ""

    def _clear_keyboards(self) -> None:
        for kb in self._keyboards.values():
            kb.clear()

    def _drop_keyboards(self) -> None:
        """Empty, unmount and forget every built keyboard (the next edit builds it again)."""
        self._clear_keyboards()
        for name, kb in self._keyboards.items():
            slot = self.ids[f"slot_{name}"]
            slot.stash = [w for w in slot.stash if w is not kb]
            if kb.parent is not None:  # the shown slot (`ids` holds proxies: no identity test)
                kb.parent.remove_widget(kb)
        self._keyboards.clear()
        self.edit_text = ""

    # -- editing a field --------------------------------------------------------------------------
    def edit(self, name: str) -> None:
        s = _app().session
        fv = s.form.field(name) if s.form else None
        if fv is None:
            return
        kind = str(fv.spec.kind)
        self._max_length = fv.spec.max_length
        self._clear_keyboards()
        for kb in self._keyboards.values():
            kb.max_length = self._max_length
        self.keyboard = _KEYBOARD_FOR.get(kind, "kana")
        self._ensure_keyboard(self.keyboard)  # when `keyboard` did not change, on_keyboard won't
        self.editing = name
        self.editing_label = self.t(s, fv.spec.label)
        choices = [(c.id, self.t(s, c.label)) for c in fv.spec.choices]
        if kind in ("sex", "choice"):
            self.keyboard = "choice"
        if kind == "sex":
            choices = [
                (k, self._shown(s, type(fv)(spec=fv.spec, value=k))) for k in ("1", "2", "9")
            ]
        self.fill(self.ids.choices, [(f"choice_{cid}", text, "choice", lambda cid=cid: self.commit(cid))
                                     for cid, text in choices])  # fmt: skip

    def commit(self, value: str) -> None:
        name, self.editing = self.editing, ""
        s = _app().session
        fv = s.form.field(name) if s.form and name else None
        if fv is not None and str(fv.spec.kind) == "date" and len(value) == 8 and value.isdigit():
            value = f"{value[:4]}-{value[4:6]}-{value[6:]}"  # typed as digits, shown as a date
        self._clear_keyboards()
        self.ids.choices.clear_widgets()
        if name:
            _app().intent("correct_field", name, value)

    def cancel_edit(self) -> None:
        self.editing = ""
        self._clear_keyboards()

    def clear(self) -> None:
        self.editing = self.editing_label = ""
        self._drop_keyboards()
        self.keyboard = ""
        super().clear()


class DoneScreen(KScreen):
    GUIDANCE = "Your application was received. Please take your receipt."

    def render(self, s: Any) -> None:
        self.ids.reference.text = s.reference or ""
        self.ids.receipt.text = _app().tr(
            "Please take your receipt." if s.receipt_printed
            else "The receipt could not be printed. Show this number to the staff."
        )  # fmt: skip


class CertificateChooseScreen(KScreen):
    GUIDANCE = "Choose the certificate, the number of copies and the purpose."
    cert_id = StringProperty("")  # presentation only until "continue" sends one intent
    copies = NumericProperty(1)
    purpose = StringProperty("")

    def render(self, s: Any) -> None:
        certs = s.catalog.certificates
        if self.cert_id not in certs:
            self.cert_id = next(iter(certs), "")
        self.fill(self.ids.types, [(f"cert_{c.id}", self.t(s, c.name),
                                    "selected" if c.id == self.cert_id else "choice",
                                    lambda cid=c.id: self.pick(cid)) for c in certs.values()])  # fmt: skip
        cert = certs.get(self.cert_id)
        purposes = cert.purposes if cert else ()
        if purposes and self.purpose not in {p.id for p in purposes}:
            self.purpose = ""
        self.fill(self.ids.purposes, [(f"purpose_{p.id}", self.t(s, p.label),
                                       "selected" if p.id == self.purpose else "choice",
                                       lambda pid=p.id: self.pick_purpose(pid)) for p in purposes])  # fmt: skip
        fee = cert.fee_yen * int(self.copies) if cert else 0
        self.ids.fee.text = _app().tr("Fee: {fee} yen", fee=fee)

    def pick(self, cid: str) -> None:
        self.cert_id, self.copies, self.purpose = cid, 1, ""
        self.render(_app().session)

    def pick_purpose(self, pid: str) -> None:
        self.purpose = pid
        self.render(_app().session)

    def set_copies(self, n: int) -> None:
        s = _app().session
        cert = s.catalog.certificates.get(self.cert_id)
        self.copies = max(1, min(int(n), cert.max_copies if cert else 1))
        self.render(s)

    def submit(self) -> None:
        _app().intent("choose_certificate", self.cert_id, int(self.copies), self.purpose or None)

    def clear(self) -> None:
        self.cert_id, self.copies, self.purpose = "", 1, ""
        super().clear()


class CertificatePrintedScreen(KScreen):
    GUIDANCE = "Your certificate was printed. Please take it."


class ClaimSlipScreen(KScreen):
    GUIDANCE = "Your request was saved. Please take the claim slip."

    def render(self, s: Any) -> None:
        self.ids.reference.text = s.reference or ""


class BookingTopicScreen(KScreen):
    GUIDANCE = "Choose a consultation topic."

    def render(self, s: Any) -> None:
        self.fill(
            self.ids.rows,
            [(f"topic_{t.id}", self.t(s, t.name), "choice", _intent("choose_topic", t.id))
             for t in s.catalog.topics.values()],
        )  # fmt: skip


class BookingSlotScreen(KScreen):
    GUIDANCE = "Choose a time, or ask for a call back."
    phone_entry = BooleanProperty(False)  # presentation only: the keypad for a call-back number

    def submit_phone(self, value: str) -> None:
        self.ids.phone.clear()
        self.phone_entry = False
        _app().intent("request_callback", value)

    def back(self) -> None:
        if self.phone_entry:
            self.phone_entry = False
            self.ids.phone.clear()
            return
        _app().intent("back")

    def clear(self) -> None:
        self.phone_entry = False
        super().clear()

    def render(self, s: Any) -> None:
        rows = [(f"slot_{x.id}", x.start.replace("T", " "), "choice", _intent("choose_slot", x.id))
                for x in s.slots]  # fmt: skip
        self.fill(self.ids.rows, rows)
        self.ids.empty.text = _app().tr("No times are available now.") if not rows else ""


class BookingDoneScreen(KScreen):
    GUIDANCE = "Your booking was made. Please take the slip."

    def render(self, s: Any) -> None:
        b = s.booking
        self.ids.reference.text = b.reference if b else ""
        if b is not None and b.start:
            self.ids.when.text = _app().tr("Time: {start}", start=b.start.replace("T", " "))
        else:
            self.ids.when.text = _app().tr("We will call you back.")


class QueueTicketScreen(KScreen):
    GUIDANCE = "Please take your ticket and wait to be called."

    def render(self, s: Any) -> None:
        t = s.ticket
        app = _app()
        self.ids.number.text = str(t.number) if t else ""
        self.ids.wait.text = (
            app.tr("{n} people before you, about {minutes} minutes",
                   n=t.waiting_before, minutes=t.estimated_wait_min) if t else ""
        )  # fmt: skip


class SurveyScreen(KScreen):
    GUIDANCE = "How satisfied were you? Touch a number from 0 to 10."
    score = NumericProperty(-1)

    def render(self, s: Any) -> None:
        self._reasons: set[str] = getattr(self, "_reasons", set())
        self.fill(self.ids.scores, [(f"score_{n}", str(n), "selected" if n == self.score else "choice",
                                     lambda n=n: self.pick(n)) for n in range(11)])  # fmt: skip
        self.fill(self.ids.reasons, [(f"reason_{r.id}", self.t(s, r.label),
                                      "selected" if r.id in self._reasons else "choice",
                                      lambda rid=r.id: self.toggle(rid))
                                     for r in s.catalog.survey_reasons])  # fmt: skip

    def pick(self, n: int) -> None:
        self.score = n
        self.render(_app().session)

    def toggle(self, reason: str) -> None:
        self._reasons ^= {reason}
        self.render(_app().session)

    def submit(self) -> None:
        if self.score < 0:
            return
        score, reasons = int(self.score), sorted(self._reasons)
        self.clear()
        _app().intent("submit_survey", score, reasons)

    def clear(self) -> None:
        self.score = -1
        self._reasons = set()
        super().clear()


class StillThereScreen(KScreen):
    GUIDANCE = "Are you still there? Touch the screen to continue."


class StaffPinScreen(KScreen):
    GUIDANCE = ""

    def submit(self, value: str) -> None:
        self.ids.pin.value = ""
        if value:
            _app().intent("submit_staff_pin", value)


class StaffMenuScreen(KScreen):
    def render(self, s: Any) -> None:
        app = _app()
        sync = s.sync
        self.ids.queue.text = app.tr("Waiting: {n}", n=s.queue_waiting) + (
            "   " + app.tr("Now calling: {n}", n=s.called_ticket) if s.called_ticket else ""
        )
        reasons = ", ".join(s.printer.reasons) or "-"
        self.ids.printer.text = app.tr(
            "Printer: {state} ({reasons}); failed prints waiting: {n}",
            state=app.tr("Printer ready" if s.printer.ok else "Printer unavailable"),
            reasons=reasons, n=s.printer.pending_reprints,
        )  # fmt: skip
        self.ids.outbox.text = app.tr(
            "Outbox: {n} records waiting; {online}", n=sync.outbox_depth,
            online=app.tr("Online" if sync.online else "Offline"),
        ) + "   " + (
            app.tr("Last sync: {time}", time=_when(sync.last_sync)) if sync.last_sync
            else app.tr("Never synced")
        )  # fmt: skip


def _when(t: float | None) -> str:
    """Local date and time of a wall-clock timestamp (what staff read out to IT)."""
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S") if t is not None else "-"


def _bytes(n: int | None) -> str:
    if n is None:
        return "?"
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    return f"{n / 1024**2:.0f} MB"


def _failed(v: Any) -> bool:
    return type(v).__name__ == "ProbeFailed"


def _unknown(v: Any) -> str:
    cause = getattr(v, "cause", "")
    return _app().tr("Unknown ({cause})", cause=cause) if cause else _app().tr("Unknown")


def _role_name(role: str) -> str:
    if role == "receipt":
        return _app().tr("Receipt printer")
    if role == "document":
        return _app().tr("Document printer")
    return role


class StaffDiagnosticsScreen(KScreen):
    """The session's `Diagnostics` snapshot, one row per part; a part that needs a look is drawn
    in the warning style. Names, states, counts and times only: nothing here is personal."""

    refreshing = BooleanProperty(False)
    ROWS = ("device", "software", "reader", "printers", "outbox", "disk", "sync", "clock")
    PROBLEM_ROW = {"site": "device", "reader": "reader", "printer": "printers",
                   "reprints": "printers", "outbox": "outbox", "disk": "disk", "sync": "sync",
                   "clock": "clock"}  # fmt: skip

    def render(self, s: Any) -> None:
        app = _app()
        self.refreshing = bool(s.diagnostics_refreshing)
        d = s.diagnostics
        if d is None:
            self.ids.taken_at.text = app.tr("Reading...")
            for row in self.ROWS:
                self._row(row, "", False)
            return
        self.ids.taken_at.text = app.tr("Taken at {time}", time=_when(d.taken_at))
        warn = {self.PROBLEM_ROW[p] for p in d.problems if p in self.PROBLEM_ROW}
        site = _unknown(d.site) if _failed(d.site) else " / ".join(
            x for x in (d.site.center, d.site.city) if x
        )  # fmt: skip
        self._row("device", f"{d.device_id} · {site}", "device" in warn)
        self._row("software", app.tr("Version {version}, catalog {catalog}",
                                     version=d.software_version, catalog=d.catalog_version),
                  "software" in warn)  # fmt: skip
        self._row("reader", self._reader(d), "reader" in warn)
        self._row("printers", self._printers(d), "printers" in warn)
        self._row("outbox", self._outbox(d), "outbox" in warn)
        self._row("disk", self._disk(d), "disk" in warn)
        self._row("sync", self._sync(d), "sync" in warn)
        self._row("clock", self._clock(d), "clock" in warn)

    def _row(self, name: str, text: str, warn: bool) -> None:
        label = self.ids[name]
        label.text = text
        label.style = "warn" if warn else "body"
        label.filled = warn

    @staticmethod
    def _reader(d: Any) -> str:
        app = _app()
        r = d.reader
        if _failed(r):
            text = _unknown(r)
        elif r.present:
            text = r.name
        elif r.name:
            text = app.tr("Not found: {name}", name=r.name)
        else:
            text = app.tr("No reader")
        card = app.tr("Card inserted" if d.card_present else "No card in the reader")
        return f"{text} · {card}"

    @staticmethod
    def _printers(d: Any) -> str:
        app = _app()
        lines = []
        if _failed(d.printers):
            lines.append(_unknown(d.printers))
        else:
            for p in d.printers:
                if p.ok:
                    lines.append(app.tr("{role}: ready (queue {queue})",
                                        role=_role_name(p.role), queue=p.queue))  # fmt: skip
                else:
                    lines.append(app.tr("{role}: {state}, {reasons} (queue {queue})",
                                        role=_role_name(p.role), state=p.state,
                                        reasons=", ".join(p.reasons) or "-", queue=p.queue))  # fmt: skip
        n = _unknown(d.pending_reprints) if _failed(d.pending_reprints) else d.pending_reprints
        lines.append(app.tr("Failed prints waiting: {n}", n=n))
        return "\n".join(lines)

    @staticmethod
    def _outbox(d: Any) -> str:
        o = d.outbox
        if _failed(o):
            return _unknown(o)
        return _app().tr("{n} records waiting; last seq {seq}, last acked {acked}",
                         n=o.pending, seq=o.last_seq, acked=o.last_acked_seq)  # fmt: skip

    @staticmethod
    def _disk(d: Any) -> str:
        o = d.outbox
        if _failed(o) or o.free_bytes is None:
            return _unknown(o)
        return _app().tr("{free} free (reserve {reserve})",
                         free=_bytes(o.free_bytes), reserve=_bytes(o.reserve_bytes))  # fmt: skip

    @staticmethod
    def _sync(d: Any) -> str:
        app = _app()
        online = getattr(d.sync, "online", None)
        state = _unknown(d.sync) if online is None else app.tr("Online" if online else "Offline")
        last = d.last_sync
        when = app.tr("Last sync: {time}", time=_when(last)) if last else app.tr("Never synced")
        a = d.agent
        if a is None:
            agent = app.tr("No status from the sync agent")
        elif _failed(a):
            agent = app.tr("Sync agent: {state}", state=_unknown(a))
        else:
            agent = " · ".join((
                app.tr("Sync agent: {state}", state=a.state)
                + (f" ({a.last_error})" if a.last_error else ""),
                app.tr("Reconnects: {n}; catalog received: {version}",
                       n=a.reconnects, version=a.catalog_version),
            ))  # fmt: skip
        return f"{state} · {when}\n{agent}"

    @staticmethod
    def _clock(d: Any) -> str:
        app = _app()
        c = d.clock
        if _failed(c):
            return _unknown(c)
        trusted = {True: app.tr("Synchronized"), False: app.tr("Not synchronized")}.get(
            c.synchronized, app.tr("Not known whether synchronized")
        )
        return f"{_when(c.now)} · {trusted}"

    def clear(self) -> None:
        for row in self.ROWS:
            self._row(row, "", False)
        self.ids.taken_at.text = ""
        super().clear()


class ServiceErrorScreen(KScreen):
    GUIDANCE = "Please go to the counter. The staff will help you."


class OutOfServiceScreen(KScreen):
    GUIDANCE = "This terminal is out of service. Please ask the staff."


SCREENS: dict[str, type[KScreen]] = {
    "home": HomeScreen,
    "life_events": LifeEventsScreen,
    "life_event_questions": LifeEventQuestionsScreen,
    "checklist": ChecklistScreen,
    "procedures": ProceduresScreen,
    "procedure_intro": ProcedureIntroScreen,
    "place_card": PlaceCardScreen,
    "pin_entry": PinEntryScreen,
    "reading_card": ReadingCardScreen,
    "pin_blocked": PinBlockedScreen,
    "form_confirm": FormConfirmScreen,
    "submitting": SubmittingScreen,
    "done": DoneScreen,
    "certificate_choose": CertificateChooseScreen,
    "issuing": IssuingScreen,
    "certificate_printed": CertificatePrintedScreen,
    "claim_slip": ClaimSlipScreen,
    "service_error": ServiceErrorScreen,
    "booking_topic": BookingTopicScreen,
    "booking_slot": BookingSlotScreen,
    "booking_done": BookingDoneScreen,
    "queue_ticket": QueueTicketScreen,
    "survey": SurveyScreen,
    "still_there": StillThereScreen,
    "staff_pin": StaffPinScreen,
    "staff_menu": StaffMenuScreen,
    "staff_diagnostics": StaffDiagnosticsScreen,
    "out_of_service": OutOfServiceScreen,
}
