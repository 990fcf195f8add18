"""The dashboard's queries over a read-only central store: one function per page, each returning
the JSON-ready dict that the page renders and `/api/...` returns.

Invariants:
- Read only, bounded, complete: satisfaction and procedures sum the per-day summaries
  (`summaries`, kept by the processing stage) over whole Asia/Tokyo days, so no body is read per
  request and no count is capped; `complete` is false (and `waiting_records` says how many)
  while stored records wait to be opened. Overview and shelter count rows by device or window.
- No body is ever selected here: shelter check-ins are only counted.
- Small cells: every count of residents (submissions, queue tickets, sessions and their
  outcomes, step sessions, shelter check-ins, survey responses) from 1 to `min_residents - 1`
  is shown as the string "<k" (k = `min_residents`, 10 by default), never as its number; 0 and
  counts of at least k are shown as they are. Timings of a step fewer than k sessions went
  through, and survey statistics of a group of fewer than k responses, are not shown at all.
- Nothing here logs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sync.central.dashboard.aggregate import ScoreGroup, hist_percentile, summarize_scores
from sync.central.dashboard.params import Window
from sync.central.dashboard.readonly_store import ReadOnlyStore
from sync.central.summary_rows import today

__all__ = [
    "Center",
    "overview",
    "procedures",
    "satisfaction_page",
    "shelter",
    "small",
]

MAX_GROUPS = 10_000
RECENT_EVENTS = 20

# Typed tables counted per catalog id on the procedures page: (table, kind, body field).
SUBMISSIONS = (
    ("applications", "application", "procedure"),
    ("certificate_requests", "certificate_request", "certificate"),
    ("bookings", "booking", "topic"),
)


@dataclass(frozen=True)
class Center:
    """What the registry of enrolled devices says about a device (center name, revoked)."""

    device_id: str
    center: str
    revoked: bool = False


def small(n: int, k: int) -> int | str:
    """A count of residents as shown: 0 and counts of at least `k` as they are, 1..k-1 as "<k"
    (a handful of people in one cell could be told apart by who was there that day)."""
    return n if n == 0 or n >= k else f"<{k}"


def _small_sessions(data: dict, k: int) -> dict:
    """`aggregate.sessions_and_steps` output with its counts of residents suppressed."""
    return {
        **data,
        "sessions": [
            {
                **row,
                "total": small(row["total"], k),
                "outcomes": {o: small(n, k) for o, n in row["outcomes"].items()},
            }
            for row in data["sessions"]
        ],
        "sessions_by_center": [
            {**row, "sessions": small(row["sessions"], k)} for row in data["sessions_by_center"]
        ],
        "steps": [
            {**row, "sessions": small(row["sessions"], k)}
            if row["sessions"] >= k
            else {**row, "sessions": small(row["sessions"], k), "median_ms": None, "p90_ms": None}
            for row in data["steps"]
        ],
    }


def _small_scores(group: dict, k: int) -> dict:
    """One `aggregate.summarize_scores` group: fewer than k responses → count as "<k" only."""
    n = group["responses"]
    if n == 0 or n >= k:
        return group
    kept = {key: v for key, v in group.items() if key in ("center", "service")}
    return {**kept, "responses": small(n, k), "suppressed": True}


def iso(ts: float | None) -> str | None:
    if ts is None or ts <= 0:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _center_of(centers: Mapping[str, Center]) -> dict[str, str]:
    return {d: c.center or d for d, c in centers.items()}


def _last_heard(last_seen: float, now: float, offline_after_s: float) -> dict:
    """`last_seen`, its age and `offline` (never seen, or not for `offline_after_s`)."""
    age = now - last_seen if last_seen > 0 else None
    return {
        "last_seen": iso(last_seen),
        "last_seen_age_s": round(age, 1) if age is not None else None,
        "offline": age is None or age > offline_after_s,
    }


def _counts_per_device(store: ReadOnlyStore, table: str) -> dict[str, Counter]:
    """{device_id: Counter(kind or reason -> rows)} of `events` or `quarantine`."""
    out: dict[str, Counter] = defaultdict(Counter)
    for d, value, n in store.grouped_per_device(table, MAX_GROUPS):
        out[d][value] = n
    return out


def overview(
    store: ReadOnlyStore, centers: Mapping[str, Center], now: float, offline_after_s: float
) -> dict:
    """Every device heard from (and every enrolled one): last seen, committed seq, records
    beyond a gap, chain events and quarantine by kind, records waiting to be opened."""
    waiting = store.waiting_per_device(MAX_GROUPS)
    events = _counts_per_device(store, "events")
    quarantine = _counts_per_device(store, "quarantine")
    recent = [
        {
            "device_id": d,
            "kind": k,
            "first_seq": a,
            "last_seq": b,
            "detail": t[:120],
            "at": iso(at),
        }
        for d, k, a, b, t, at in store.recent_events(RECENT_EVENTS)
    ]
    lag_waiting, lag_age = store.lag()
    seen = {d: (c, m, s) for d, c, m, s in store.devices()}
    devices = []
    for device_id in sorted(set(seen) | set(centers)):
        committed, max_seq, last_seen = seen.get(device_id, (0, 0, 0.0))
        info = centers.get(device_id)
        revoked = bool(info and info.revoked)
        heard = _last_heard(last_seen, now, offline_after_s)
        devices.append(
            {
                "device_id": device_id,
                "center": (info.center if info else "") or None,
                "revoked": revoked,
                **heard,
                "offline": not revoked and heard["offline"],
                "committed_seq": committed,
                "max_seq": max_seq,
                "beyond_gap": max(0, max_seq - committed),
                "events": dict(sorted(events[device_id].items())),
                "quarantine": dict(sorted(quarantine[device_id].items())),
                "waiting": waiting.get(device_id, 0),
            }
        )
    return {
        "generated_at": iso(now),
        "offline_after_hours": round(offline_after_s / 3600, 2),
        "devices": devices,
        "offline_devices": sum(1 for d in devices if d["offline"]),
        "recent_events": recent,
        "lag": {"waiting": lag_waiting, "oldest_s": round(lag_age, 1)},
    }


def _days(window: Window, now: float) -> tuple[str, str]:
    """(first, last) Asia/Tokyo day of a window of whole days ending today."""
    last = today(now)
    return (last - timedelta(days=window.seconds // 86400 - 1)).isoformat(), last.isoformat()


def summed(store: ReadOnlyStore, metric: str, keys: str, first: str, last: str) -> list[tuple]:
    """SUM(n), SUM(total) of one summary metric over the days [first, last] grouped by `keys`
    (comma-separated summary columns), from the store's month and day totals."""
    return store.summed(metric, keys.split(", "), first, last)


