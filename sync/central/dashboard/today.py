"""The front page for a section chief (きょうの状況): today and the trend, for the city and each
center, from the per-day summaries only.

Invariants:
- Reads `dashboard_daily` only (no record body, no typed table): every figure is a sum over
  whole Asia/Tokyo days, complete (no cap); `complete` is false while records wait to be opened.
- Small cells: every count of residents from 1 to `min_residents - 1` is "<k"; a mean or NPS of
  fewer than `min_residents` answers is not shown (None); a change against the previous period
  is shown only when both periods are shown.
- Ids are shown by catalog names where the catalog names them (`Labels`), else as the id.
- Pure apart from the store reader's named queries; nothing here logs.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sync.central.dashboard.aggregate import hist_percentile
from sync.central.dashboard.params import Window
from sync.central.dashboard.queries import Center, _center_of, iso, small
from sync.central.dashboard.readonly_store import ReadOnlyStore
from sync.central.summary_rows import today

__all__ = ["SORT_KEYS", "Labels", "center_series", "load_labels", "today_page"]

# The centers table can be sorted by these columns (the query's `sort`).
SORT_KEYS = ("center", "sessions", "done", "applications", "certificates", "satisfaction", "nps")

_BUILTIN = {
    "ja": {
        "procedure": "手続き",
        "certificate": "証明書",
        "booking": "相談予約",
        "queue": "整理券",
        "life_event": "ライフイベント案内",
        "application": "申請",
        "certificate_request": "証明書請求（預かり）",
        "done": "完了",
        "idle": "途中で離席",
        "home": "自宅で手続き",
        "card_removed": "カードが抜かれた",
        "switched": "別の手続きへ",
        "other": "その他",
        "consultation": "相談",
        "tax": "税",
        "queue_ticket": "整理券",
    },
    "en": {},
}


@dataclass(frozen=True)
class Labels:
    """Display names of ids per language (from the catalog, plus the kiosk's fixed services)."""

    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def name(self, ident: str, lang: str) -> str:
        return self.names.get(lang, {}).get(ident) or _BUILTIN.get(lang, {}).get(ident) or ident


def load_labels(catalog: Path | None) -> Labels:
    """Names of procedures, certificates, topics and survey reasons from a catalog JSON file;
    an unreadable or absent catalog gives the built-in names only (ids shown otherwise)."""
    names: dict[str, dict[str, str]] = {"ja": {}, "en": {}}
    if catalog is None:
        return Labels(names)
    try:
        data = json.loads(Path(catalog).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Labels(names)
    for section in ("procedures", "certificates", "topics", "survey_reasons", "life_events"):
        items = data.get(section) if isinstance(data, dict) else None
        for item in items if isinstance(items, list) else []:
            name = item.get("name") or item.get("label") if isinstance(item, dict) else None
            if isinstance(name, dict) and isinstance(item.get("id"), str):
                for lang in names:
                    if isinstance(name.get(lang), str):
                        names[lang][item["id"]] = name[lang][:60]
    return Labels(names)


@dataclass
class _Tally:
    sessions: int = 0
    done: int = 0
    applications: int = 0
    certificates: int = 0
    bookings: int = 0
    tickets: int = 0
    answers: int = 0
    score_sum: int = 0
    top: int = 0  # answers of 9-10
    low: int = 0  # answers of 0-6

    def add(self, what: str, n: int, total: int) -> None:
        """One `device_tally` row (k3 = `what`) into the tally."""
        field_ = _TALLY_FIELDS.get(what)
        if field_ is not None:
            setattr(self, field_, getattr(self, field_) + n)
        if what == "answers":
            self.score_sum += total


# `device_tally`'s k3 -> the _Tally field it counts (shelter check-ins are not on this page).
_TALLY_FIELDS = {
    "sessions": "sessions",
    "done": "done",
    "application": "applications",
    "certificate_request": "certificates",
    "booking": "bookings",
    "queue_ticket": "tickets",
    "answers": "answers",
    "top": "top",
    "low": "low",
}


def _tallies(
    store: ReadOnlyStore, first: str, last: str, center_of: Mapping[str, str], by_day: bool = False
) -> dict:
    """Per center (and "" for the city) over [first, last]: {center: _Tally}, or with `by_day`
    {day: {center: _Tally}}; one statement of the `device_tally` rows (a dozen per device and
    period) either way."""
    out: dict = defaultdict(lambda: defaultdict(_Tally))
    keys = ("day", "device_id", "k3") if by_day else ("device_id", "k3")
    for row in store.summed("device_tally", keys, first, last):
        day = row[0] if by_day else ""
        device_id, what, n, total = row[-4], row[-3], int(row[-2]), int(row[-1])
        out[day][""].add(what, n, total)
        out[day][center_of.get(device_id, device_id)].add(what, n, total)
    return out if by_day else out[""]


def _satisfaction(t: _Tally, k: int) -> dict:
    n = t.answers
    if n < k:
        return {"responses": small(n, k), "mean": None, "nps": None, "top": None, "low": None}
    return {
        "responses": n,
        "mean": round(t.score_sum / n, 2),
        "nps": round(100.0 * (t.top - t.low) / n, 1),
        "top": round(100.0 * t.top / n, 1),  # share of 9-10, percent
        "low": round(100.0 * t.low / n, 1),  # share of 0-6
    }


def _change(now: int, before: int, k: int) -> float | None:
    """Percent change, only when both counts are shown and the earlier one is not 0."""
    if now < k or before < k:
        return None
    return round(100.0 * (now - before) / before, 1)


def _figures(t: _Tally, prev: _Tally, k: int) -> dict:
    counts = ("sessions", "done", "applications", "certificates", "bookings", "tickets")
    out: dict = {c: small(getattr(t, c), k) for c in counts}
    out["change"] = {c: _change(getattr(t, c), getattr(prev, c), k) for c in counts}
    out["satisfaction"] = _satisfaction(t, k)
    before = _satisfaction(prev, k)
    out["change"]["mean"] = (
        round(out["satisfaction"]["mean"] - before["mean"], 2)
        if out["satisfaction"]["mean"] is not None and before["mean"] is not None
        else None
    )
    return out


def _series(store: ReadOnlyStore, first: date, last: date, k: int) -> list[dict]:
    """The city's daily series: sessions, done, the day's mean score (shown from k answers) and
    median queue wait in minutes (from k tickets), from three summary rows a day."""
    values: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for day, what, n, total in store.summed(
        "city_series", ("day", "k3"), first.isoformat(), last.isoformat()
    ):
        values[day][what] = (int(n), int(total))
    out = []
    d = first
    while d <= last:
        key = d.isoformat()
        row = values.get(key, {})
        sessions, done = row.get("sessions", (0, 0))
        answers, score_sum = row.get("score", (0, 0))
        tickets, wait = row.get("wait_median", (0, 0))
        out.append(
            {
                "day": key,
                "sessions": small(sessions, k),
                "done": small(done, k),
                "mean": round(score_sum / answers, 2) if answers >= k else None,
                "wait_min": round(wait / 60, 1) if tickets >= k else None,
            }
        )
        d += timedelta(days=1)
    return out


def center_series(
    store: ReadOnlyStore, first: str, last: str, devices: list[str], k: int
) -> list[dict]:
    """Per day of [first, last]: sessions, done, mean score and the median queue wait in
    minutes (coarse buckets) of the given devices (one center)."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    waits: dict[str, Counter] = defaultdict(Counter)
    if devices:
        for day, what, n, total in store.summed_for(
            "device_tally", ("day", "k3"), first, last, devices
        ):
            tallies[day].add(what, int(n), int(total))
    rows = store.summed_for("device_queue_wait", ("day", "k3"), first, last, devices)
    for day, bucket, n, _ in rows:
        waits[day][int(bucket)] += int(n)
    out = []
    d, end = date.fromisoformat(first), date.fromisoformat(last)
    while d <= end:
        key = d.isoformat()
        w = waits.get(key, Counter())
        n = sum(w.values())
        wait = round(hist_percentile(sorted(w.items()), 50) / 60, 1) if n >= k else None
        out.append(
            {
                "day": key,
                "wait_min": wait,
                "sessions": small(tallies[key].sessions, k),
                "done": small(tallies[key].done, k),
                "mean": _satisfaction(tallies[key], k)["mean"],
            }
        )
        d += timedelta(days=1)
    return out


def today_page(
    store: ReadOnlyStore,
    centers: Mapping[str, Center],
    window: Window,
    now: float,
    *,
    sort: str = "sessions",
    min_residents: int = 10,
) -> dict:
    """Today, the window and the previous window of the same length, for the city and each
    center; the city's daily series over the window; centers sorted by `sort`."""
    k = min_residents
    days = window.seconds // 86400
    last = today(now)
    first = last - timedelta(days=days - 1)
    prev_last = first - timedelta(days=1)
    prev_first = prev_last - timedelta(days=days - 1)
    center_of = _center_of(centers)
    current = _tallies(store, first.isoformat(), last.isoformat(), center_of)
    previous = _tallies(store, prev_first.isoformat(), prev_last.isoformat(), center_of)
    yesterday_ = (last - timedelta(days=1)).isoformat()
    two_days = _tallies(store, yesterday_, last.isoformat(), center_of, by_day=True)
    day, yesterday = two_days[last.isoformat()], two_days[yesterday_]
    names = sorted({c for c in current} | {c for c in previous} | set(center_of.values()))
    rows = []
    for name in names:
        if not name:
            continue
        figures = _figures(current.get(name, _Tally()), previous.get(name, _Tally()), k)
        figures["today"] = _figures(day.get(name, _Tally()), yesterday.get(name, _Tally()), k)
        rows.append({"center": name, **figures})
    rows.sort(key=lambda r: _sort_key(r, sort), reverse=sort != "center")
    waiting = store.lag()[0]
    return {
        "generated_at": iso(now),
        "window": window.name,
        "since": first.isoformat(),
        "until": last.isoformat(),
        "previous": {"since": prev_first.isoformat(), "until": prev_last.isoformat()},
        "today": last.isoformat(),
        "min_residents": k,
        "complete": waiting == 0,
        "waiting_records": waiting,
        "sort": sort,
        "city": {
            **_figures(current.get("", _Tally()), previous.get("", _Tally()), k),
            "today": _figures(day.get("", _Tally()), yesterday.get("", _Tally()), k),
        },
        "centers": rows,
        "series": _series(store, first, last, k),
    }


def _sort_key(row: dict, sort: str):
    if sort == "center":
        return row["center"]
    value = (
        row["satisfaction"][{"satisfaction": "mean", "nps": "nps"}[sort]]
        if sort
        in (
            "satisfaction",
            "nps",
        )
        else row[sort]
    )
    if isinstance(value, str):  # "<k": below every shown count
        return (0, 0)
    return (1 if value is not None else 0, value or 0)
