"""The visit's state: everything about the resident in front of the kiosk, in one dataclass.

`KioskSession.visit_state` is a `VisitState`; the flows read and change it through the session
(`session.form`, `session.checklist`, ... are views of its fields, see `visit_field`).

Invariants:
- Per-resident state lives here and nowhere else on the session: device-wide state (out of
  service, shelter mode, printer and sync status, staff counters, the last card refusal) stays on
  the session, and nothing personal does.
- The wipe replaces the whole `VisitState` (only the display preferences may be carried over), so
  a field added here is reset by every wipe without anyone remembering to.
- Before it is replaced, `blank()` empties in place what a widget or a closure might still hold:
  the card's data (read for the form, and the copy kept for the visit), the form's values, the
  visit's answers and the household members, and a consultation's flow (its chat, the fields
  shown, its call worker) is wiped.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from kiosk.catalog import LifeEvent, Procedure
from kiosk.session.forms import Form
from kiosk.session.ports import CardData, CardHandle
from kiosk.session.steps import Booking, CardPurpose, CertificateOrder, ChecklistItem, Step, Ticket

__all__ = ["HouseholdMember", "VisitState", "VisitViews", "visit_field"]


@dataclass
class HouseholdMember:
    """One person moving (or living) with the resident. Mutable on purpose: `wipe()` blanks it."""

    name_kana: str
    birth_date: str  # YYYY-MM-DD
    relation: str  # one of kiosk.session._visit.RELATIONS

    def wipe(self) -> None:
        self.name_kana = self.birth_date = self.relation = ""


@dataclass(eq=False)
class VisitState:
    """One resident's visit, from the first touch to the wipe."""

    # Display preferences (kept by "home" and a pulled card, reset by the full wipe).
    language: str
    text_scale: float = 1.0
    high_contrast: bool = False
    voice: bool = False
    # Idle timer and the step timing of the anonymous metric.
    step_started: float = 0.0
    last_activity: float = 0.0
    resume_step: Step | None = None  # where "still there?" returns to
    service: str | None = None
    timing: list[list[Any]] = field(default_factory=list)
    # The life event, its answers and checklist; what was submitted in this visit.
    life_event: LifeEvent | None = None
    question_index: int = 0
    answers: dict[str, bool] = field(default_factory=dict)
    checklist: list[ChecklistItem] = field(default_factory=list)
    event_date: datetime.date | None = None
    submitted: dict[str, str] = field(default_factory=dict)  # procedure id -> reference
    # The card and the form.
    procedure: Procedure | None = None
    card_purpose: CardPurpose | None = None
    tries_left: int | None = None
    card: CardHandle | None = None
    card_data: CardData | None = None
    auth: dict[str, str] | None = None
    auth_certificate: bytes | None = None
    form: Form | None = None
    card_reads: int = 0  # PIN entries that read the card in this visit (the UI says "once")
    # The consent to use the card's data for the visit's other procedures, and what it keeps.
    visit_consent: bool = False
    visit_card: CardData | None = None
    visit_values: dict[str, str] = field(default_factory=dict)
    household: list[HouseholdMember] = field(default_factory=list)
    # Results on screen (references, never personal data).
    reference: str | None = None
    receipt_printed: bool = False
    certificate: CertificateOrder | None = None
    # The certificate's payment: {method, amount_yen, status (due/paid/<reason>),
    # transaction_id?} once the payment step ran (kiosk/session/_payment.py).
    payment: dict[str, Any] | None = None
    topic: str | None = None
    slots: list[Any] = field(default_factory=list)
    slots_offline: bool = False
    booking: Booking | None = None
    ticket: Ticket | None = None
    # The queue_service screen: waits per service, the booking check (kiosk/session/_services.py).
    queue_choice: Any = None
    shelter_notices: tuple[Any, ...] = ()  # the shelter screen's notices (public, no names)
    staff_called: bool = False
    survey_service: str = "other"  # the service the survey asks about (set by "finish")
    # Staff started this session for a resident they assist: longer idle timeout, metrics say so.
    assisted: bool = False
    # さがす (kiosk/session/_search.py): what was typed, its hits, the FAQ answer on screen and
    # the certificate a hit preselects. Never logged or stored; gone with the visit.
    search_query: str = ""
    search_hits: tuple[Any, ...] = ()
    search_faq: str | None = None
    search_certificate: str = ""
    # A video consultation (kiosk/session/_consult.py): the call's own flow (a
    # `kiosk.call.ConsultFlow`: chat, the fields shown, the worker), the step it was asked for
    # from, and why it cannot be had now ("offline", "hours", "error"; None: it can).
    consult: Any = None
    consult_origin: Step | None = None
    consult_unavailable: str | None = None

    def blank(self) -> None:
        """Empty in place what widgets or closures may still hold (see the module docstring)."""
        for data in (self.card_data, self.visit_card):
            if data is not None:
                data.wipe()
        if self.form is not None:
            self.form.wipe()
        for member in self.household:
            member.wipe()
        for key in self.visit_values:
            self.visit_values[key] = ""
        if self.consult is not None:  # the session closes it first (off the UI thread)
            self.consult.wipe()
            self.consult = None
        self.search_query, self.search_hits, self.search_faq = "", (), None

    def next_resident(self, *, keep_preferences: bool, default_language: str, now: float):
        """The state the next resident starts with (this one is blanked first)."""
        self.blank()
        if keep_preferences:
            prefs = {"language": self.language, "text_scale": self.text_scale,
                     "high_contrast": self.high_contrast, "voice": self.voice}  # fmt: skip
        else:
            prefs = {"language": default_language}
        return VisitState(**prefs, step_started=now, last_activity=now)