def _count(store: ReadOnlyStore, metric: str, first: str, last: str) -> int:
    return sum(int(n) for _, n, _ in summed(store, metric, "metric", first, last))


def _behind(store: ReadOnlyStore) -> int:
    """Records stored but not opened yet: while any wait, counts are not complete."""
    return store.lag()[0]


def satisfaction_page(
    store: ReadOnlyStore,
    centers: Mapping[str, Center],
    window: Window,
    now: float,
    *,
    min_cell: int,
    max_rows: int = 0,
    min_residents: int = 10,
) -> dict:
    """Survey answers in the window (whole Asia/Tokyo days, from the per-day summaries):
    responses, mean, NPS-style share, reason chips; per center and per service; groups under
    `min_cell` responses show their count only, groups under `min_residents` not even that."""
    first, last = _days(window, now)
    center_of = _center_of(centers)
    overall = ScoreGroup()
    by_center: dict[str, ScoreGroup] = defaultdict(ScoreGroup)
    by_service: dict[str, ScoreGroup] = defaultdict(ScoreGroup)
    for service, score, n, _ in summed(store, "survey", "k1, k2", first, last):
        for group in (overall, by_service[service]):
            group.scores[int(score)] += int(n)
    for service, reason, n, _ in summed(store, "reason", "k1, k2", first, last):
        for group in (overall, by_service[service]):
            group.reasons[reason] += int(n)
    for device_id, score, n, _ in summed(store, "device_survey", "device_id, k2", first, last):
        by_center[center_of.get(device_id, device_id)].scores[int(score)] += int(n)
    for device_id, reason, n, _ in summed(store, "device_reason", "device_id, k2", first, last):
        by_center[center_of.get(device_id, device_id)].reasons[reason] += int(n)
    k = min_residents
    waiting = _behind(store)
    summary = {
        "overall": summarize_scores(overall, min_cell),
        "by_center": [
            {"center": c, **summarize_scores(g, min_cell)} for c, g in sorted(by_center.items())
        ],
        "by_service": [
            {"service": s, **summarize_scores(g, min_cell)} for s, g in sorted(by_service.items())
        ],
        "invalid": _count(store, "survey_invalid", first, last),
    }
    return {
        "generated_at": iso(now),
        "window": window.name,
        "since": first,
        "until": last,
        "min_cell": min_cell,
        "min_residents": k,
        "truncated": False,
        "complete": waiting == 0,
        "waiting_records": waiting,
        **summary,
        "overall": _small_scores(summary["overall"], k),
        "by_center": [_small_scores(g, k) for g in summary["by_center"]],
        "by_service": [_small_scores(g, k) for g in summary["by_service"]],
    }


def _counts_per_center(
    store: ReadOnlyStore, kind: str, since: float, center_of: Mapping[str, str]
) -> Counter:
    """Counter(center -> typed rows of `kind` created since `since`)."""
    counts: Counter = Counter()
    for device_id, n in store.created_since_per_device(kind, since, MAX_GROUPS).items():
        counts[center_of.get(device_id, device_id)] += n
    return counts


