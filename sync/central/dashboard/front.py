"""The section chief's front page (`/today`, `/api/today`, `/today.csv`) and a center's page
(`/center`, `/api/center`: the drill-down from a center's row), Japanese first.

Invariants: the same checks as every page (`app`: Host allowlist, token, rate limit, security
headers); query strings validated before the store is touched (`window`, `sort`, `lang`, each
one of its listed values; `/center`'s `name` must be a center the store or the registry
knows, else 404); the CSV holds exactly the centers table of the page, with the same
small-cell suppression ("<k" cells stay "<k"), UTF-8 with a BOM so spreadsheet software on
Windows reads the Japanese; times are Asia/Tokyo.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import Flask, Response, abort, jsonify, render_template, request

from sync.central.dashboard.chart import bar_chart, line_chart
from sync.central.dashboard.errors import BadQueryError
from sync.central.dashboard.params import SATISFACTION_WINDOWS, check_query, parse_choices
from sync.central.dashboard.queries import _center_of
from sync.central.dashboard.service import attention, consultations, service_figures
from sync.central.dashboard.today import SORT_KEYS, Labels, center_series, today_page
from sync.central.dashboard.words import WEEKDAYS, WORDS

__all__ = ["add_front_page"]

CHOICES = {
    "window": (tuple(SATISFACTION_WINDOWS), "30d"),
    "sort": (SORT_KEYS, "sessions"),
    "lang": (("ja", "en"), "ja"),
}
# The centers table's columns: (sort key, the heading's short word, its full name). The page
# shows the short word (the table has twelve columns: a long heading would wrap inside a word)
# with the full name as its title; the CSV has the full names.
COLUMNS = (
    ("center", "center", "center"),
    ("sessions", "sessions", "sessions"),
    ("change", "change", "change"),
    ("done", "col_done", "done"),
    ("applications", "col_applications", "applications"),
    ("certificates", "col_certificates", "certificates"),
    ("satisfaction", "col_satisfaction", "satisfaction"),
    ("nps", "nps", "nps"),
    ("today", "col_today", "today_sessions"),
    ("wait", "col_wait", "wait_col"),
    ("assisted", "col_assisted", "assisted_col"),
    ("calls", "col_calls", "calls_col"),
)
_CENTER_NAME_MAX = 200


def _day_label(day: str, lang: str) -> str:
    d = date.fromisoformat(day)
    if lang == "ja":
        return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS['ja'][d.weekday()]}）"
    return f"{WEEKDAYS['en'][d.weekday()]} {d.isoformat()}"


def _minutes(seconds) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def _ago(seconds, t: dict) -> str:
    if seconds is None:
        return t["never"]
    if seconds < 60:
        return t["ago_now"]
    if seconds < 2 * 3600:
        return t["ago_min"].format(n=max(0, int(seconds // 60)))
    if seconds < 2 * 86400:
        return t["ago_h"].format(n=int(seconds // 3600))
    return t["ago_d"].format(n=int(seconds // 86400))


class _OneCenter:
    """The store reader seen through one center's devices: its sums read only their rows (a
    center's page then reads a thirty-fifth of the summaries); everything else as it is."""

    def __init__(self, store, devices: list[str]) -> None:
        self._store, self._devices = store, devices

    def summed(self, metric, keys, first, last):
        return self._store.summed(metric, keys, first, last, devices=self._devices)

    def summed_many(self, metrics, keys, first, last):
        return self._store.summed_many(metrics, keys, first, last, devices=self._devices)

    def __getattr__(self, name):
        return getattr(self._store, name)


