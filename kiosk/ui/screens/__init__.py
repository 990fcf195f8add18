"""Thin screen classes, one per session step. They copy what the session shows into widgets and
turn taps into calls of the session's typed flows (`act(self.flows.visit.back)`); layout lives
in `screens/<step>.kv`. Each is built by `KioskRoot` with its `host` (the app) and `session`.

Invariants: a screen never decides what happens next; it keeps no resident data after `clear()`
(labels marked `personal`, keyboard buffers and dynamically built rows are emptied); the only
local state is presentation (which field the keyboard edits, which survey chips are lit).
"""

from __future__ import annotations

from kiosk.ui.screens._base import KScreen
from kiosk.ui.screens._call import (
    ConsultCallScreen,
    ConsultConsentScreen,
    ConsultEndedScreen,
    ConsultWaitingScreen,
)
from kiosk.ui.screens._card import (
    DoneScreen,
    FormConfirmScreen,
    IssuingScreen,
    PinBlockedScreen,
    PinEntryScreen,
    PlaceCardScreen,
    ReadingCardScreen,
    SubmittingScreen,
)
from kiosk.ui.screens._consult import ConsultTopicScreen, ConsultUnavailableScreen
from kiosk.ui.screens._idle import StillThereScreen
from kiosk.ui.screens._queue import QueueServiceScreen
from kiosk.ui.screens._search import SearchScreen
from kiosk.ui.screens._services import (
    BookingDoneScreen,
    BookingSlotScreen,
    BookingTopicScreen,
    CertificateChooseScreen,
    CertificatePrintedScreen,
    ClaimSlipScreen,
    OutOfServiceScreen,
    QueueTicketScreen,
    ServiceErrorScreen,
    SurveyScreen,
)
from kiosk.ui.screens._shelter import ShelterScreen
from kiosk.ui.screens._staff import StaffDiagnosticsScreen, StaffMenuScreen, StaffPinScreen
from kiosk.ui.screens._start import (
    ChecklistScreen,
    HomeScreen,
    LifeEventQuestionsScreen,
    LifeEventsScreen,
    ProcedureCounterScreen,
    ProcedureIntroScreen,
    ProceduresScreen,
)

__all__ = ["SCREENS", "KScreen"]

SCREENS: dict[str, type[KScreen]] = {
    "home": HomeScreen,
    "life_events": LifeEventsScreen,
    "life_event_questions": LifeEventQuestionsScreen,
    "checklist": ChecklistScreen,
    "procedures": ProceduresScreen,
    "procedure_intro": ProcedureIntroScreen,
    "procedure_counter": ProcedureCounterScreen,  # no card / PIN: the counter, a ticket
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
    "queue_service": QueueServiceScreen,
    "queue_ticket": QueueTicketScreen,
    "shelter": ShelterScreen,
    "survey": SurveyScreen,
    "still_there": StillThereScreen,
    "staff_pin": StaffPinScreen,
    "staff_menu": StaffMenuScreen,
    "staff_diagnostics": StaffDiagnosticsScreen,
    "out_of_service": OutOfServiceScreen,
    "consult_topic": ConsultTopicScreen,  # the way in (kiosk.session._consult)
    "consult_unavailable": ConsultUnavailableScreen,
    "consult_consent": ConsultConsentScreen,  # オンライン窓口 (kiosk.call.flow.SCREEN_OF)
    "consult_waiting": ConsultWaitingScreen,
    "consult_call": ConsultCallScreen,
    "consult_ended": ConsultEndedScreen,
    "search": SearchScreen,  # さがす (kiosk.session._search)
}
