"""Screens of a procedure with the card: place the card, the PIN, busy screens, the prefilled
form with its on-screen keyboards (built on demand), and done."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.ui._tree import discard_children, forget
from kiosk.ui.screens._base import KScreen
from kiosk.ui.screens._household import date_words
from kiosk.ui.widgets import (
    KanaKeyboard,
    KButton,
    Keyboard,
    KLabel,
    LatinKeyboard,
    NumericKeyboard,
)


def _same_height(target: float, *row: Any) -> None:
    """One form row: every cell as tall as the tallest, so label, value and button line up
    (each label draws its text centred in its own height)."""

    def align(*_args: Any) -> None:
        # never below a touch target: the row holds the Correct button
        height = max(target, *(w.texture_size[1] + dp(16) for w in row))
        for w in row:
            w.height = height

    for w in row:
        w.bind(texture_size=align)
    align()


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
            self.act(self.flows.card.submit_pin, pin)


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
                 "kana": "kana", "latin": "latin", "text": "kana",
                 "address_number": "numeric"}  # fmt: skip


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
    editing_missing = BooleanProperty(False)  # the entry being edited is a required empty one
    missing_text = StringProperty("")  # 「まだ入力していない項目：フリガナ、電話番号」 or ''
    consent_offered = BooleanProperty(False)  # the visit consent applies to this form
    consent_on = BooleanProperty(False)
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
        discard_children(container)
        self.consent_on = bool(getattr(s, "visit_consent", False))
        self.consent_offered = self.consent_on or bool(getattr(s, "can_keep_card_for_visit", False))
        if form is None:
            return
        for fv in form.values:
            name = self.t(s, fv.spec.label)
            if fv.spec.required:  # marked in words on every required row, never by colour alone
                name = f"{name} {self.tr('(required)')}"
            label = KLabel(text=name, style="muted", role="small")
            shown = self._shown(s, fv)
            empty = fv.spec.required and not fv.value
            # An empty required entry says so in words on a marked box (review A9: not a blank
            # row that looks finished).
            value = KLabel(
                kid=f"value_{fv.name}",
                text=self.tr("Not entered yet") if empty else shown,
                style="warn" if empty else "field",
                filled=True,
                personal=not empty,
            )
            fix = KButton(kid=f"fix_{fv.name}", text=self.tr("Correct"), style="secondary")
            fix.bind(on_release=lambda _b, name=fv.name: self.edit(name))
            container.add_widget(label)
            container.add_widget(value)
            container.add_widget(fix)
            _same_height(self.host.target, label, value, fix)
        missing = [fv for fv in form.values if fv.spec.required and not fv.value]
        sep = list_separator(s.language)
        self.missing_text = (
            self.tr("Still empty: {fields}", fields=sep.join(self.t(s, fv.spec.label)
                                                            for fv in missing))
            if missing else ""
        )  # fmt: skip
        self._go_to_missing(s)

    def _go_to_missing(self, s: Any) -> None:
        """After "submit" with entries missing: open the first one's editor, whose title names
        the field (the resident is taken to it instead of hunting for it below the fold)."""
        notice = s.notice
        if self.editing or notice is None or str(notice.code) != "missing_values":
            return
        fields = notice.params.get("fields") or []
        if fields:
            self.edit(fields[0])

    def _shown(self, s: Any, fv: Any) -> str:
        if str(fv.spec.kind) == "sex":
            return {
                "1": self.tr("Male"),
                "2": self.tr("Female"),
                "9": self.tr("Not stated"),
            }.get(fv.value, fv.value)
        if str(fv.spec.kind) == "date" and fv.value:
            return date_words(fv.value, s.language)  # 2026年12月3日, not 2026-12-03
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
            forget(kb)
        self._keyboards.clear()
        self.edit_text = ""

    # -- editing a field --------------------------------------------------------------------------
    def edit(self, name: str) -> None:
        s = self.session
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
        numeric = self._keyboards.get("numeric")
        if numeric is not None:  # - 丁目 番 号 keys for an address's block and lot only
            numeric.address_keys = kind == "address_number"
        self.editing = name
        self.editing_label = self.t(s, fv.spec.label)
        self.editing_missing = bool(fv.spec.required and not fv.value)
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
        s = self.session
        fv = s.form.field(name) if s.form and name else None
        if fv is not None and str(fv.spec.kind) == "date" and len(value) == 8 and value.isdigit():
            value = f"{value[:4]}-{value[4:6]}-{value[6:]}"  # typed as digits, shown as a date
        self._clear_keyboards()
        discard_children(self.ids.choices)
        if name:
            self.act(self.flows.forms.correct_field, name, value)

    def cancel_edit(self) -> None:
        self.editing = ""
        self._clear_keyboards()

    def clear(self) -> None:
        self.editing = self.editing_label = self.missing_text = ""
        self.editing_missing = False
        self._drop_keyboards()
        self.keyboard = ""
        super().clear()


def take_card_text(app: Any, s: Any) -> str:
    """「カードをお取りください」 while a card is in the reader after a service ('' once the
    card-removed event came: the screens keep the space)."""
    return app.tr("Please take your card.") if s.card_present else " "


def show_take_card(label: Any, app: Any, s: Any) -> None:
    """The end screens' take-card line: the words and, while they show, the warn box (set
    here: a kv rule bound to the label's own text did not follow it)."""
    label.text = take_card_text(app, s)
    label.style = "warn" if s.card_present else "body"
    label.filled = bool(s.card_present)


