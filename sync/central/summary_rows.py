"""The rows of the dashboard's per-day summaries, computed from one day's typed rows (pure: no
I/O, no clock). `store_summaries` reads the rows and keeps the tables; the dashboard and the
bench call the same functions.

Invariants:
- A day's summary is a pure function of the typed rows whose `created_at` falls in that day
  (Asia/Tokyo calendar day, the device's clock; clocks before 1970 or after 2099 are clamped).
- Only identifiers (service, procedure, outcome, step, reason, catalog ids), scores, durations
  and counts are kept, never a body or any free text (`identifier`). Anything malformed is
  counted as invalid and otherwise ignored, never raised.
- Rows by service, procedure, step or reason are kept city-wide (device_id ""), rows per device
  only by outcome, score, reason, mode or time bucket (`device_*`), so a day holds a few
  thousand rows; `city_series` keeps the city's daily series in three rows a day (sessions with
  `total` = those done, survey answers with `total` = the sum of scores, and tickets called with
  `total` = that day's median wait in seconds: a statistic that does not add up, read from day
  rows only, never from the month totals).
- `device_tally` keeps what the front page's tables and cards count, per device and day, in at
  most a dozen rows (k3: `sessions`, `done`, each submission kind, each counted kind, survey
  `answers` with `total` = the sum of scores, `top` = answers of 9-10, `low` = answers of 0-6):
  the same counts as the detailed rows (`device_session`, `submission`, `device_survey`, ...),
  so a window's tallies read a few rows per device and period, not one per outcome, item and
  score. `SUMMARY_VERSION` names this layout; a store whose summaries were made by an older one
  is rebuilt (`store_summaries.catch_up`).
- Durations (steps in ms, queue waits, handling and staff-call responses in seconds) are kept
  as histograms rounded to within 5 % (`step_bucket`), city-wide by service, so percentiles
  read from them are those of the rounded durations; per device and in the city's per-day
  series, queue and staff-call times are kept in coarse buckets (`coarse_bucket`: rounded up
  to the next of `DURATION_BUCKETS_S`); `total` keeps the exact sum.
- Queue tickets are keyed by (center, queue day, label) as the queue names them, so an event
  stored twice counts once; a wait is the first call minus the issue time, a handling time the
  end minus the start (center_report's definitions); staff calls are keyed by their call id.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "CITY",
    "SUMMARY_VERSION",
    "COUNTED_TABLES",
    "DURATION_BUCKETS_S",
    "EVENT_TABLES",
    "MAX_STEP_MS",
    "SUBMISSION_TABLES",
    "TABLES",
    "TOKYO",
    "Row",
    "coarse_bucket",
    "day_bounds",
    "day_of",
    "identifier",
    "month_split",
    "parse_body",
    "score_of",
    "step_bucket",
    "steps_of",
    "summarize_day",
    "today",
]

TOKYO = ZoneInfo("Asia/Tokyo")
# The layout of the summary rows: raised when `summarize_day` makes other rows, so that stores
# summarized before are rebuilt from their typed rows (2: `device_tally`).
SUMMARY_VERSION = 2
CITY = ""  # device_id of rows kept city-wide only (step histograms)
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(2099, 12, 31)  # a clock beyond: clamped
_FAR = 2**62

# (table, kind, catalog id field) counted per item; tables counted per device only.
SUBMISSION_TABLES = (
    ("applications", "application", "procedure"),
    ("certificate_requests", "certificate_request", "certificate"),
    ("bookings", "booking", "topic"),
)
COUNTED_TABLES = (("queue_tickets", "queue_ticket"), ("shelter_checkins", "shelter_checkin"))
# Tables whose bodies are summarized in Python (identifiers and times only): (table, kind).
EVENT_TABLES = (("queue_events", "queue_event"), ("staff_calls", "staff_call"))
TABLES = (
    "surveys",
    "metrics",
    *(t for t, _, _ in SUBMISSION_TABLES),
    *(t for t, _ in COUNTED_TABLES),
    *(t for t, _ in EVENT_TABLES),
)


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_STEP_MS = 24 * 3600 * 1000


def identifier(value: object) -> str | None:
    """`value` if it is a short catalog-style identifier, else None (free text never passes)."""
    if isinstance(value, str) and _ID.match(value):
        return value
    return None


def _no_constants(name: str) -> object:
    raise ValueError(name)


def parse_body(text: object) -> dict | None:
    """A body's JSON object, or None when it is not a JSON object (NaN/Infinity refused)."""
    if isinstance(text, bytes | bytearray | memoryview):
        text = bytes(text).decode("utf-8", "replace")
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def score_of(value: object) -> int | None:
    if type(value) is int and 0 <= value <= 10:
        return value
    return None


