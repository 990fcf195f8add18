"""Wait and handling times per center, day and service, from the opened `queue_event` and
`staff_call` records (see docs/center.md).

Guarantees: reads only the typed tables through `Store.opened` (either backend), in pages; a
ticket is keyed by (center, day, label), so an event stored twice counts once; a wait is the first
call minus the issue time, a handling time is the end minus the start; tickets whose events are
not all there yet count as issued only. Nothing personal is read or returned (labels, services,
counters and times are all the records hold).
"""

from __future__ import annotations

import datetime as _dt
import json
import statistics
from collections import defaultdict
from typing import Any

__all__ = ["center_times", "shelter_occupancy"]


def _bodies(store: Any, kind: str, page: int = 1000):
    after = 0
    while rows := store.opened(kind, after, page):
        for row_id, *_, body in rows:
            after = row_id
            yield json.loads(body)


def center_times(store: Any) -> dict[str, Any]:
    """{"queues": [{center, day, service, issued, called, served, no_show, median_wait_s,
    mean_wait_s, median_handling_s, mean_handling_s}], "staff_calls": [{center, day, calls,
    answered, median_response_s}]}"""
    tickets: dict[tuple, dict[str, Any]] = defaultdict(dict)
    for b in _bodies(store, "queue_event"):
        key = (b.get("center"), b.get("day"), b.get("ticket"))
        t = tickets[key]
        t.setdefault("issued_at", b.get("issued_at"))
        t["service"] = b.get("service")  # a transfer to another service moves the ticket
        event, at = b.get("event"), b.get("at")
        if event == "called":
            t.setdefault("called_at", at)
        elif event in ("started", "ended", "no_show"):
            t[event] = at
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for (center, day, _), t in tickets.items():
        groups[(center, day, t["service"])].append(t)
    queues = []
    for (center, day, service), ts in sorted(groups.items(), key=lambda kv: str(kv[0])):
        waits = [t["called_at"] - t["issued_at"] for t in ts if "called_at" in t]
        handling = [t["ended"] - t["started"] for t in ts if "ended" in t and "started" in t]
        queues.append(
            {
                "center": center,
                "day": day,
                "service": service,
                "issued": len(ts),
                "called": len(waits),
                "served": len(handling),
                "no_show": sum(1 for t in ts if "no_show" in t),
                "median_wait_s": _round(statistics.median(waits)) if waits else None,
                "mean_wait_s": _round(statistics.fmean(waits)) if waits else None,
                "median_handling_s": _round(statistics.median(handling)) if handling else None,
                "mean_handling_s": _round(statistics.fmean(handling)) if handling else None,
            }
        )
    calls: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"calls": set(), "responses": {}})
    for b in _bodies(store, "staff_call"):
        day = _dt.date.fromtimestamp(float(b.get("at", 0))).isoformat()
        g = calls[(b.get("center"), day)]
        g["calls"].add(b.get("call"))
        if b.get("event") == "answered":
            g["responses"][b.get("call")] = float(b.get("response_s", 0))
    staff = [
        {
            "center": center,
            "day": day,
            "calls": len(g["calls"]),
            "answered": len(g["responses"]),
            "median_response_s": _round(statistics.median(g["responses"].values()))
            if g["responses"]
            else None,
        }
        for (center, day), g in sorted(calls.items(), key=lambda kv: str(kv[0]))
    ]
    return {"queues": queues, "staff_calls": staff}


def shelter_occupancy(store: Any) -> dict[str, dict[str, int]]:
    """Per shelter: people checked in, checked out, and present (in − out), from the opened
    `shelter_checkin` and `shelter_checkout` records. A household is keyed by its code, so a
    record stored twice counts once. Check-ins made on a kiosk's form (no household, no shelter
    in the body) count one person at the shelter named by the device id."""
    ins: dict[tuple, tuple[str, int]] = {}
    outs: dict[tuple, tuple[str, int]] = {}
    for target, kind in ((ins, "shelter_checkin"), (outs, "shelter_checkout")):
        after = 0
        while rows := store.opened(kind, after, 1000):
            for row_id, device_id, seq, _rid, _created, body in rows:
                after = row_id
                b = json.loads(body)
                shelter = str(b.get("shelter") or device_id)
                key = (shelter, b.get("household") or f"{device_id}/{seq}")
                members = b.get("members", 1)
                ok = isinstance(members, int) and not isinstance(members, bool) and members > 0
                target[key] = (shelter, members if ok else 1)
    out: dict[str, dict[str, int]] = {}
    for target, field in ((ins, "in"), (outs, "out")):
        for shelter, members in target.values():
            row = out.setdefault(shelter, {"in": 0, "out": 0})
            row[field] += members
    for row in out.values():
        row["present"] = row["in"] - row["out"]
    return out


def _round(x: float) -> float:
    return round(float(x), 1)