def add_front_page(app: Flask, config, *, store, centers, clock, labels: Labels) -> None:
    target_s = config.target_wait_min * 60.0
    offline_s = config.offline_after_hours * 3600

    def gather(
        chosen: dict,
        full: bool = True,
        center_times: bool = False,
        only: str | None = None,
        also=None,
    ) -> dict:
        """The front page's figures: today_page plus waits, staff calls, assisted sessions and
        (`full`: not for the CSV, which holds the centers table only) consultations, terminals
        and the city's daily waits, in one store connection; `also(store, data)` reads more
        through the same connection (a center's daily series: one connection per request)."""
        known = centers()
        center_of = _center_of(known)
        k = config.min_residents
        with store() as opened:
            s = opened
            if only is not None:  # one center's page: its devices' rows only
                devices = [d for d, c in center_of.items() if c == only] or [only]
                known = {d: c for d, c in known.items() if d in devices}
                center_of = {d: c for d, c in center_of.items() if d in devices}
                s = _OneCenter(opened, devices)
            data = today_page(
                s,
                known,
                SATISFACTION_WINDOWS[chosen["window"]],
                clock(),
                sort=chosen["sort"],
                min_residents=k,
            )
            svc = service_figures(
                s,
                center_of,
                data["since"],
                data["until"],
                k=k,
                target_wait_s=target_s,
                center_times=center_times,
            )
            if full:
                data["consultations"] = consultations(s, data["since"], data["until"], k)
                data["terminals"] = attention(s, known, center_of, clock(), offline_s)
            if also is not None:
                also(opened, data)
        empty = service_figures_empty(svc)
        for row in data["centers"]:
            row["service"] = svc["centers"].get(row["center"], empty)
        data["service"] = {key: svc[key] for key in ("target_wait_min", "city", "by_service")}
        return data

    def data_and_lang(full: bool = True) -> tuple[dict, str]:
        pairs = list(request.args.items(multi=True))
        chosen = parse_choices(request.query_string, pairs, CHOICES)
        return gather(chosen, full), chosen["lang"]

    def render_page(template: str, data: dict, lang: str, **extra) -> str:
        t = WORDS[lang]
        return render_template(
            template,
            data=data,
            page="today",
            lang=lang,
            other_lang="en" if lang == "ja" else "ja",
            t=t,
            windows=list(SATISFACTION_WINDOWS),
            sort_keys=SORT_KEYS,
            columns=[(key, t[short], t[full]) for key, short, full in COLUMNS],
            today_label=_day_label(data["today"], lang),
            name_of=lambda ident: labels.name(ident, lang),
            minutes=_minutes,
            ago=lambda seconds: _ago(seconds, t),
            **extra,
        )

    def page():
        data, lang = data_and_lang()
        t = WORDS[lang]
        days = [r["day"] for r in data["series"]]
        return render_page(
            "today.html",
            data,
            lang,
            chart_sessions=bar_chart(
                days, [r["sessions"] for r in data["series"]], t["chart_sessions"]
            ),
            chart_mean=line_chart(days, [r["mean"] for r in data["series"]], t["chart_mean"]),
            chart_wait=bar_chart(
                days,
                [r["wait_min"] for r in data["series"]],
                t["chart_wait"],
            ),
        )

    def center_data() -> tuple[dict, str, str]:
        pairs = list(request.args.items(multi=True))
        params = check_query(request.query_string, pairs, {"name", "window", "lang"})
        name = params.get("name", "")
        if not name or len(name) > _CENTER_NAME_MAX:
            raise BadQueryError("name must name a center (at most 200 characters)")
        chosen = {"sort": "center"}
        for key in ("window", "lang"):
            allowed, default = CHOICES[key]
            chosen[key] = params.get(key, default)
            if chosen[key] not in allowed:
                raise BadQueryError(f"{key} must be one of " + ", ".join(allowed))
        devices = [d for d, c in _center_of(centers()).items() if c == name] or [name]
        days: dict = {}

        def series_of(s, data: dict) -> None:
            # Day by day for at most the last 90 days: a center's day rows are read from among
            # every device's, so a year of them would cost a second.
            days["since"] = max(
                data["since"], (date.fromisoformat(data["until"]) - timedelta(days=89)).isoformat()
            )
            days["series"] = center_series(
                s, days["since"], data["until"], devices, config.min_residents
            )

        data = gather(chosen, center_times=True, only=name, also=series_of)
        row = next((r for r in data["centers"] if r["center"] == name), None)
        if row is None:
            abort(404, WORDS[chosen["lang"]]["unknown_center"])
        since, series = days["since"], days["series"]
        data.update(
            center=row,
            center_series=series,
            center_series_capped=since != data["since"],
            terminals=[r for r in data["terminals"] if r["center"] == name],
            consultations_center=data["consultations"]["centers"].get(name),
        )
        return data, chosen["lang"], name

    def center_page():
        data, lang, name = center_data()
        t = WORDS[lang]
        days = [r["day"] for r in data["center_series"]]
        return render_page(
            "center.html",
            data,
            lang,
            name=name,
            chart_sessions=bar_chart(
                days,
                [r["sessions"] for r in data["center_series"]],
                t["chart_center_sessions"].format(c=name),
            ),
        )

    def center_api():
        return jsonify(center_data()[0])

    def api():
        return jsonify(data_and_lang()[0])

    def as_csv():
        data, lang = data_and_lang(full=False)
        t = WORDS[lang]
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow([t[full] for _, _, full in COLUMNS] + [t["responses"]])
        for r in data["centers"]:
            s = r["satisfaction"]
            svc = r["service"]
            writer.writerow(
                [
                    r["center"],
                    r["sessions"],
                    "" if r["change"]["sessions"] is None else r["change"]["sessions"],
                    r["done"],
                    r["applications"],
                    r["certificates"],
                    "" if s["mean"] is None else s["mean"],
                    "" if s["nps"] is None else s["nps"],
                    r["today"]["sessions"],
                    "" if svc["waits"]["median_s"] is None else _minutes(svc["waits"]["median_s"]),
                    ""
                    if svc["assisted"]["assisted_pct"] is None
                    else svc["assisted"]["assisted_pct"],
                    svc["staff_calls"]["calls"],
                    s["responses"],
                ]
            )
        name = f"madoguchi-centers-{data['since']}-{data['until']}.csv"
        return Response(
            out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # Browsers ask for it on every page; an empty answer keeps their consoles free of 404s.
    app.add_url_rule("/favicon.ico", "favicon", lambda: Response(status=204), methods=["GET"])
    app.add_url_rule("/today", "today", page, methods=["GET"])
    app.add_url_rule("/api/today", "api_today", api, methods=["GET"])
    app.add_url_rule("/today.csv", "today_csv", as_csv, methods=["GET"])
    app.add_url_rule("/center", "center", center_page, methods=["GET"])
    app.add_url_rule("/api/center", "api_center", center_api, methods=["GET"])


def service_figures_empty(svc: dict) -> dict:
    """A center with no waits, calls or sessions in the window: every figure empty."""
    none = {"count": 0, "median_s": None, "p90_s": None}
    return {
        "waits": {**none, "within_pct": None},
        "handling": dict(none),
        "staff_calls": {"calls": 0, **none},
        "assisted": {"assisted": 0, "self": 0, "assisted_pct": None},
    }