def _sessions_and_steps(
    store: ReadOnlyStore, first: str, last: str, center_of: Mapping[str, str]
) -> dict:
    """What `aggregate.sessions_and_steps` computes from bodies, from the summaries: sessions
    per service/procedure with outcomes, per center, and per service and step the median and
    p90 of the (rounded) time a session spent in it, in the order sessions meet the steps."""
    sessions: dict[tuple[str, str], Counter] = defaultdict(Counter)
    per_center: Counter = Counter()
    for service, procedure, outcome, n, _ in summed(store, "session", "k1, k2, k3", first, last):
        sessions[(service, procedure)][outcome] += int(n)
    for device_id, n, _ in summed(store, "device_session", "device_id", first, last):
        per_center[center_of.get(device_id, device_id)] += int(n)
    hist: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for service, step, bucket, n, _ in summed(store, "step", "k1, k2, k3", first, last):
        hist[(service, step)].append((int(bucket), int(n)))
    ordered = []
    for service, step, n, positions in summed(store, "step_pos", "k1, k2", first, last):
        values = sorted(hist.get((service, step), []))
        if not values:
            continue
        row = {
            "service": service,
            "step": step,
            "sessions": int(n),
            "median_ms": round(hist_percentile(values, 50)),
            "p90_ms": round(hist_percentile(values, 90)),
        }
        ordered.append(((service, int(positions) / int(n), step), row))
    return {
        "sessions": [
            {
                "service": s,
                "procedure": p,
                "total": sum(outcomes.values()),
                "outcomes": dict(sorted(outcomes.items())),
            }
            for (s, p), outcomes in sorted(sessions.items())
        ],
        "sessions_by_center": [{"center": c, "sessions": n} for c, n in sorted(per_center.items())],
        "steps": [row for _, row in sorted(ordered, key=lambda pair: pair[0])],
        "invalid": _count(store, "metric_invalid", first, last),
    }


def procedures(
    store: ReadOnlyStore,
    centers: Mapping[str, Center],
    window: Window,
    now: float,
    *,
    max_rows: int = 0,
    min_residents: int = 10,
) -> dict:
    """Submissions per catalog id and center (applications, certificate requests, bookings),
    queue tickets per center, and sessions per service/procedure with their outcomes and the
    median/p90 time per step, all from the per-day summaries; small cells suppressed."""
    k = min_residents
    first, last = _days(window, now)
    center_of = _center_of(centers)
    submissions: Counter = Counter()
    for device_id, kind, item, n, _ in summed(
        store, "submission", "device_id, k1, k2", first, last
    ):
        submissions[(kind, item, center_of.get(device_id, device_id))] += int(n)
    tickets: Counter = Counter()
    for device_id, n, _ in summed(store, "queue_ticket", "device_id", first, last):
        tickets[center_of.get(device_id, device_id)] += int(n)
    totals: Counter = Counter()
    for (kind, item, _), n in submissions.items():
        totals[(kind, item)] += n
    waiting = _behind(store)
    return {
        "generated_at": iso(now),
        "window": window.name,
        "since": first,
        "until": last,
        "truncated": False,
        "complete": waiting == 0,
        "waiting_records": waiting,
        "min_residents": k,
        "submissions": [
            {"kind": kind, "item": i, "center": c, "count": small(n, k)}
            for (kind, i, c), n in sorted(submissions.items())
        ],
        "submission_totals": [
            {"kind": kind, "item": i, "count": small(n, k)}
            for (kind, i), n in sorted(totals.items())
        ],
        "queue_tickets": [{"center": c, "count": small(n, k)} for c, n in sorted(tickets.items())],
        "queue_ticket_total": small(sum(tickets.values()), k),
        **_small_sessions(_sessions_and_steps(store, first, last, center_of), k),
    }


def shelter(
    store: ReadOnlyStore,
    centers: Mapping[str, Center],
    window: Window,
    now: float,
    offline_after_s: float,
    min_residents: int = 10,
) -> dict:
    """Shelter check-ins per center in the window: counts only (the bodies are never read),
    1..min_residents-1 shown as "<k".
    Every known center is listed, with 0 when none checked in, and when it was last heard
    from (a center cut off shows 0 until its check-ins are synced)."""
    since = now - window.seconds
    center_of = _center_of(centers)
    counts: Counter = Counter({center_of[d]: 0 for d, c in centers.items() if not c.revoked})
    last_seen: dict[str, float] = {}
    for device_id, _, _, seen in store.devices():
        center = center_of.get(device_id, device_id)
        counts.setdefault(center, 0)
        last_seen[center] = max(last_seen.get(center, 0.0), seen)
    counts.update(_counts_per_center(store, "shelter_checkin", since, center_of))
    rows = []
    for center, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        heard = _last_heard(last_seen.get(center, 0.0), now, offline_after_s)
        rows.append({"center": center, "checkins": small(n, min_residents), **heard})
    return {
        "generated_at": iso(now),
        "window": window.name,
        "since": iso(since),
        "centers": rows,
        "total": small(sum(counts.values()), min_residents),
    }
