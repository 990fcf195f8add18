"""How the service went, for the front page and a center's page: queue waits and handling
times, staff-call responses, assisted vs unassisted sessions, consultations, and the terminals
that need someone's attention.

Invariants:
- Waits, handling and staff-call responses come from the per-day summaries (`summary_rows`):
  the city's and each service's median and 90th percentile wait from histograms rounded within
  5 %; a center's, and the share called within the target wait, from per-device buckets
  rounded up to the minute (up to 20 minutes), so the share is exact for a whole-minute target
  up to 20 minutes and a center's median is rounded up to the minute.
- Small cells: a count of residents from 1 to k-1 is "<k"; a median, percentile or share of
  fewer than k tickets, calls, sessions or consultations is not shown (None).
- Consultations are read from the consultation records as per-center minute histograms
  (counts and times only, never who); medians are in whole minutes.
- Terminal health shows the status words of each terminal's newest `device_health` record,
  the time it was last heard from and records waiting to be opened, never a body.
- Pure apart from the store reader's named queries; nothing here logs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from sync.central.dashboard.aggregate import hist_percentile
from sync.central.dashboard.queries import small
from sync.central.dashboard.readonly_store import ReadOnlyStore
from sync.central.summary_rows import day_bounds

__all__ = ["attention", "consultations", "service_figures"]

MAX_GROUPS = 10_000
_OK_WORDS = {"ok", "ready", "idle", "normal", "true", "1"}


def _times(
    hist: Counter, k: int, target_s: float | None = None, fine: Counter | None = None
) -> dict:
    """{count, median_s, p90_s[, within_pct]} of a {seconds bucket: n} histogram; the median
    and p90 from `fine` (the 5 % histogram of the same times) when given."""
    n = sum(hist.values())
    out: dict = {"count": small(n, k), "median_s": None, "p90_s": None}
    if target_s is not None:
        out["within_pct"] = None
    if n < k or n == 0:
        return out
    pairs = sorted(hist.items())
    exact = sorted(fine.items()) if fine else pairs
    out["median_s"] = round(hist_percentile(exact, 50))
    out["p90_s"] = round(hist_percentile(exact, 90))
    if target_s is not None:
        within = sum(c for v, c in pairs if v <= target_s)
        out["within_pct"] = round(100.0 * within / n, 1)
    return out


def _per_center(rows, center_of: Mapping[str, str]) -> tuple[Counter, dict[str, Counter]]:
    """(city histogram, {center: histogram}) of (device_id, bucket, n, total) rows."""
    city: Counter = Counter()
    centers: dict[str, Counter] = defaultdict(Counter)
    for device_id, bucket, n, _ in rows:
        city[int(bucket)] += int(n)
        centers[center_of.get(device_id, device_id)][int(bucket)] += int(n)
    return city, centers


def service_figures(
    store: ReadOnlyStore,
    center_of: Mapping[str, str],
    first: str,
    last: str,
    *,
    k: int,
    target_wait_s: float,
    center_times: bool = True,
) -> dict:
    """Waits, handling, staff calls and assisted sessions over the days [first, last]: for the
    city ("city"), each center ("centers") and, for waits and handling, each service. Without
    `center_times` (the front page, whose centers table shows the median wait only) handling
    and staff-call times are read city-wide only and are None per center."""
    # Two statements: the per-device figures, then the city-wide histograms by service.
    per_device: dict[str, list] = defaultdict(list)
    wanted = ["device_queue_wait", "staff_call", "device_mode"]
    if center_times:
        wanted += ["device_queue_handling", "device_staff_answer"]
    for metric, device_id, k3, n, total in store.summed_many(
        wanted, ("device_id", "k3"), first, last
    ):
        per_device[metric].append((device_id, k3, n, total))
    city_wide: dict[str, list] = defaultdict(list)
    wanted = ["queue_wait", "queue_handling", "queue_no_show"]
    if not center_times:
        wanted += ["city_queue_handling", "city_staff_answer"]
    for metric, k1, k3, n, total in store.summed_many(wanted, ("k1", "k3"), first, last):
        city_wide[metric].append((k1, k3, n, total))
    waits, wait_c = _per_center(per_device["device_queue_wait"], center_of)
    if center_times:
        handling, handling_c = _per_center(per_device["device_queue_handling"], center_of)
        answers, answer_c = _per_center(per_device["device_staff_answer"], center_of)
    else:
        handling, answers, handling_c, answer_c = Counter(), Counter(), {}, {}
        for _, bucket, n, _ in city_wide["city_queue_handling"]:
            handling[int(bucket)] += int(n)
        for _, bucket, n, _ in city_wide["city_staff_answer"]:
            answers[int(bucket)] += int(n)
    calls: Counter = Counter()
    for device_id, _, n, _ in per_device["staff_call"]:
        calls[center_of.get(device_id, device_id)] += int(n)
    modes: dict[str, Counter] = defaultdict(Counter)
    for device_id, mode, n, _ in per_device["device_mode"]:
        for key in ("", center_of.get(device_id, device_id)):
            modes[key][mode] += int(n)
    by_service: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for metric in ("queue_wait", "queue_handling"):
        for service, bucket, n, _ in city_wide[metric]:
            by_service[service][metric][int(bucket)] += int(n)
    city_fine_waits: Counter = Counter()  # the city's waits within 5 %, from the per service
    for hists in by_service.values():
        city_fine_waits.update(hists["queue_wait"])
    no_show: Counter = Counter()
    for service, _, n, _ in city_wide["queue_no_show"]:
        no_show[service] += int(n)

    def figures(w: Counter, h: Counter, a: Counter, c: int, m: Counter, fine=None) -> dict:
        sessions = m["assisted"] + m["self"]
        return {
            "waits": _times(w, k, target_wait_s, fine),
            "handling": _times(h, k),
            "staff_calls": {"calls": small(c, k), **_times(a, k)},
            "assisted": {
                "assisted": small(m["assisted"], k),
                "self": small(m["self"], k),
                "assisted_pct": round(100.0 * m["assisted"] / sessions, 1)
                if sessions >= k
                else None,
            },
        }

    names = set(wait_c) | set(handling_c) | set(answer_c) | set(calls) | (set(modes) - {""})
    return {
        "target_wait_min": round(target_wait_s / 60, 1),
        "city": figures(waits, handling, answers, sum(calls.values()), modes[""], city_fine_waits),
        "centers": {
            name: figures(
                wait_c.get(name, Counter()),
                handling_c.get(name, Counter()),
                answer_c.get(name, Counter()),
                calls.get(name, 0),
                modes.get(name, Counter()),
            )
            for name in sorted(names)
        },
        "by_service": [
            {
                "service": service,
                "waits": _times(hists["queue_wait"], k, target_wait_s),
                "handling": _times(hists["queue_handling"], k),
                "no_show": small(no_show[service], k),
            }
            for service, hists in sorted(by_service.items())
        ],
    }


def consultations(store: ReadOnlyStore, first: str, last: str, k: int) -> dict:
    """Consultations created on the days [first, last] per center (as the console records the
    center) and for the city: how many, how many a specialist took, and the median wait and
    call length in whole minutes."""
    since, until = day_bounds(first)[0], day_bounds(last)[1]
    # Groups of (center, wait minutes, call minutes): a city's year makes about 7,000.
    data = store.consultation_minutes(since, until, 10 * MAX_GROUPS)
    counts: Counter = Counter()
    for center, n in data["count"]:
        counts[center] += n
        counts[""] += n
    hists: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for key in ("wait", "call"):
        for center, minutes, n in data[key]:
            for name in ("", center):
                hists[name][key][minutes] += n

    def shown(name: str) -> dict:
        h = hists.get(name) or {"wait": Counter(), "call": Counter()}
        taken = sum(h["wait"].values())
        out = {"count": small(counts[name], k), "taken": small(taken, k)}
        for key in ("wait", "call"):
            n = sum(h[key].values())
            median = hist_percentile(sorted(h[key].items()), 50) if n >= k else None
            out[f"median_{key}_min"] = median
        return out

    return {
        "complete": data["complete"],
        "city": shown(""),
        "centers": {c: shown(c) for c in sorted(counts) if c},
    }


def _problem(word: str | None) -> bool:
    return word is not None and word.lower() not in _OK_WORDS


def attention(
    store: ReadOnlyStore,
    centers: Mapping[str, object],
    center_of: Mapping[str, str],
    now: float,
    offline_after_s: float,
    limit: int = 10_000,
) -> list[dict]:
    """Every terminal with what may need someone: not heard from, printer, paper or card reader
    not ok, records waiting to be opened; those needing attention first."""
    health = store.latest_health(limit)
    waiting = store.waiting_per_device(limit)
    seen = {d: s for d, _, _, s in store.devices()}
    out = []
    for device_id in sorted(set(seen) | {d for d, c in centers.items() if not c.revoked}):
        h = health.get(device_id, {})
        last = seen.get(device_id, 0.0)
        age = now - last if last > 0 else None
        issues = []
        if age is None or age > offline_after_s:
            issues.append("offline")
        issues += [f for f in ("printer", "paper", "card_reader") if _problem(h.get(f))]
        if waiting.get(device_id, 0):
            issues.append("waiting")
        out.append(
            {
                "device_id": device_id,
                "center": center_of.get(device_id, device_id),
                "last_seen_age_s": round(age) if age is not None else None,
                "health": {key: v for key, v in h.items() if key != "at"},
                "health_age_s": round(now - h["at"]) if "at" in h else None,
                "waiting": waiting.get(device_id, 0),
                "issues": issues,
            }
        )
    out.sort(key=lambda r: (not r["issues"], r["center"], r["device_id"]))
    return out