# A card left in the reader is said aloud again this often while an end screen waits.
REMIND_EVERY_S = 15.0


class CardReminder:
    """Mixed into the end screens (done, survey): while the card is still in the reader, the
    voice says 「カードをお取りください」 when the screen shows and every `REMIND_EVERY_S` after,
    whatever the voice-guidance setting (forgetting the My Number card in a public kiosk is the
    worst outcome, review A14); it stops with the card-removed event or leaving the screen."""

    def remind_card(self, s: Any) -> None:
        from kivy.clock import Clock

        event = self.__dict__.get("_remind_event")
        if not s.card_present:
            if event is not None:
                event.cancel()
                self.__dict__["_remind_event"] = None
            return
        if event is None:
            self._say_reminder()
            self.__dict__["_remind_event"] = Clock.schedule_interval(
                lambda _dt: self._say_reminder(), REMIND_EVERY_S
            )

    def _say_reminder(self) -> None:
        voice = getattr(self.host, "voice", None)
        if voice is not None and self.session.card_present:
            voice.remind(self.session.language, self.host.tr("Please take your card."))

    def stop_reminder(self) -> None:
        event = self.__dict__.pop("_remind_event", None)
        if event is not None:
            event.cancel()


def list_separator(language: str) -> str:
    """、 between list items in Japanese and Chinese, a comma elsewhere."""
    return "、" if language in ("ja", "ja-easy", "zh-Hans") else ", "


def where_next_lines(app: Any, where: dict[str, Any], complete_msgid: str, sep: str) -> str:
    """What comes next (from `session.where_next()`): the counter, the deadline with its date,
    what to bring; or that nothing is left to do."""
    lines = []
    if where.get("completion") == "kiosk":
        lines.append(app.tr(complete_msgid))
    elif where.get("office"):
        lines.append(app.tr("Where to go: {office}", office=where["office"]))
    if where.get("completion") != "kiosk":
        if where.get("deadline"):
            lines.append(
                app.tr("Deadline: {deadline} (by {date})", deadline=where["deadline"],
                       date=where["due"]) if where.get("due")
                else app.tr("Deadline: {deadline}", deadline=where["deadline"])
            )  # fmt: skip
        if where.get("documents"):
            lines.append(app.tr("Bring: {documents}", documents=sep.join(where["documents"])))
    return "\n".join(lines)


class DoneScreen(CardReminder, KScreen):
    GUIDANCE = "Your application was received. Please take your receipt."
    in_life_event = BooleanProperty(False)

    def render(self, s: Any) -> None:
        app = self.host
        self.ids.reference.text = s.reference or ""
        self.ids.receipt.text = app.tr(
            "Please take your receipt." if s.receipt_printed
            else "The receipt could not be printed. Show this number to the staff."
        )  # fmt: skip
        self.ids.where_next.text = where_next_lines(
            app,
            self.flows.visit.where_next(),
            "This procedure is complete. You do not need to go to a counter.",
            list_separator(s.language),
        )
        self.in_life_event = s.life_event is not None
        show_take_card(self.ids.take_card, app, s)
        self.remind_card(s)

    def clear(self) -> None:
        self.stop_reminder()
        super().clear()