def steps_of(raw: object) -> dict[str, tuple[int, int]] | None:
    """A metric's steps as {step: (total ms in this session, first position)}; None if bad."""
    if not isinstance(raw, list):
        return None
    out: dict[str, tuple[int, int]] = {}
    for position, item in enumerate(raw):
        if not (isinstance(item, list) and len(item) == 2):
            return None
        step, ms = identifier(item[0]), item[1]
        if step is None or type(ms) is not int or not 0 <= ms <= MAX_STEP_MS:
            return None
        total, first = out.get(step, (0, position))
        out[step] = (total + ms, first)
    return out


def day_of(created_at: int | float) -> str:
    """The Asia/Tokyo calendar day of a device time; clocks before 1970 or after 2099 are put
    on the first or last day (a device with a wrong clock still counts, on a visible day)."""
    try:
        d = datetime.fromtimestamp(created_at, TOKYO).date()
    except (OverflowError, OSError, ValueError):
        d = _FIRST_DAY if created_at < 0 else _LAST_DAY
    return min(max(d, _FIRST_DAY), _LAST_DAY).isoformat()


def day_bounds(day: str) -> tuple[int, int]:
    """[start, end) in unix seconds of a day as `day_of` names it (the clamped first and last
    days reach to the ends of time)."""
    d = date.fromisoformat(day)
    start = int(datetime(d.year, d.month, d.day, tzinfo=TOKYO).timestamp())
    nxt = d + timedelta(days=1)
    end = int(datetime(nxt.year, nxt.month, nxt.day, tzinfo=TOKYO).timestamp())
    return (-_FAR if d <= _FIRST_DAY else start), (_FAR if d >= _LAST_DAY else end)


def month_split(
    first: str, last: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], tuple[str, str] | None]:
    """[first, last] (days) as month totals (first and last month, YYYY-MM) plus day ranges to
    add and day ranges to subtract: a month cut by the window is taken whole, less the days
    outside it, when those are fewer than the days inside (a long window reads a dozen months
    and at most about a fortnight of days at each end)."""
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    if (a.year, a.month) == (b.year, b.month) and not (a.day == 1 and _month_end(b) == b):
        return [(first, last)], [], None  # inside one month: days only
    plus: list[tuple[str, str]] = []
    minus: list[tuple[str, str]] = []
    m_first, m_last = a.replace(day=1), b.replace(day=1)
    if a.day != 1:
        inside = (_month_end(a) - a).days + 1
        if inside <= a.day - 1:  # fewer days inside than before it: add those, skip the month
            plus.append((first, _month_end(a).isoformat()))
            m_first = _month_end(a) + timedelta(days=1)
        else:
            minus.append((a.replace(day=1).isoformat(), (a - timedelta(days=1)).isoformat()))
    if b != _month_end(b):
        after = (_month_end(b) - b).days
        if b.day <= after:  # fewer days inside than after it: add those, skip the month
            plus.append((b.replace(day=1).isoformat(), last))
            m_last = (b.replace(day=1) - timedelta(days=1)).replace(day=1)
        else:
            minus.append(((b + timedelta(days=1)).isoformat(), _month_end(b).isoformat()))
    if m_first > m_last:
        return [(first, last)], [], None
    return plus, minus, (m_first.isoformat()[:7], m_last.isoformat()[:7])


