"""`KioskSession`: the resident's journey as a plain-Python state machine (no Kivy).

The UI holds one `KioskSession`, registers an observer (`add_observer(fn)`; `fn(session)` runs
after every change) and re-renders from the public attributes below; buttons call the intents.
Device callbacks (card inserted/removed) must be handed to the UI thread by the caller (the UI
passes its scheduler to `ThreadWorker` and to the card watcher adapter).

Public state (read-only for the UI): `step` (`Step`), `notice` (`Notice | None`), `language`,
`text_scale`, `high_contrast`, `voice`, `life_event`, `current_question`, `answers`,
`checklist` (`ChecklistItem`: state, reference, due), `event_date`, `submitted`, `procedure`, `card_purpose`, `card_present`, `tries_left`, `last_try_warning`,
`form` (`Form`: `.values[i].spec/.value/.from_card/.corrected`), `reference`,
`receipt_printed`, `certificate`, `topic`, `slots`, `slots_offline`, `booking`, `ticket`,
`staff_called`, `sync` (`SyncStatus`), `printer` (`PrinterState`), `out_of_service`,
`shelter_mode`, `called_ticket`, `queue_waiting`, `assisted`, `diagnostics` (`Diagnostics | None`),
`diagnostics_refreshing`, `catalog`.

The UI calls the intents through `session.flows` (visit, card, forms, certificates, services,
staff: `kiosk.session.flows`). Intents: see the methods of `_SessionCore`, `_EventFlow`, `_CardFlow`, `_ServiceFlow` and `_StaffFlow` (choose_language,
set_text_scale, set_high_contrast, toggle_voice, open_life_events, choose_life_event, answer,
print_checklist, set_event_date, shift_event_date, return_to_checklist, open_procedures, choose_procedure, start_procedure, card_inserted,
card_removed, submit_pin, correct_field, confirm, open_certificates, choose_certificate,
open_booking, choose_topic, choose_slot, request_callback, take_queue_ticket, call_staff,
finish, submit_survey, skip_survey, touch, still_here, tick, back, home, wipe, open_staff,
submit_staff_pin, staff_call_next, staff_reprint, staff_set_out_of_service,
staff_set_shelter_mode, staff_diagnostics, staff_refresh_diagnostics, staff_assist, staff_exit, start_shelter_checkin, fill_without_card, refresh_status,
dismiss_notice).
"""

from __future__ import annotations

from kiosk.session._card import _CardFlow
from kiosk.session._events import _EventFlow
from kiosk.session._services import _ServiceFlow
from kiosk.session._staff import _StaffFlow
from kiosk.session._staff_call import _StaffCallFlow
from kiosk.session.flows import Flows

__all__ = ["KioskSession"]


class KioskSession(_StaffCallFlow, _EventFlow, _CardFlow, _ServiceFlow, _StaffFlow):
    """One kiosk's session: construct with `(catalog, ports, config, *, clock, wall_clock,
    worker, random_bytes)`; see the module docstring for state and intents. The UI reaches
    the intents through `flows` (typed, one responsibility each: `kiosk.session.flows`)."""

    @property
    def flows(self) -> Flows:
        flows = self.__dict__.get("_flows")
        if flows is None:
            flows = self.__dict__["_flows"] = Flows.of(self)
        return flows
