"""`KioskSession`: the resident's journey as a plain-Python state machine (no Kivy).

The UI holds one `KioskSession`, registers an observer (`add_observer(fn)`; `fn(session)` runs
after every change) and re-renders from the public attributes below; buttons call the intents.
Device callbacks (card inserted/removed) must be handed to the UI thread by the caller (the UI
passes its scheduler to `ThreadWorker` and to the card watcher adapter).

Public state (read-only for the UI): `step` (`Step`), `notice` (`Notice | None`), `language`,
`text_scale`, `high_contrast`, `voice`, `life_event`, `current_question`, `answers`,
`checklist` (`ChecklistItem`: state, reference, due), `event_date`, `submitted`, `procedure`,
`card_purpose`, `card_present`, `tries_left`, `last_try_warning`,
`form` (`Form`: `.values[i].spec/.value/.from_card/.corrected`), `reference`,
`receipt_printed`, `certificate`, `topic`, `slots`, `slots_offline`, `booking`, `ticket`,
`staff_called`, `sync` (`SyncStatus`), `printer` (`PrinterState`), `out_of_service`,
`shelter_mode`, `called_ticket`, `queue_waiting`, `assisted`, `diagnostics` (`Diagnostics | None`),
`diagnostics_refreshing`, `catalog`.

The UI calls the intents through `session.flows` (visit, card, forms, certificates, services,
staff: `kiosk.session.flows`), each flow its own class holding only this session. The session is
their shared core (`_SessionCore`: state views, steps, notices, worker, observers, idle, settings,
navigation, wipe; `_StaffCallFlow`: the staff call) and keeps every intent below as a one-line
delegate for drivers other than the UI (the demo's script, the bench, tests). The resident's
state is one `VisitState` (`kiosk.session.state`).

Intents: choose_language, set_text_scale, set_high_contrast, toggle_voice, open_life_events,
choose_life_event, answer, print_checklist, set_event_date, shift_event_date,
return_to_checklist, open_procedures, choose_procedure, start_procedure, card_inserted,
card_removed, submit_pin, correct_field, confirm, open_certificates, choose_certificate,
open_booking, choose_topic, choose_slot, request_callback, take_queue_ticket, call_staff,
finish, submit_survey, skip_survey, touch, still_here, tick, back, home, wipe, open_staff,
submit_staff_pin, staff_call_next, staff_reprint, staff_set_out_of_service,
staff_set_shelter_mode, staff_diagnostics, staff_refresh_diagnostics, staff_assist, staff_exit,
start_shelter_checkin, fill_without_card, refresh_status, dismiss_notice.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from kiosk.catalog import Procedure
from kiosk.session._consult import ConsultHours, ConsultSource
from kiosk.session._staff_call import _StaffCallFlow
from kiosk.session._staff_lockout import StaffLockout
from kiosk.session.flows import Flows

__all__ = ["KioskSession"]


class KioskSession(_StaffCallFlow):
    """One kiosk's session: construct with `(catalog, ports, config, *, clock, wall_clock,
    worker, random_bytes)`; see the module docstring for state and intents. The UI reaches
    the intents through `flows` (typed, one responsibility each: `kiosk.session.flows`)."""

    # The entry point may set `staff_pin_source`: a callable giving this center's staff PIN hash
    # from the signed config bundle (None when the bundle carries none: the config's hash holds).
    staff_pin_source: Callable[[], str | None] | None = None
    # Device-wide (survives wipes): why the last refused card was refused, a code for the staff
    # diagnostics screen ("revoked", "not_genuine:bad_signature", ...), never card data.
    last_card_refusal: str | None = None
    # オンライン窓口, set by the entry point: `consult_source(language, deliver)` makes a call flow
    # (`kiosk.call.ConsultFlow` over a `CallPort` whose events reach `deliver` on the UI's clock);
    # None: no call worker here (相談する says so and offers a booking). `consult_hours`: when city
    # hall takes calls (None: `ConsultHours.DEFAULT`).
    consult_source: ConsultSource | None = None
    consult_hours: ConsultHours | None = None
    # The signed config bundle's hours, which take precedence (None from it: `consult_hours`).
    consult_hours_source: Callable[[], ConsultHours | None] | None = None

    @property
    def flows(self) -> Flows:
        flows = self.__dict__.get("_flows")
        if flows is None:
            flows = self.__dict__["_flows"] = Flows.of(self)
        return flows

    # ---- a video consultation (kiosk.session._consult) ---------------------------------------

    @property
    def consult(self) -> dict | None:
        """The call flow's view (`kiosk.call.ConsultFlow.view()`) while a consultation is open."""
        return self.flows.consult.view() if self._consult is not None else None

    @property
    def consult_flow(self) -> Any:
        """What the consult screens' taps call (the consult flow), while one is open."""
        return self.flows.consult if self._consult is not None else None

    def tick(self, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        if self.flows.consult.live:  # a resident talking does not touch the screen
            self._last_activity = now
        super().tick(now)

    def wipe(self, reason: str = "wipe", *, keep_preferences: bool = False) -> None:
        self.flows.consult.wipe()  # its worker closes on the session's worker, not here
        super().wipe(reason, keep_preferences=keep_preferences)

    # ---- the services flow's intents, for drivers other than the UI (kiosk.session._services) --

    def choose_topic(self, topic_id: str) -> bool:
        return self.flows.services.choose_topic(topic_id)

    def choose_slot(self, slot_id: str) -> bool:
        return self.flows.services.choose_slot(slot_id)

    def request_callback(self, phone: str) -> bool:
        return self.flows.services.request_callback(phone)

    def take_queue_ticket(self, service: str | None = None) -> bool:
        return self.flows.services.take_queue_ticket(service)

    def finish(self) -> bool:
        return self.flows.services.finish()

    def submit_survey(self, score: int, reasons: list[str] | tuple[str, ...] = ()) -> bool:
        return self.flows.services.submit_survey(score, reasons)

    def skip_survey(self) -> bool:
        return self.flows.services.skip_survey()

    # ---- the staff flow's intents and views, for drivers other than the UI (kiosk.session._staff)

    def open_staff(self) -> bool:
        return self.flows.staff.open()

    def submit_staff_pin(self, pin: str) -> bool:
        return self.flows.staff.submit_pin(pin)

    def staff_call_next(self) -> int | None:
        return self.flows.staff.call_next()

    def staff_reprint(self) -> bool:
        return self.flows.staff.reprint()

    def staff_diagnostics(self) -> bool:
        return self.flows.staff.diagnostics()

    def staff_refresh_diagnostics(self) -> bool:
        return self.flows.staff.refresh_diagnostics()

    def staff_assist(self) -> bool:
        return self.flows.staff.assist()

    def staff_set_out_of_service(self, on: bool) -> None:
        self.flows.staff.set_out_of_service(on)

    def staff_set_shelter_mode(self, on: bool) -> None:
        self.flows.staff.set_shelter_mode(on)

    @property
    def diagnostics_refreshing(self) -> bool:
        return self.flows.staff.refreshing

    @property
    def queue_waiting(self) -> int:
        return self.flows.staff.waiting

    def _staff_pin_hash(self) -> str | None:
        return self.flows.staff.pin_hash()

    def _staff_lockout(self) -> StaffLockout:
        return self.flows.staff.lockout()

    # ---- the visit flow's intents and views, for drivers other than the UI (kiosk.session._visit)

    def back(self) -> bool:
        return self.flows.visit.back()

    def choose_life_event(self, event_id: str) -> bool:
        return self.flows.visit.choose_life_event(event_id)

    def answer(self, question_id: str, yes: bool | None) -> bool:
        return self.flows.visit.answer(question_id, yes)

    def set_event_date(self, value: str) -> bool:
        return self.flows.visit.set_event_date(value)

    def shift_event_date(self, days: int = 0, months: int = 0) -> bool:
        return self.flows.visit.shift_event_date(days, months)

    def event_date_today(self) -> bool:
        return self.flows.visit.event_date_today()

    def print_checklist(self) -> bool:
        return self.flows.visit.print_checklist()

    def return_to_checklist(self) -> bool:
        return self.flows.visit.return_to_checklist()

    def choose_procedure(self, procedure_id: str) -> bool:
        return self.flows.visit.choose_procedure(procedure_id)

    def checklist_procedure(self, procedure_id: str) -> Procedure:
        return self.flows.visit.checklist_procedure(procedure_id)

    def where_next(self, proc: Procedure | None = None) -> dict[str, Any]:
        return self.flows.visit.where_next(proc)

    def certificate_where_next(self, certificate_id: str) -> dict[str, Any]:
        return self.flows.visit.certificate_where_next(certificate_id)

    def today(self) -> _dt.date:
        return self.flows.visit.today()

    def _checklist_print_data(self) -> dict[str, Any]:
        return self.flows.visit._checklist_print_data()

    def use_card_for_visit(self, on: bool) -> bool:
        return self.flows.visit.use_card_for_visit(on)

    def add_household_member(self, name_kana: str, birth_date: str, relation: str) -> bool:
        return self.flows.visit.add_household_member(name_kana, birth_date, relation)

    def remove_household_member(self, index: int) -> bool:
        return self.flows.visit.remove_household_member(index)

    @property
    def visit_card_kept(self) -> bool:
        return self.flows.visit.visit_card_kept

    @property
    def can_keep_card_for_visit(self) -> bool:
        return self.flows.visit.can_keep_card_for_visit

    # ---- the card, forms and certificates flows' intents, for drivers other than the UI -------

    def start_procedure(self) -> bool:
        return self.flows.card.start_procedure()

    def card_inserted(self, reader: str | None = None) -> None:
        self.flows.card.card_inserted(reader)

    def card_removed(self, reader: str | None = None) -> None:
        self.flows.card.card_removed(reader)

    def submit_pin(self, pin: str) -> bool:
        return self.flows.card.submit_pin(pin)

    def fill_without_card(self) -> bool:
        return self.flows.card.fill_without_card()

    def start_shelter_checkin(self) -> bool:
        return self.flows.card.start_shelter_checkin()

    def correct_field(self, name: str, value: str) -> bool:
        return self.flows.forms.correct_field(name, value)

    def confirm(self) -> bool:
        return self.flows.forms.confirm()

    def choose_certificate(
        self, certificate_id: str, copies: int, purpose: str | None, options: dict | None = None
    ) -> bool:
        return self.flows.certificates.choose(certificate_id, copies, purpose, options)

    def certificate_printers_missing(self) -> tuple[str, ...]:
        return self.flows.certificates.printers_missing()
