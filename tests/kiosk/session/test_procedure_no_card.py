"""No card, or its PIN not known (review): from a procedure's intro the resident reaches the
`procedure_counter` step, which says the procedure is done at the counter, and takes a queue
ticket for it there — the center queue's 手続き service, or the terminal's own counter."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.session import KioskSession, SessionConfig, Step


@pytest.fixture
def make(catalog, kit, clock):
    def build(**ports):
        return KioskSession(
            catalog,
            dataclasses.replace(kit.ports(), **ports),
            SessionConfig(device_id="C07"),
            clock=clock,
            wall_clock=clock,
        )

    return build


@dataclasses.dataclass
class ServiceQueue:
    """The center queue's interface (kiosk.center.TerminalQueue): services, labels, waits."""

    services: tuple[str, ...] = ("procedure", "certificate", "consultation", "reserved")
    taken: list = dataclasses.field(default_factory=list)

    def take_ticket(self, service: str = "procedure", language: str = "ja"):
        self.taken.append((service, language))
        return f"A-{len(self.taken):03d}", 2

    def estimate_wait_min(self, service: str, before: int, default_min: float) -> int:
        return 12

    def estimates(self, default_min: float) -> dict[str, int]:
        return {"procedure": 12}

    def call_next(self):
        return None

    def waiting(self) -> int:
        return len(self.taken)


def _to_counter(session, procedure="nhi_enroll"):
    assert session.open_procedures()
    assert session.choose_procedure(procedure)
    assert session.flows.card.no_card_or_pin()
    assert session.step is Step.PROCEDURE_COUNTER


def test_no_card_leads_to_the_counter_and_back_keeps_the_procedure(make):
    session = make()
    _to_counter(session)
    assert session.procedure.id == "nhi_enroll"
    assert session.back()
    assert session.step is Step.PROCEDURE_INTRO and session.procedure.id == "nhi_enroll"
    assert session.start_procedure()  # the card after all: as before
    assert session.step is Step.PLACE_CARD


def test_ticket_from_the_counter_screen_on_the_terminals_own_counter(make, kit):
    session = make()
    _to_counter(session, "moving_in")  # pre-filled here, finished at the counter
    assert session.flows.services.can_take_ticket
    assert session.flows.services.take_ticket_for_procedure()
    assert session.step is Step.QUEUE_TICKET
    assert session.ticket.number == 1 and session.ticket.procedure == "moving_in"
    [record] = kit.outbox.of_kind("queue_ticket")
    assert record["number"] == 1 and "procedure" not in record  # anonymous, as before


def test_ticket_from_the_counter_screen_takes_the_center_queues_procedure_service(make):
    queue = ServiceQueue()
    session = make(queue=queue)
    session.choose_language("vi")
    _to_counter(session)
    assert session.flows.services.take_ticket_for_procedure()
    assert queue.taken == [("procedure", "vi")]
    assert session.ticket.number == "A-001" and session.ticket.procedure == "nhi_enroll"
    assert session.ticket.estimated_wait_min == 12


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        (lambda s: None, "no queue on this terminal"),
        (lambda s: setattr(s, "out_of_service", True), "out of service"),
    ],
)
def test_no_ticket_offered_when_none_can_be_printed(make, setup, why):
    session = make(queue=None)
    _to_counter(session)
    setup(session)
    assert not session.flows.services.can_take_ticket, why
    assert not session.flows.services.take_ticket_for_procedure()
    assert session.step is Step.PROCEDURE_COUNTER


def test_where_the_no_card_route_does_not_apply(make):
    session = make()
    assert not session.flows.card.no_card_or_pin()  # home: no procedure
    assert session.step is Step.HOME
    assert session.open_procedures()
    assert session.choose_procedure("seal_registration")  # done at a counter anyway
    assert not session.flows.card.no_card_or_pin()
    assert session.step is Step.PROCEDURE_INTRO
    # a ticket for a procedure only from its counter screen, not from the intro
    assert not session.flows.services.take_ticket_for_procedure()
    assert session.step is Step.PROCEDURE_INTRO
