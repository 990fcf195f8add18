"""The checklist's event-date steppers (review A13, issue 19): 年・月・日 ▲▼ move the date by
years, months and days from today when unset; a day past the new month's end becomes its last
day; a step that leaves the plausible range is refused with a notice and changes nothing; bad
arguments are ignored. Over the in-memory ports."""

from __future__ import annotations

import datetime

import pytest

from kiosk.session import KioskSession, SessionConfig, Step

# 2026-01-31 12:00 local: a month-end to step from.
NOW = datetime.datetime(2026, 1, 31, 12, 0).timestamp()


@pytest.fixture
def session(catalog, kit):
    s = KioskSession(
        catalog, kit.ports(), SessionConfig(device_id="C01"),
        clock=lambda: NOW, wall_clock=lambda: NOW,
    )  # fmt: skip
    assert s.open_life_events() and s.choose_life_event("moving_in")
    while s.current_question is not None:
        assert s.answer(s.current_question.id, False)
    assert s.step is Step.CHECKLIST
    return s


def test_months_and_years_from_today_with_the_month_end_kept(session):
    visit = session.flows.visit
    assert visit.shift_event_date(0, 1)  # unset: from today (1月31日) → 2月28日
    assert session.event_date == datetime.date(2026, 2, 28)
    assert visit.shift_event_date(0, -1)
    assert session.event_date == datetime.date(2026, 1, 28)
    assert visit.shift_event_date(-1)
    assert session.event_date == datetime.date(2026, 1, 27)
    assert visit.shift_event_date(0, -12)  # a year back
    assert session.event_date == datetime.date(2025, 1, 27)


def test_a_step_out_of_range_is_refused_and_changes_nothing(session):
    visit = session.flows.visit
    assert visit.event_date_today()
    assert visit.shift_event_date(0, -12)
    assert not visit.shift_event_date(0, -12)  # two years back: not a plausible moving date
    assert session.event_date == datetime.date(2025, 1, 31)
    assert session.notice.code.value == "invalid_value"
    assert session.notice.params == {"field": "event_date"}


@pytest.mark.parametrize("days, months", [("1", 0), (0, "1"), (0, 1.0), (None, 0), (True, 0)])
def test_bad_steps_are_ignored(session, days, months):
    assert not session.flows.visit.shift_event_date(days, months)
    assert session.event_date is None and session.notice is None
