"""Consultation records summarized: what `madoguchi consult report` prints (and what a
dashboard page can show). Pure: a list of `Consultation` rows in, plain counts out.

Invariant: only aggregates — counts per topic, center, outcome, who ended, the roles that took
calls, hand-overs, median wait and call duration. No staff usernames, no device ids, nothing of
the call itself (the store holds nothing of it either).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

from sync.central.consult.tables import Consultation

__all__ = ["summarize"]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def summarize(records: Sequence[Consultation]) -> dict:
    waits = [
        r.accepted_at - r.created_at for r in records if r.accepted_at is not None
    ]  # from the resident's request to the last acceptance, hand-over queues included
    calls = [
        r.ended_at - r.accepted_at
        for r in records
        if r.ended_at is not None and r.accepted_at is not None
    ]
    roles: Counter = Counter()
    for r in records:
        roles.update(r.roles.split())
    return {
        "total": len(records),
        "ended": sum(r.state == "ended" for r in records),
        "waiting": sum(r.state in ("waiting", "handover") for r in records),
        "in_call": sum(r.state == "accepted" for r in records),
        "handovers": sum(r.handovers for r in records),
        "wait_s_median": _median(waits),
        "call_s_median": _median(calls),
        "by_topic": dict(Counter(r.topic for r in records)),
        "by_center": dict(Counter(r.center for r in records)),
        "by_language": dict(Counter(r.language for r in records)),
        "by_outcome": dict(Counter(r.outcome for r in records if r.outcome)),
        "by_ended_by": dict(Counter(r.ended_by for r in records if r.ended_by)),
        "by_role": dict(roles),
    }
