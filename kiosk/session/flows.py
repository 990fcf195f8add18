"""The session's flows: what the UI may ask of the session, one responsibility per flow, typed.

`KioskSession.flows` is a `Flows`: `visit` (settings, navigation, the life event and its
checklist, the consent to use the card for the visit, household members, idle and wipe),
`card` (place card, PIN, read), `forms` (prefill, correct, confirm and submit), `certificates`
(choose, copies, pay, print), `services` (booking, queue ticket, finishing and the survey,
shelter check-in) and `staff` (staff mode, assist, diagnostics). The UI calls these typed
methods (`flows.forms.confirm()`); no intent names as strings, no `getattr` dispatch.

Guarantees: every method here is a call of the session's intent of the same meaning, with the
same arguments and result (True when it applied, False when the step does not allow it); a flow
holds no state of its own (the session holds the visit's state, wiped as one), so two flows can
never disagree about where the resident is. Plain Python: no Kivy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the session composes the flows; at run time they only hold a reference
    from kiosk.catalog import Procedure
    from kiosk.session.session import KioskSession

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

    def __init__(self, session: KioskSession) -> None:
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


class CardFlow(_Flow):
    """The card: place it, enter the PIN (once per call, never kept), read it; card events."""

    __slots__ = ()

    def start_procedure(self) -> bool:
        return self._s.start_procedure()

    def card_inserted(self, reader: str | None = None) -> None:
        self._s.card_inserted(reader)

    def card_removed(self, reader: str | None = None) -> None:
        self._s.card_removed(reader)

    def submit_pin(self, pin: str) -> bool:
        return self._s.submit_pin(pin)

    def fill_without_card(self) -> bool:
        return self._s.fill_without_card()


class FormsFlow(_Flow):
    """The form: values prefilled from the card and the visit, corrected and confirmed by the
    resident, then submitted to the outbox with a receipt."""

    __slots__ = ()

    def correct_field(self, name: str, value: str) -> bool:
        return self._s.correct_field(name, value)

    def confirm(self) -> bool:
        return self._s.confirm()

    def use_card_for_visit(self, on: bool) -> bool:
        """The consent question sits on the first form (see `VisitFlow`)."""
        return self._s.use_card_for_visit(on)

    def cancel(self) -> bool:
        return self._s.back()


class CertificatesFlow(_Flow):
    """Certificates: choose the kind, copies, purpose and options; the card's JPKI
    authentication, payment and printing follow (online), or a claim slip (offline)."""

    __slots__ = ()

    def open(self) -> bool:
        return self._s.open_certificates()

    def choose(
        self,
        certificate_id: str,
        copies: int,
        purpose: str | None,
        options: dict[str, Any] | None = None,
    ) -> bool:
        return self._s.choose_certificate(certificate_id, copies, purpose, options)

    def printers_missing(self) -> tuple[str, ...]:
        return self._s.certificate_printers_missing()

    def where_next(self, certificate_id: str) -> dict[str, Any]:
        return self._s.certificate_where_next(certificate_id)


class ServicesFlow(_Flow):
    """Services without the card and the end of any service: consultation booking, queue
    tickets, shelter check-in, finishing and the satisfaction survey."""

    __slots__ = ()

    def open_booking(self) -> bool:
        return self._s.open_booking()

    def choose_topic(self, topic_id: str) -> bool:
        return self._s.choose_topic(topic_id)

    def choose_slot(self, slot_id: str) -> bool:
        return self._s.choose_slot(slot_id)

    def request_callback(self, phone: str) -> bool:
        return self._s.request_callback(phone)

    def take_queue_ticket(self, service: str | None = None) -> bool:
        return self._s.take_queue_ticket(service)

    def start_shelter_checkin(self) -> bool:
        return self._s.start_shelter_checkin()

    def finish(self) -> bool:
        return self._s.finish()

    def submit_survey(self, score: int, reasons: list[str] | tuple[str, ...] = ()) -> bool:
        return self._s.submit_survey(score, reasons)

    def skip_survey(self) -> bool:
        return self._s.skip_survey()


class StaffFlow(_Flow):
    """Staff mode behind the staff PIN: queue, reprint, out of service, shelter mode, assisting
    a resident, diagnostics (counts and states only, never record contents)."""

    __slots__ = ()

    def open(self) -> bool:
        return self._s.open_staff()

    def submit_pin(self, pin: str) -> bool:
        return self._s.submit_staff_pin(pin)

    def call_next(self) -> int | None:
        return self._s.staff_call_next()

    def reprint(self) -> bool:
        return self._s.staff_reprint()

    def set_out_of_service(self, on: bool) -> None:
        self._s.staff_set_out_of_service(on)

    def set_shelter_mode(self, on: bool) -> None:
        self._s.staff_set_shelter_mode(on)

    def assist(self) -> bool:
        return self._s.staff_assist()

    def diagnostics(self) -> bool:
        return self._s.staff_diagnostics()

    def refresh_diagnostics(self) -> bool:
        return self._s.staff_refresh_diagnostics()

    def exit(self) -> None:
        self._s.staff_exit()


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
    def of(cls, session: KioskSession) -> Flows:
        return cls(
            VisitFlow(session),
            CardFlow(session),
            FormsFlow(session),
            CertificatesFlow(session),
            ServicesFlow(session),
            StaffFlow(session),
        )
