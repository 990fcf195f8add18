"""When city hall takes video consultations: the signed config bundle's `consult_hours` lines,
read by the terminal (to tell the resident before they wait) and by city hall's relay (which
refuses a call outside them, whatever the terminal's clock or bundle says).

Lines (local time; a config file or bundle gives a list of them):
- `"mon-fri 08:30-17:15"`: weekly opening spans (a day or a day range, then the hours);
- `"closed 2027-05-06"` or `"closed 2026-12-28..2027-01-04"`: dates city hall is closed (a
  range of at most 366 days);
- `"holidays open"`: calls are taken on national holidays and at the year end too.

By default city hall is closed on Japan's national holidays (祝日法, with substitute holidays
and 国民の休日: the table `sync._holidays_jp`, 2020–2050, generated from the `holidays` library by
scripts/holidays-table.py; the library is not loaded at run time, its package alone costs a
terminal ~17 MB) and on the year-end days 12/29–1/3 that nearly every municipality's 休日条例
closes (地方自治法 4条の2). Past the table's last year no national holiday is known (logged
once): a city adds "closed" lines then.

Invariants: parsing refuses a malformed line with `HoursError` naming it (its first 40
characters); an `OpeningHours` is immutable and compares by value; `open_at` is true only on
an open day inside a span; `next_open` looks at most `SEARCH_DAYS` ahead.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["HoursError", "OpeningHours"]

log = logging.getLogger("sync.opening_hours")

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([a-z]{3})(?:-([a-z]{3}))? (\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_CLOSED = re.compile(r"^closed (\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$")
_HOLIDAYS_OPEN = "holidays open"
SEARCH_DAYS = 60  # next_open: a closure of up to two months is still answered
_YEAR_END = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))
_warned_years: set[int] = set()


class HoursError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _national_holiday(day: _dt.date) -> bool:
    from sync._holidays_jp import FIRST_YEAR, HOLIDAYS, LAST_YEAR

    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("national holidays of %d are not known here", day.year)
        return False
    return day.strftime("%m%d") in HOLIDAYS[day.year].split()


@dataclass(frozen=True)
class OpeningHours:
    """(weekday 0=Mon, open minute, close minute) spans, closed date ranges and whether
    national holidays and the year end close city hall. `parse([...])`; empty spans: never."""

    spans: tuple[tuple[int, int, int], ...] = ()
    closed: tuple[tuple[_dt.date, _dt.date], ...] = ()
    holidays_closed: bool = True

    DEFAULT = ("mon-fri 08:30-17:15",)  # a city hall's usual counter hours

    @classmethod
    def default(cls) -> OpeningHours:
        return cls.parse(list(cls.DEFAULT))

    @classmethod
    def parse(cls, lines: Any) -> OpeningHours:
        if isinstance(lines, str):
            lines = [lines]
        if not isinstance(lines, list | tuple) or not all(isinstance(x, str) for x in lines):
            raise HoursError('a list of lines like "mon-fri 08:30-17:15"')
        spans: list[tuple[int, int, int]] = []
        closed: list[tuple[_dt.date, _dt.date]] = []
        holidays_closed = True
        for line in lines:
            text = line.strip().lower()
            if text == _HOLIDAYS_OPEN:
                holidays_closed = False
            elif text.startswith("closed"):
                closed.append(_closed_range(line, text))
            else:
                spans += _span(line, text)
        return cls(tuple(spans), tuple(closed), holidays_closed)

    def runs(self) -> list[tuple[int, int, str, str]]:
        """The hours as a resident reads them: (first day, last day, "8:30", "17:15"), days in
        a row with the same times joined ("Mon to Fri 8:30 to 17:15")."""
        out: list[list] = []
        for day, start, end in sorted(self.spans):
            if out and out[-1][1] == day - 1 and out[-1][2:] == [start, end]:
                out[-1][1] = day
            else:
                out.append([day, day, start, end])
        return [(a, b, _clock(start), _clock(end)) for a, b, start, end in out]

    def closed_on(self, day: _dt.date) -> str | None:
        """Why city hall is closed all of `day`: "closed" (a date the city closed), "year_end",
        "holiday" (a national holiday); None when it is an ordinary day."""
        if any(first <= day <= last for first, last in self.closed):
            return "closed"
        if self.holidays_closed:
            if (day.month, day.day) in _YEAR_END:
                return "year_end"
            if _national_holiday(day):
                return "holiday"
        return None

    def open_at(self, when: _dt.datetime) -> bool:
        minute = when.hour * 60 + when.minute
        if not any(d == when.weekday() and a <= minute < b for d, a, b in self.spans):
            return False
        return self.closed_on(when.date()) is None

    def next_open(self, after: _dt.datetime) -> _dt.datetime | None:
        """When calls are next taken after `after` (itself if open then), or None within
        `SEARCH_DAYS`."""
        if self.open_at(after):
            return after
        for offset in range(SEARCH_DAYS + 1):
            day = after.date() + _dt.timedelta(days=offset)
            if self.closed_on(day) is not None:
                continue
            for weekday, start, _end in sorted(self.spans):
                if weekday != day.weekday():
                    continue
                begin = _dt.datetime.combine(day, _dt.time(start // 60, start % 60))
                if begin > after:
                    return begin
        return None


def _span(line: str, text: str) -> list[tuple[int, int, int]]:
    m = _SPAN.match(text)
    bad = f'{line[:40]!r} is not like "mon-fri 08:30-17:15"'
    if m is None or m[1] not in _DAYS or (m[2] and m[2] not in _DAYS):
        raise HoursError(bad)
    first, last = _DAYS.index(m[1]), _DAYS.index(m[2] or m[1])
    start, end = int(m[3]) * 60 + int(m[4]), int(m[5]) * 60 + int(m[6])
    if last < first or int(m[3]) > 23 or int(m[5]) > 24 or int(m[4]) > 59 or int(m[6]) > 59:
        raise HoursError(bad)
    if not start < end <= 24 * 60:
        raise HoursError(f"{bad}: it must open before it closes")
    return [(day, start, end) for day in range(first, last + 1)]


def _closed_range(line: str, text: str) -> tuple[_dt.date, _dt.date]:
    m = _CLOSED.match(text)
    bad = f'{line[:40]!r} is not like "closed 2027-05-06" or "closed 2026-12-28..2027-01-04"'
    try:
        first = _dt.date.fromisoformat(m[1]) if m else None
        last = _dt.date.fromisoformat(m[2]) if m and m[2] else first
    except ValueError:
        raise HoursError(f"{bad}: no such date") from None
    if first is None or last is None:
        raise HoursError(bad)
    if not first <= last or (last - first).days > 366:
        raise HoursError(f"{bad}: the range must run forward, at most a year")
    return first, last


def _clock(minute: int) -> str:
    return f"{minute // 60}:{minute % 60:02d}"
