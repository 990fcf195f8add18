"""The section chief's front page (`/today`, `/api/today`, `/today.csv`), Japanese first.

Invariants: the same checks as every page (`app`: Host allowlist, token, rate limit, security
headers); query strings validated before the store is touched (`window`, `sort`, `lang`, each
one of its listed values); the CSV holds exactly the centers table of the page, with the same
small-cell suppression ("<k" cells stay "<k"), UTF-8 with a BOM so spreadsheet software on
Windows reads the Japanese; times are Asia/Tokyo.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Flask, Response, jsonify, render_template, request

from sync.central.dashboard.chart import bar_chart, line_chart
from sync.central.dashboard.params import SATISFACTION_WINDOWS, parse_choices
from sync.central.dashboard.today import SORT_KEYS, Labels, today_page
from sync.central.dashboard.words import WEEKDAYS, WORDS

__all__ = ["add_front_page"]

CHOICES = {
    "window": (tuple(SATISFACTION_WINDOWS), "30d"),
    "sort": (SORT_KEYS, "sessions"),
    "lang": (("ja", "en"), "ja"),
}
COLUMNS = (
    ("center", "center"),
    ("sessions", "sessions"),
    ("change", "change"),
    ("done", "done"),
    ("applications", "applications"),
    ("certificates", "certificates"),
    ("satisfaction", "satisfaction"),
    ("nps", "nps"),
    ("today", "today_sessions"),
)


def _day_label(day: str, lang: str) -> str:
    d = date.fromisoformat(day)
    if lang == "ja":
        return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS['ja'][d.weekday()]}）"
    return f"{WEEKDAYS['en'][d.weekday()]} {d.isoformat()}"


def add_front_page(app: Flask, config, *, store, centers, clock, labels: Labels) -> None:
    def data_and_lang() -> tuple[dict, str]:
        pairs = list(request.args.items(multi=True))
        chosen = parse_choices(request.query_string, pairs, CHOICES)
        with store() as s:
            data = today_page(
                s,
                centers(),
                SATISFACTION_WINDOWS[chosen["window"]],
                clock(),
                sort=chosen["sort"],
                min_residents=config.min_residents,
            )
        return data, chosen["lang"]

    def page():
        data, lang = data_and_lang()
        t = WORDS[lang]
        days = [r["day"] for r in data["series"]]
        return render_template(
            "today.html",
            data=data,
            page="today",
            lang=lang,
            other_lang="en" if lang == "ja" else "ja",
            t=t,
            windows=list(SATISFACTION_WINDOWS),
            sort_keys=SORT_KEYS,
            columns=[(key, t[word]) for key, word in COLUMNS],
            today_label=_day_label(data["today"], lang),
            chart_sessions=bar_chart(
                days, [r["sessions"] for r in data["series"]], t["chart_sessions"]
            ),
            chart_mean=line_chart(days, [r["mean"] for r in data["series"]], t["chart_mean"]),
        )

    def api():
        return jsonify(data_and_lang()[0])

    def as_csv():
        data, lang = data_and_lang()
        t = WORDS[lang]
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow([t[word] for _, word in COLUMNS] + [t["responses"]])
        for r in data["centers"]:
            s = r["satisfaction"]
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
