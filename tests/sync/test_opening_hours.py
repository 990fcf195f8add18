"""City hall's consultation hours (`sync.opening_hours`): weekly spans, the dates the city closes,
Japan's national holidays and the year end, and when calls are next taken."""

from __future__ import annotations

import datetime as dt

import pytest

from sync.opening_hours import HoursError, OpeningHours

WEEKDAYS = OpeningHours.parse(["mon-fri 08:30-17:15"])


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts)


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (dt.date(2026, 11, 23), "holiday"),  # 勤労感謝の日, a Monday
        (dt.date(2026, 5, 6), "holiday"),  # 振替休日 for Sunday 3 May
        (dt.date(2026, 9, 22), "holiday"),  # 国民の休日 between two holidays
        (dt.date(2027, 3, 22), "holiday"),  # 振替休日 for the vernal equinox on Sunday
        (dt.date(2026, 12, 29), "year_end"),
        (dt.date(2027, 1, 3), "year_end"),
        (dt.date(2026, 12, 28), None),  # the last working day of the year
        (dt.date(2027, 1, 4), None),
        (dt.date(2026, 12, 4), None),
    ],
)
def test_national_holidays_and_the_year_end_close_city_hall(day, why):
    assert WEEKDAYS.closed_on(day) == why


def test_a_holiday_inside_the_weekly_hours_is_closed():
    assert WEEKDAYS.open_at(at(2026, 11, 24, 10, 0))  # Tuesday
    assert not WEEKDAYS.open_at(at(2026, 11, 23, 10, 0))  # Monday, 勤労感謝の日
    assert not WEEKDAYS.open_at(at(2026, 11, 24, 17, 15))  # closing time is out
    assert WEEKDAYS.open_at(at(2026, 11, 24, 8, 30))


def test_dates_the_city_closes_and_holidays_open():
    hours = OpeningHours.parse(
        [
            "mon-sun 09:00-17:00",
            "closed 2027-05-06",
            "closed 2026-12-28..2027-01-05",
            "holidays open",
        ]
    )
    assert hours.open_at(at(2026, 11, 23, 10, 0))  # a national holiday, but "holidays open"
    assert hours.closed_on(dt.date(2027, 5, 6)) == "closed"
    assert hours.closed_on(dt.date(2027, 1, 5)) == "closed"
    assert hours.closed_on(dt.date(2027, 1, 6)) is None
    assert not hours.open_at(at(2026, 12, 28, 10, 0))


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (at(2026, 12, 4, 18, 0), at(2026, 12, 7, 8, 30)),  # Friday evening → Monday
        (at(2026, 12, 7, 7, 0), at(2026, 12, 7, 8, 30)),  # before opening the same day
        (at(2026, 12, 7, 9, 0), at(2026, 12, 7, 9, 0)),  # open now
        (at(2026, 11, 22, 12, 0), at(2026, 11, 24, 8, 30)),  # Sunday before a holiday Monday
        (at(2026, 12, 28, 17, 30), at(2027, 1, 4, 8, 30)),  # over the year end
    ],
)
def test_the_next_opening_skips_weekends_holidays_and_the_year_end(after, expected):
    assert WEEKDAYS.next_open(after) == expected


def test_never_open_has_no_next_opening():
    assert OpeningHours.parse([]).next_open(at(2026, 12, 4, 10, 0)) is None
    assert OpeningHours.parse(["closed 2026-12-01"]).next_open(at(2026, 12, 4, 10, 0)) is None


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ("weekdays", "is not like"),
        (["mon-fri 8:30-17:15"], "is not like"),
        (["fri-mon 08:30-17:15"], "is not like"),
        (["mon 17:00-09:00"], "open before it closes"),
        (["closed 2027-02-30"], "no such date"),
        (["closed 2027-01-05..2027-01-01"], "run forward"),
        (["closed 2026-01-01..2027-06-01"], "at most a year"),
        (["closed tomorrow"], "is not like"),
        ([3], "a list of lines"),
        ({"mon": "08:30"}, "a list of lines"),
    ],
)
def test_a_malformed_line_is_refused_by_name(lines, says):
    with pytest.raises(HoursError) as e:
        OpeningHours.parse(lines)
    assert says in e.value.reason


def test_hours_compare_by_value():
    assert OpeningHours.parse(["mon-fri 08:30-17:15"]) == OpeningHours.default()
    assert OpeningHours.parse(["holidays open"]) != OpeningHours.parse([])


def test_the_holidays_table_matches_the_library_and_costs_no_library_at_run_time():
    """sync/_holidays_jp.py is what scripts/holidays-table.py writes from the `holidays` library
    (a test dependency); reading hours never imports the library (its package loads every
    country's calendar, ~17 MB on a terminal)."""
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("holidays")
    root = Path(__file__).resolve().parents[2]
    check = subprocess.run(
        [sys.executable, str(root / "scripts" / "holidays-table.py"), "--check"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    probe = (
        "import sys, datetime as d\n"
        "from sync.opening_hours import OpeningHours\n"
        "h = OpeningHours.default()\n"
        "assert not h.open_at(d.datetime(2026, 11, 23, 10, 0))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'holidays'))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_past_the_table_no_national_holiday_is_known_and_it_is_said(caplog):
    with caplog.at_level("WARNING", logger="sync.opening_hours"):
        assert WEEKDAYS.closed_on(dt.date(2051, 1, 1)) == "year_end"  # the year end still holds
        assert WEEKDAYS.closed_on(dt.date(2051, 11, 23)) is None
    assert "national holidays of 2051 are not known here" in caplog.text
