"""Fixtures shared by the session tests that drive `KioskSession` over the in-memory ports:
the shipped catalog (once per module), a fresh `MemoryKit` and a `ManualClock` per test.
Registered for every test module by `pytest_plugins` in conftest.py. Also the resident steps
several tests walk before what they check (`to_pin_entry`, `submit_application`)."""

import pytest

from kiosk.catalog import default_catalog
from kiosk.session import Step
from kiosk.session.memory import ManualClock, MemoryKit


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


@pytest.fixture
def kit():
    return MemoryKit()


@pytest.fixture
def clock():
    return ManualClock()


def to_pin_entry(session, procedure: str = "seal_registration_cancel") -> None:
    """Home → procedures → this one → start → the card placed: the PIN screen."""
    assert session.open_procedures()
    assert session.choose_procedure(procedure)
    assert session.start_procedure()
    session.card_inserted()
    assert session.step is Step.PIN_ENTRY


def submit_application(session) -> str:
    """From the PIN screen: the PIN, "5" in each required field the card left empty, confirm,
    finish, skip the survey (the wipe). Returns the reference the resident was shown."""
    session.submit_pin("1234")
    for fv in session.form.values:
        if not fv.value and fv.spec.required:
            session.correct_field(fv.name, "5")
    assert session.confirm()
    reference = session.reference
    session.finish()
    session.skip_survey()
    return reference