class visit_field:  # noqa: N801 - used like `property`
    """A session attribute that is a field of its `visit_state` (`form = visit_field()`, or
    `_card = visit_field("card")`). Before the first visit state exists it raises
    AttributeError, so `getattr(session, name, default)` works as for a plain attribute."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    def __set_name__(self, owner: type, attr: str) -> None:
        if self.name is None:
            self.name = attr

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            state = obj.__dict__["visit_state"]
        except KeyError:
            raise AttributeError(self.name) from None
        return getattr(state, self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj.__dict__["visit_state"], self.name, value)


class VisitViews:
    """Mixed into the session: its per-resident attributes (`session.form`, ...) are views of the
    fields of `session.visit_state`."""

    visit_state: VisitState
    language = visit_field()
    text_scale = visit_field()
    high_contrast = visit_field()
    voice = visit_field()
    life_event = visit_field()
    question_index = visit_field()
    answers = visit_field()
    checklist = visit_field()
    event_date = visit_field()
    submitted = visit_field()
    procedure = visit_field()
    card_purpose = visit_field()
    tries_left = visit_field()
    form = visit_field()
    reference = visit_field()
    receipt_printed = visit_field()
    certificate = visit_field()
    payment = visit_field()
    topic = visit_field()
    slots = visit_field()
    slots_offline = visit_field()
    booking = visit_field()
    ticket = visit_field()
    queue_choice = visit_field()
    shelter_notices = visit_field()
    staff_called = visit_field()
    assisted = visit_field()
    _card = visit_field("card")
    _card_data = visit_field("card_data")
    _auth = visit_field("auth")
    _auth_certificate = visit_field("auth_certificate")
    _resume_step = visit_field("resume_step")
    _service = visit_field("service")
    _timing = visit_field("timing")
    _step_started = visit_field("step_started")
    _last_activity = visit_field("last_activity")
    visit_consent = visit_field()
    _visit_card = visit_field("visit_card")
    visit_values = visit_field()
    household = visit_field()
    card_reads = visit_field()
    _consult = visit_field("consult")
    _consult_origin = visit_field("consult_origin")
    consult_unavailable = visit_field()