def _month_end(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def today(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).astimezone(TOKYO).date()


# Mantissas (x 10^k) a step duration is rounded to: steps of at most 10 %, so a shown median is
# within 5 % of the exact one; about 38 buckets per decade keep a year of histograms small.
_MANTISSAS = (
    *range(10, 20),
    *range(20, 50, 2),
    25,
    35,
    45,
    *range(50, 101, 5),
)
_SORTED_MANTISSAS = sorted(set(_MANTISSAS))


def step_bucket(ms: int) -> int:
    """`ms` rounded to the nearest of `_MANTISSAS` x 10^k (under 100 ms: as it is; halfway
    rounds up)."""
    if ms < 100:
        return ms
    unit = 10 ** (len(str(ms)) - 2)
    scaled = ms / unit  # in [10, 100)
    best = min(_SORTED_MANTISSAS, key=lambda m: (abs(m - scaled), -m))
    return best * unit


Row = tuple[str, str, str, str, str, int, int]  # metric, device_id, k1, k2, k3, n, total


def summarize_day(
    surveys: Iterable[tuple[str, object]],
    metrics: Iterable[tuple[str, object]],
    submissions: Iterable[tuple[str, str, object, int]],
    counted: Iterable[tuple[str, str, int]],
    queue_events: Iterable[tuple[str, object]] = (),
    staff_calls: Iterable[tuple[str, object]] = (),
) -> list[Row]:
    """Pure: one day's summary rows from its survey, metric, queue event and staff call
    (device_id, body) rows, (kind, device_id, catalog id, count) of the personal tables and
    (kind, device_id, count)."""
    rows: Counter = Counter()
    totals: Counter = Counter()
    _queue_rows(queue_events, rows, totals)
    _staff_call_rows(staff_calls, rows, totals)
    for device_id, text in surveys:
        body = parse_body(text)
        score = score_of(body.get("score")) if body else None
        if body is None or score is None:
            rows[("survey_invalid", device_id, "", "", "")] += 1
            continue
        service = identifier(body.get("service")) or "other"
        rows[("survey", CITY, service, str(score), "")] += 1
        rows[("device_survey", device_id, "", str(score), "")] += 1
        rows[("city_survey", CITY, "", str(score), "")] += 1
        rows[("city_series", CITY, "", "", "score")] += 1
        totals[("city_series", CITY, "", "", "score")] += score
        rows[("device_tally", device_id, "", "", "answers")] += 1
        totals[("device_tally", device_id, "", "", "answers")] += score
        if score >= 9 or score <= 6:
            rows[("device_tally", device_id, "", "", "top" if score >= 9 else "low")] += 1
        raw = body.get("reasons")
        for reason in (
            sorted({r for r in map(identifier, raw) if r}) if isinstance(raw, list) else []
        ):
            rows[("reason", CITY, service, reason, "")] += 1
            rows[("device_reason", device_id, "", reason, "")] += 1
    for device_id, text in metrics:
        body = parse_body(text)
        timing = steps_of(body.get("steps")) if body else None
        service = identifier(body.get("service")) if body else None
        if body is None or timing is None or service is None:
            rows[("metric_invalid", device_id, "", "", "")] += 1
            continue
        procedure = identifier(body.get("procedure")) or "-"
        outcome = identifier(body.get("outcome")) or "other"
        rows[("session", CITY, service, procedure, outcome)] += 1
        rows[("device_session", device_id, "", "", outcome)] += 1
        rows[("city_session", CITY, "", "", outcome)] += 1
        rows[("city_series", CITY, "", "", "sessions")] += 1
        totals[("city_series", CITY, "", "", "sessions")] += outcome == "done"
        rows[("device_tally", device_id, "", "", "sessions")] += 1
        if outcome == "done":
            rows[("device_tally", device_id, "", "", "done")] += 1
        # Staff mode: a session a staff member assisted (the metric's `assisted: true`).
        rows[
            (
                "device_mode",
                device_id,
                "",
                "",
                "assisted" if body.get("assisted") is True else "self",
            )
        ] += 1
        for step, (ms, position) in timing.items():
            key = ("step", CITY, service, step, f"{step_bucket(ms):012d}")
            rows[key] += 1
            totals[key] += ms
            rows[("step_pos", CITY, service, step, "")] += 1
            totals[("step_pos", CITY, service, step, "")] += position
    for kind, device_id, item, n in submissions:
        rows[("submission", device_id, kind, identifier(item) or "(unreadable)", "")] += int(n)
        rows[("device_tally", device_id, "", "", kind)] += int(n)
    for kind, device_id, n in counted:
        rows[(kind, device_id, "", "", "")] += int(n)
        rows[("device_tally", device_id, "", "", kind)] += int(n)
    return [(*key, n, totals[key]) for key, n in sorted(rows.items()) if n]


def _seconds(value: object) -> float | None:
    if type(value) in (int, float) and 0 <= value < 4_102_444_800:  # a time before 2100
        return float(value)
    return None


# Upper bounds (seconds) of the coarse duration buckets kept per device and for the city's daily
# series: a duration counts in the first bucket at least as long, so "within 15 minutes" is exact
# for any target in this list; about 20 buckets a day per device instead of a hundred.
DURATION_BUCKETS_S = (
    *(5, 10, 15, 20, 30, 45),
    *range(60, 1201, 60),  # every minute up to 20: where most waits fall
    *(1500, 1800, 2100, 2400, 2700, 3000, 3600, 4500, 5400, 7200, 10800, 14400, 21600, 43200),
    86400,
)


def coarse_bucket(seconds: float) -> int:
    """The first of `DURATION_BUCKETS_S` at least `seconds` long (the last one for longer)."""
    for bound in DURATION_BUCKETS_S:
        if seconds <= bound:
            return bound
    return DURATION_BUCKETS_S[-1]


def _add_duration(
    rows: Counter, totals: Counter, metric: str, device_id: str, service: str, s: float
) -> None:
    """One duration in seconds into the city-wide histogram by service (within 5 %), the
    per-device one and the city's per-day one (coarse buckets)."""
    secs = round(s)
    fine, coarse = f"{step_bucket(secs):012d}", f"{coarse_bucket(secs):012d}"
    for key in (
        (metric, CITY, service, "", fine),
        (f"device_{metric}", device_id, "", "", coarse),
        (f"city_{metric}", CITY, "", "", coarse),
    ):
        rows[key] += 1
        totals[key] += secs


def _queue_rows(events: Iterable[tuple[str, object]], rows: Counter, totals: Counter) -> None:
    """Waits (first call - issue) and handling times (end - start) per ticket of the day."""
    tickets: dict[tuple, dict] = {}
    for device_id, text in events:
        body = parse_body(text)
        ticket = identifier(body.get("ticket")) if body else None
        event = identifier(body.get("event")) if body else None
        at = _seconds(body.get("at")) if body else None
        if body is None or ticket is None or event is None or at is None:
            rows[("queue_invalid", device_id, "", "", "")] += 1
            continue
        key = (str(body.get("center"))[:64], str(body.get("day"))[:10], ticket)
        t = tickets.setdefault(key, {"device": device_id})
        t["service"] = identifier(body.get("service")) or "other"  # a transfer moves it
        issued = _seconds(body.get("issued_at"))
        if issued is not None:
            t.setdefault("issued", issued)
        if event == "called":
            if "called" not in t or at < t["called"]:
                t["called"], t["call_device"] = at, device_id
        elif event in ("started", "ended"):
            t[event] = at
            t[f"{event}_device"] = device_id
        elif event == "no_show":
            t["no_show"] = True
    waits = []
    for t in tickets.values():
        service = t["service"]
        if "called" in t and "issued" in t and t["called"] >= t["issued"]:
            waits.append(round(t["called"] - t["issued"]))
        if "called" in t and "issued" in t and t["called"] >= t["issued"]:
            _add_duration(
                rows, totals, "queue_wait", t["call_device"], service, t["called"] - t["issued"]
            )
        if "started" in t and "ended" in t and t["ended"] >= t["started"]:
            _add_duration(
                rows,
                totals,
                "queue_handling",
                t["ended_device"],
                service,
                t["ended"] - t["started"],
            )
        if t.get("no_show"):
            rows[("queue_no_show", CITY, service, "", "")] += 1
    if waits:  # the day's exact median wait: a day-only row (months never read it)
        waits.sort()
        mid = len(waits) // 2
        median = waits[mid] if len(waits) % 2 else (waits[mid - 1] + waits[mid]) / 2
        rows[("city_series", CITY, "", "", "wait_median")] += len(waits)
        totals[("city_series", CITY, "", "", "wait_median")] += round(median)


def _staff_call_rows(calls: Iterable[tuple[str, object]], rows: Counter, totals: Counter) -> None:
    """Staff calls of the day per device (each call id once) and the answered ones' response
    times."""
    seen: dict[str, str] = {}
    answered: dict[str, tuple[str, float]] = {}
    for device_id, text in calls:
        body = parse_body(text)
        call = identifier(body.get("call")) if body else None
        if body is None or call is None:
            rows[("staff_call_invalid", device_id, "", "", "")] += 1
            continue
        seen.setdefault(call, device_id)
        response = _seconds(body.get("response_s"))
        if body.get("event") == "answered" and response is not None:
            answered[call] = (device_id, response)
    for device_id in seen.values():
        rows[("staff_call", device_id, "", "", "")] += 1
    for device_id, response in answered.values():
        _add_duration(rows, totals, "staff_answer", device_id, "", response)
