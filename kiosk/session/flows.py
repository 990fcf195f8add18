"""The session's flows: what the UI may ask of the session, one responsibility per flow, typed.

`KioskSession.flows` is a `Flows`: `visit` (settings, navigation, the life event and its
checklist, the consent to use the card for the visit, household members, idle and wipe), `card`
(place card, PIN, read, shelter check-in), `forms` (prefill, correct, confirm and submit),
`certificates` (choose, copies, pay, print), `services` (booking, queue ticket, finishing and
the survey), `staff` (staff mode, assist, diagnostics) and `consult` (a video consultation:
topic, consent, waiting, the call, its end; it owns the call's `kiosk.call.ConsultFlow`). The
UI calls these typed methods (`flows.forms.confirm()`); no intent names as strings, no
`getattr` dispatch.

Each flow is its own class in its module (kiosk/session/_visit.py with _events.py, _card.py,
_forms.py, _certificates.py, _services.py, _staff.py), holding only the session. The visit flow's
settings, navigation, idle and wipe, and the staff call, are the session core's (`_base`,
`_staff_call`): `VisitFlow` calls them.

Guarantees: every method returns what the session's intent of the same meaning returns (True
when it applied, False when the step does not allow it: nothing changed); a flow holds no state
of its own, only the session (which holds the visit's state in one `VisitState`, replaced by the
wipe), so two flows can never disagree about where the resident is. Plain Python: no Kivy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.session._card import CardFlow
from kiosk.session._certificates import CertificatesFlow
from kiosk.session._consult import ConsultationFlow
from kiosk.session._forms import FormsFlow
from kiosk.session._search import SearchFlow
from kiosk.session._services import ServicesFlow
from kiosk.session._staff import StaffFlow
from kiosk.session._visit import VisitFlow

__all__ = [
    "CardFlow",
    "CertificatesFlow",
    "ConsultationFlow",
    "Flows",
    "FormsFlow",
    "SearchFlow",
    "ServicesFlow",
    "StaffFlow",
    "VisitFlow",
]


@dataclass(frozen=True)
class Flows:
    """The flows of one session (`KioskSession.flows`)."""

    visit: VisitFlow
    card: CardFlow
    forms: FormsFlow
    certificates: CertificatesFlow
    services: ServicesFlow
    staff: StaffFlow
    search: SearchFlow  # さがす: home's search box (kiosk/session/_search.py)
    consult: ConsultationFlow  # 相談する: a video consultation (kiosk/session/_consult.py)

    @classmethod
    def of(cls, session: Any) -> Flows:
        return cls(
            VisitFlow(session),
            CardFlow(session),
            FormsFlow(session),
            CertificatesFlow(session),
            ServicesFlow(session),
            StaffFlow(session),
            SearchFlow(session),
            ConsultationFlow(session),
        )
