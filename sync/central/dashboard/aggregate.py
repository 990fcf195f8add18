"""The dashboard's arithmetic over opened anonymous records (pure: no I/O, no clock).

Invariants:
- Input bodies are the JSON text the processing stage wrote; anything malformed (not JSON, NaN,
  wrong types, scores outside 0-10, ids that are not short identifiers) is counted as invalid
  and otherwise ignored, never raised. Only identifiers (service, procedure, step, reason ids),
  scores and durations are read; no other field of a body is kept.
- Outputs are aggregates only: counts, means, shares, percentiles. A group with fewer than
  `min_cell` survey responses shows its count and nothing else (`suppressed`), so no single
  answer can be read off a small group.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sync.central.summary_rows import identifier, parse_body
from sync.central.summary_rows import score_of as _score
from sync.central.summary_rows import steps_of as _steps

__all__ = [
    "ScoreGroup",
    "StepStats",
    "hist_percentile",
    "identifier",
    "parse_body",
    "percentile",
    "satisfaction",
    "sessions_and_steps",
    "summarize_scores",
]


@dataclass
class ScoreGroup:
    """Survey answers of one group (a center, a service, or all)."""

    scores: Counter = field(default_factory=Counter)  # score -> responses
    reasons: Counter = field(default_factory=Counter)  # reason id -> responses naming it

    def add(self, score: int, reasons: Iterable[str]) -> None:
        self.scores[score] += 1
        self.reasons.update(reasons)


def summarize_scores(group: ScoreGroup, min_cell: int) -> dict:
    """Responses, mean (2 decimals), NPS-style share in percent (9-10 minus 0-6, 1 decimal),
    promoters / passives / detractors and reason-chip counts; only the count when suppressed."""
    n = sum(group.scores.values())
    if n == 0 or n < min_cell:
        return {"responses": n, "suppressed": n > 0}
    promoters = group.scores[9] + group.scores[10]
    detractors = sum(group.scores[s] for s in range(7))
    total = sum(score * count for score, count in group.scores.items())
    return {
        "responses": n,
        "suppressed": False,
        "mean": round(total / n, 2),
        "nps": round(100.0 * (promoters - detractors) / n, 1),
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
        "reasons": dict(sorted(group.reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def satisfaction(
    rows: Iterable[tuple[str, object]], center_of: Mapping[str, str], min_cell: int
) -> dict:
    """(device_id, body) rows of `surveys` → overall, per center and per service summaries."""
    overall = ScoreGroup()
    by_center: dict[str, ScoreGroup] = defaultdict(ScoreGroup)
    by_service: dict[str, ScoreGroup] = defaultdict(ScoreGroup)
    invalid = 0
    for device_id, text in rows:
        body = parse_body(text)
        score = _score(body.get("score")) if body else None
        if body is None or score is None:
            invalid += 1
            continue
        raw = body.get("reasons")
        reasons = sorted({r for r in map(identifier, raw) if r}) if isinstance(raw, list) else []
        service = identifier(body.get("service")) or "other"
        for group in (overall, by_center[center_of.get(device_id, device_id)], by_service[service]):
            group.add(score, reasons)
    return {
        "overall": summarize_scores(overall, min_cell),
        "by_center": [
            {"center": c, **summarize_scores(g, min_cell)} for c, g in sorted(by_center.items())
        ],
        "by_service": [
            {"service": s, **summarize_scores(g, min_cell)} for s, g in sorted(by_service.items())
        ],
        "invalid": invalid,
    }


def percentile(sorted_values: list[int], p: float) -> float:
    """Nearest-rank percentile for 0 < p < 100, except p = 50: the median (mean of the two
    middle values for an even count)."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no values")
    if p == 50:
        mid = n // 2
        return (
            float(sorted_values[mid])
            if n % 2
            else (sorted_values[mid - 1] + sorted_values[mid]) / 2
        )
    rank = max(1, math.ceil(p / 100.0 * n))
    return float(sorted_values[rank - 1])


def hist_percentile(pairs: list[tuple[int, int]], p: float) -> float:
    """`percentile` of the values a sorted (value, count) histogram stands for, without
    expanding it."""
    n = sum(c for _, c in pairs)
    if n == 0:
        raise ValueError("no values")

    def nth(rank: int) -> int:  # 1-based
        seen = 0
        for value, count in pairs:
            seen += count
            if seen >= rank:
                return value
        return pairs[-1][0]

    if p == 50:
        mid = n // 2
        return float(nth(mid + 1)) if n % 2 else (nth(mid) + nth(mid + 1)) / 2
    return float(nth(max(1, math.ceil(p / 100.0 * n))))


@dataclass
class StepStats:
    durations: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)


def sessions_and_steps(rows: Iterable[tuple[str, object]], center_of: Mapping[str, str]) -> dict:
    """(device_id, body) rows of `metrics` → sessions per service/procedure with their outcomes,
    sessions per center, and per service and step the median and p90 of the time a session
    spent in that step (a step visited twice in a session counts once, with both visits)."""
    sessions: dict[tuple[str, str], Counter] = defaultdict(Counter)
    per_center: Counter = Counter()
    steps: dict[tuple[str, str], StepStats] = defaultdict(StepStats)
    invalid = 0
    for device_id, text in rows:
        body = parse_body(text)
        timing = _steps(body.get("steps")) if body else None
        service = identifier(body.get("service")) if body else None
        if body is None or timing is None or service is None:
            invalid += 1
            continue
        procedure = identifier(body.get("procedure")) or "-"
        outcome = identifier(body.get("outcome")) or "other"
        sessions[(service, procedure)][outcome] += 1
        per_center[center_of.get(device_id, device_id)] += 1
        for step, (ms, position) in timing.items():
            stats = steps[(service, step)]
            stats.durations.append(ms)
            stats.positions.append(position)
    ordered = []  # steps of a service in the order sessions usually meet them
    for (service, step), stats in steps.items():
        values = sorted(stats.durations)
        row = {
            "service": service,
            "step": step,
            "sessions": len(values),
            "median_ms": round(percentile(values, 50)),
            "p90_ms": round(percentile(values, 90)),
        }
        ordered.append(((service, sum(stats.positions) / len(stats.positions), step), row))
    step_rows = [row for _, row in sorted(ordered, key=lambda pair: pair[0])]
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
        "steps": step_rows,
        "invalid": invalid,
    }
