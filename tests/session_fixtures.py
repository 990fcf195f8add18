"""Fixtures shared by the session tests that drive `KioskSession` over the in-memory ports:
the shipped catalog (once per module), a fresh `MemoryKit` and a `ManualClock` per test.
Registered for every test module by `pytest_plugins` in conftest.py."""

import pytest

from kiosk.catalog import default_catalog
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
