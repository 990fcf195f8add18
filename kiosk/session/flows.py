"""The session's flows: what the UI may ask of the session, one responsibility per flow, typed.

`KioskSession.flows` is a `Flows`: `visit` (settings, navigation, the life event and its
checklist, the consent to use the card for the visit, household members, idle and wipe),
`card` (place card, PIN, read, shelter check-in), `forms` (prefill, correct, confirm and submit), `certificates`
(choose, copies, pay, print), `services` (booking, queue ticket, finishing and the survey)
and `staff` (staff mode, assist, diagnostics). The UI calls these typed
methods (`flows.forms.confirm()`); no intent names as strings, no `getattr` dispatch.

`CardFlow`, `FormsFlow`, `CertificatesFlow`, `ServicesFlow` and `StaffFlow` hold their
implementation (kiosk/session/_card.py, _forms.py, _certificates.py, _services.py, _staff.py);
`VisitFlow` below is the typed entry to the visit's intents, whose implementation is still in
the session's mixins (`_base`, `_events`, `_visit`, `_staff_call`).

Guarantees: every method returns what the session's intent of the same meaning returns (True
when it applied, False when the step does not allow it: nothing changed); a flow holds no state
of its own, only the session (which holds the visit's state in one `VisitState`, replaced by the
wipe), so two flows can never disagree about where the resident is. Plain Python: no Kivy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.session._card import CardFlow
from kiosk.session._certificates import CertificatesFlow
from kiosk.session._forms import FormsFlow
from kiosk.session._services import ServicesFlow
from kiosk.session._staff import StaffFlow

if TYPE_CHECKING:
    from kiosk.catalog import Procedure

__all__ = [
    "CardFlow",
    "CertificatesFlow",
    "Flows",
    "FormsFlow",
    "ServicesFlow",
    "StaffFlow",
    "VisitFlow",
]


class _Flow:
    __slots__ = ("_s",)

    def __init__(self, session: Any) -> None:
        # The KioskSession, which composes the flows: not imported here (no session <-> flows
        # cycle); what the UI relies on is the flows' own annotated methods.
        self._s = session


class VisitFlow(_Flow):
    """The resident's visit: display settings, navigation, the life event (questions, checklist,
    event date), household members, the consent to keep the card's data for this visit, the
    idle timer ("still there?") and the wipe."""

    __slots__ = ()

    # settings
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

    # navigation
    def open_life_events(self) -> bool:
        return self._s.open_life_events()

    def open_procedures(self) -> bool:
        return self._s.open_procedures()

    def choose_procedure(self, procedure_id: str) -> bool:
        return self._s.choose_procedure(procedure_id)

    def back(self) -> bool:
        return self._s.back()

    def home(self) -> None:
        self._s.home()

    def call_staff(self) -> None:
        self._s.call_staff()

    # the life event and its checklist
    def choose_life_event(self, event_id: str) -> bool:
        return self._s.choose_life_event(event_id)

    def answer(self, question_id: str, yes: bool) -> bool:
        return self._s.answer(question_id, yes)

    def set_event_date(self, value: str) -> bool:
        return self._s.set_event_date(value)

    def shift_event_date(self, days: int) -> bool:
        return self._s.shift_event_date(days)

    def event_date_today(self) -> bool:
        return self._s.event_date_today()

    def print_checklist(self) -> bool:
        return self._s.print_checklist()

    def return_to_checklist(self) -> bool:
        return self._s.return_to_checklist()

    def checklist_procedure(self, procedure_id: str) -> Procedure:
        return self._s.checklist_procedure(procedure_id)

    def where_next(self, proc: Procedure | None = None) -> dict[str, Any]:
        return self._s.where_next(proc)

    # household and the card once per visit
    def add_household_member(self, name_kana: str, birth_date: str, relation: str) -> bool:
        return self._s.add_household_member(name_kana, birth_date, relation)

    def remove_household_member(self, index: int) -> bool:
        return self._s.remove_household_member(index)

    def use_card_for_visit(self, on: bool) -> bool:
        return self._s.use_card_for_visit(on)

    # idle and wipe
    def touch(self) -> None:
        self._s.touch()

    def still_here(self) -> None:
        self._s.still_here()

    def tick(self, now: float | None = None) -> None:
        self._s.tick(now)

    def wipe(self, reason: str = "wipe", *, keep_preferences: bool = False) -> None:
        self._s.wipe(reason, keep_preferences=keep_preferences)


@dataclass(frozen=True)
class Flows:
    """The six flows of one session (`KioskSession.flows`)."""

    visit: VisitFlow
    card: CardFlow
    forms: FormsFlow
    certificates: CertificatesFlow
    services: ServicesFlow
    staff: StaffFlow

    @classmethod
    def of(cls, session: Any) -> Flows:
        return cls(
            VisitFlow(session),
            CardFlow(session),
            FormsFlow(session),
            CertificatesFlow(session),
            ServicesFlow(session),
            StaffFlow(session),
        )
