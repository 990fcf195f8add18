"""The visit flow (`KioskSession.flows.visit`): one card read and one PIN for all of a life
event's procedures, answers given once; display settings, navigation, idle and wipe.

A visit runs from the first touch to "finish" or the idle wipe. Within a life event's visit the
resident may consent (`use_card_for_visit(True)` on the first form) to the card's data being used
for this visit's other procedures; the checklist is then the hub they come back to, and each later
kiosk procedure opens its form at once, prefilled, with no second card read or PIN.

Invariants:
- Without consent nothing changes: card data and form values are dropped right after the outbox
  accepted the submission (the `done` screen holds only the reference), as before.
- With consent, a copy of the card's basic-4 data and the asked answers (kana, phone, dates,
  counts) stay in memory for the visit only; the wipe (finish, home, idle, staff) blanks them in
  place. They never go to a log, the screen of another step, or the printer.
- Household members are typed in (kana name, birth date, relation), validated like form fields
  (the kana in katakana), and prefill the counts and the child's kana of later forms.
- A prefilled value is only a proposal: every form is still shown and confirmed by the resident,
  and a value that does not validate for the field is left empty rather than guessed.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from typing import Any

from kiosk.catalog import FieldSource, Procedure
from kiosk.session._base import _SessionCore
from kiosk.session._events import LifeEventSteps
from kiosk.session.forms import Form, to_katakana, validate_value
from kiosk.session.ports import CardData
from kiosk.session.state import HouseholdMember
from kiosk.session.steps import CardPurpose, NoticeCode, Step

__all__ = ["RELATIONS", "HouseholdMember", "VisitFlow"]

# Who a household member is to the resident; the UI shows each as a word in the language.
RELATIONS = ("spouse", "child", "parent", "other")
_MAX_MEMBERS = 9  # a family larger than this is handled at the counter (and a runaway loop is not)
_MAX_KANA = 40


class VisitFlow(LifeEventSteps):
    """The resident's visit: display settings, navigation, the life event (questions, checklist,
    event date: `LifeEventSteps`), household members, the consent to keep the card's data for
    this visit, the idle timer ("still there?") and the wipe. Holds only the session."""

    __slots__ = ()

    # ---- settings, navigation, idle and wipe: the session's core does these -----------------

    def choose_language(self, language: str) -> bool:
        return self._s.choose_language(language)

    def set_text_scale(self, large: bool) -> None:
        self._s.set_text_scale(large)

    def set_high_contrast(self, on: bool) -> None:
        self._s.set_high_contrast(on)

    def toggle_voice(self) -> None:
        self._s.toggle_voice()

    def dismiss_notice(self) -> None:
        self._s.dismiss_notice()

    def open_life_events(self) -> bool:
        return self._s.open_life_events()

    def open_procedures(self) -> bool:
        return self._s.open_procedures()

    def home(self) -> None:
        self._s.home()

    def call_staff(self) -> None:
        self._s.call_staff()

    def touch(self) -> None:
        self._s.touch()

    def still_here(self) -> None:
        self._s.still_here()

    def tick(self, now: float | None = None) -> None:
        self._s.tick(now)

    def wipe(self, reason: str = "wipe", *, keep_preferences: bool = False) -> None:
        self._s.wipe(reason, keep_preferences=keep_preferences)

    # ---- the consent, the card once per visit, household members ------------------------------

    @property
    def visit_card_kept(self) -> bool:
        """True when later procedures of this visit need no card read (consent given, data kept)."""
        s = self._s
        return s._visit_card is not None

    @property
    def can_keep_card_for_visit(self) -> bool:
        """The consent question applies: a life event's form filled from the card."""
        s = self._s
        return (
            s.step is Step.FORM_CONFIRM
            and s.life_event is not None
            and s._card_data is not None
            and s._visit_card is None
        )

    def use_card_for_visit(self, on: bool) -> bool:
        """The resident's consent (or its withdrawal) on the first form: use this card's data
        and the answers for the other procedures of this visit, wiped at the end."""
        s = self._s
        if not self.can_keep_card_for_visit and not (on is False and s.visit_consent):
            return False
        s.touch()
        s.visit_consent = bool(on)
        if not on:  # withdrawn: what was kept goes now, the form on screen stays
            if s._visit_card is not None:
                s._visit_card.wipe()
            s._visit_card = None
            for key in s.visit_values:
                s.visit_values[key] = ""
            s.visit_values = {}
        s._changed()
        return True

    def keep_for_visit(self, form: Form) -> None:
        """After the outbox accepted a form: with consent, keep the card's data (a copy) and the
        answers the resident gave, for the next forms of this visit."""
        s = self._s
        if not s.visit_consent:
            return
        if s._visit_card is None and s._card_data is not None:
            s._visit_card = CardData(**s._card_data.as_fields())
        for fv in form.values:
            if fv.spec.source is FieldSource.ASKED and fv.value:
                s.visit_values[fv.name] = fv.value
        moved_on = s.visit_values.get("moved_on")
        if moved_on and s.event_date is None and s.life_event is not None:
            # The moving date answered on a form is the life event's date: deadlines follow it.
            try:
                s.event_date = _dt.date.fromisoformat(moved_on)
            except ValueError:
                pass

    def prefill(self, procedure: Procedure) -> dict[str, str]:
        """Values for `procedure`'s asked fields from this visit (answers, household, date)."""
        s = self._s
        derived: dict[str, str] = {}
        if s.event_date is not None:
            derived["moved_on"] = s.event_date.isoformat()
        if s.household:
            derived["household_size"] = str(1 + len(s.household))
            derived["insured_count"] = str(1 + len(s.household))
            children = [m for m in s.household if m.relation == "child"]
            if children:
                derived["children"] = str(len(children))
                derived["child_name_kana"] = children[0].name_kana
        out: dict[str, str] = {}
        for spec in procedure.fields:
            if spec.source is not FieldSource.ASKED:
                continue
            value = s.visit_values.get(spec.name) or derived.get(spec.name)
            if value and validate_value(spec, value) is not None:
                out[spec.name] = value
        return out

    def open_form_from_visit(self) -> bool:
        """A later kiosk procedure of a consented visit: its form at once, from the kept data."""
        s = self._s
        if s._visit_card is None or s.procedure is None:
            return False
        if s.card_purpose is not CardPurpose.KENHOJO:
            return False
        s.notice = None
        s.form = Form(s.procedure, s._visit_card, self.prefill(s.procedure))
        s._go(Step.FORM_CONFIRM)
        s._changed()
        return True

    def back(self) -> bool:
        """Cancel on a later form of a consented visit returns to the checklist (the hub) with
        the form dropped; everything else as `_SessionCore.back`."""
        s = self._s
        if s.step is Step.FORM_CONFIRM and s._visit_card is not None:
            s.touch()
            if s.form is not None:
                s.form.wipe()
            s.form, s.procedure = None, None
            s.notice = None
            if s.life_event is not None:
                self._make_checklist()
            else:
                s._go(Step.HOME)
            s._changed()
            return True
        return _SessionCore.back(s)

    def add_household_member(self, name_kana: str, birth_date: str, relation: str) -> bool:
        """A member of the household (typed on the checklist). A bad value is refused with a
        notice naming the field, and nothing is added."""
        s = self._s
        if s.step is not Step.CHECKLIST or s.life_event is None:
            return False
        s.touch()
        kana = _clean_kana(name_kana)
        if kana is None:
            return self._refuse("member_kana")
        today = _dt.datetime.fromtimestamp(s._wall_clock()).date()
        day = _plausible_birth_date(birth_date, today)
        if day is None:
            return self._refuse("member_birth_date")
        if relation not in RELATIONS:
            return self._refuse("member_relation")
        if len(s.household) >= _MAX_MEMBERS:
            return self._refuse("household")
        s.household.append(HouseholdMember(kana, day, relation))
        s.notice = None
        s._changed()
        return True

    def remove_household_member(self, index: int) -> bool:
        s = self._s
        if s.step is not Step.CHECKLIST or not (0 <= index < len(s.household)):
            return False
        s.touch()
        s.household.pop(index).wipe()
        s._changed()
        return True

    def _refuse(self, field: str) -> bool:
        s = self._s
        s._notice(NoticeCode.INVALID_VALUE, field=field)
        s._changed()
        return False


def _clean_kana(value: Any) -> str | None:
    """Katakana whatever kana was typed; None when it is not kana or too long."""
    if not isinstance(value, str):
        return None
    kana = to_katakana(unicodedata.normalize("NFC", value).strip())
    if not kana or len(kana) > _MAX_KANA:
        return None
    if not all("\u30a1" <= ch <= "\u30fa" or ch in "ー ・\u3000" for ch in kana):
        return None
    return kana


def _plausible_birth_date(value: Any, today: _dt.date) -> str | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        day = _dt.date.fromisoformat(value)
    except ValueError:
        return None
    if day > today or (today - day).days > 130 * 366:
        return None
    return day.isoformat()
