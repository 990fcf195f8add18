"""The dashboard's Flask app: four read-only pages and the same data as JSON under /api/.

Invariants:
- GET (and HEAD) only; every response, errors included, carries the security headers of
  `SECURITY_HEADERS` (CSP default-src 'self', no framing, no sniffing, no caching, no referrer).
- Every request first needs a `Host` header on the allowlist (`auth.host_allowed`; else 421),
  so a DNS-rebinding page cannot read `/api/...`.
- With a token configured every request, static files included, needs it (`auth.authorized`);
  a refused request gets 401 with a Basic challenge so a browser asks for it. A client with too
  many failed tries gets 429 with `Retry-After` until its lockout ends (`auth.LoginLimiter`).
- Counts of residents under `min_residents` are shown as "<k" on every page (`queries.small`).
- Query strings are validated before any store access (`params`); a bad one is a 400 that says
  what is accepted. A store that cannot be read is a 503; any other failure is a 500 whose log
  line names the exception type and the page, nothing else. The server keeps serving.
- Each request opens its own read-only store connection (`readonly_store`) and closes it.
- Templates are autoescaped and show aggregates only (see `queries`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from sync.central.dashboard import queries
from sync.central.dashboard.auth import LOOPBACK_HOSTS, LoginLimiter, authorized, host_allowed
from sync.central.dashboard.errors import BadQueryError
from sync.central.dashboard.params import (
    PROCEDURE_WINDOWS,
    SATISFACTION_WINDOWS,
    SHELTER_WINDOWS,
    check_query,
    parse_window,
)
from sync.central.dashboard.queries import Center
from sync.central.dashboard.readonly_store import open_readonly
from sync.central.dashboard.today import Labels
from sync.central.errors import StoreError
from sync.central.summary_rows import TOKYO

__all__ = ["SECURITY_HEADERS", "DashboardConfig", "create_app"]

log = logging.getLogger("sync.central.dashboard")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

PAGES = (
    ("today", "/today", "Today", "きょうの状況"),
    ("overview", "/", "Terminals", "端末の状態"),
    ("satisfaction", "/satisfaction", "Satisfaction", "満足度"),
    ("procedures", "/procedures", "Procedures", "手続き"),
    ("shelter", "/shelter", "Shelter", "避難所"),
)


@dataclass(frozen=True)
class DashboardConfig:
    """What the dashboard reads and how it judges: store, token, thresholds and bounds."""

    db: str
    token: str | None = None
    offline_after_hours: float = 24.0
    min_cell: int = 3  # survey groups with fewer responses show their count only
    max_rows: int = 200_000  # survey / metric rows read per page at most
    query_timeout_s: float = 10.0
    refresh_s: int = 60  # pages reload themselves (meta refresh); 0: never
    min_residents: int = 10  # counts of residents under this show as "<k"
    # Host headers answered (an entry without a port allows any port); the CLI adds the listen
    # address and every --allowed-host.
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    login_max_failures: int = 10  # failed logins per client within login_window_s ...
    login_window_s: float = 300.0
    login_lockout_s: float = 300.0  # ... lock it out this long
    target_wait_min: float = 15.0  # the front page's share of tickets called within this wait
    # Staff logins with the consultation console's accounts (roles dashboard / dashboard:<center>);
    # the token, when set, still admits machine access. See staff_login.
    staff_login: bool = False
    secure_cookies: bool = False  # behind a TLS proxy
    secret_key: bytes | None = None  # signs the session cookie; None: random per process

    def __post_init__(self) -> None:
        if not 1 <= self.min_residents <= 1000:
            raise ValueError("min_residents must be in [1, 1000]")
        if not self.allowed_hosts or not all(isinstance(h, str) and h for h in self.allowed_hosts):
            raise ValueError("allowed_hosts must name at least one host")
        if not 0 < self.offline_after_hours <= 24 * 365:
            raise ValueError("offline_after_hours must be in (0, 8760]")
        if not 1 <= self.min_cell <= 1000:
            raise ValueError("min_cell must be in [1, 1000]")
        if not 1 <= self.max_rows <= 10_000_000:
            raise ValueError("max_rows must be in [1, 10000000]")
        if not 0 < self.query_timeout_s <= 300:
            raise ValueError("query_timeout_s must be in (0, 300]")
        if not 0 < self.target_wait_min <= 24 * 60:
            raise ValueError("target_wait_min must be in (0, 1440]")
        if not 0 <= self.refresh_s <= 86400:
            raise ValueError("refresh_s must be in [0, 86400]")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _local(iso_utc: str | None) -> str:
    if not iso_utc:
        return "—"
    moment = datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone(TOKYO)
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def _hours(value: float) -> str:
    return f"{value:g}"


def _signed(value: float) -> str:
    rounded = round(value)
    return f"{rounded:+d}" if rounded else "0"


def create_app(
    config: DashboardConfig,
    *,
    centers: Callable[[], Mapping[str, Center]] = dict,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
    labels: Labels | None = None,
) -> Flask:
    """The WSGI app. `centers()` maps device ids to their center (from the registry of
    enrolled devices; empty: device ids are shown instead). `monotonic` times login lockouts."""
    limiter = LoginLimiter(
        max_failures=config.login_max_failures,
        window_s=config.login_window_s,
        lockout_s=config.login_lockout_s,
    )
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=1024)
    app.json.sort_keys = True
    app.json.ensure_ascii = False
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(age=_age, local=_local, signed=_signed, hours=_hours)
    app.jinja_env.globals.update(
        pages=PAGES, refresh_s=config.refresh_s, min_residents=config.min_residents
    )
    offline_after_s = config.offline_after_hours * 3600
    shown_labels = labels or Labels()  # catalog names of ids on every page

    def store():
        return closing(open_readonly(config.db, config.query_timeout_s))

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    def error(status: int, message: str) -> Response:
        if wants_json():
            response = jsonify(error=message, status=status)
            response.status_code = status
            return response
        body = render_template("error.html", status=status, message=message, page=None)
        return Response(body, status=status, mimetype="text/html")

    @app.before_request
    def check_host():
        if not host_allowed(request.headers.get("Host"), config.allowed_hosts):
            log.info("request refused: Host not on the allowlist")
            return error(421, "this dashboard does not answer for that host name")
        return None

    @app.before_request
    def check_token():
        if config.token is None or config.staff_login:  # staff_login's gate checks both
            return None
        client = request.remote_addr or "?"
        wait = limiter.retry_after(client, monotonic())
        if wait is not None:
            log.info("request refused: too many failed logins from this client")
            response = error(429, "too many failed logins; try again later")
            response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            return response
        if not authorized(request.headers.get("Authorization"), config.token):
            if request.headers.get("Authorization"):  # a browser's first, bare request is no try
                limiter.failed(client, monotonic())
            log.info("request refused: no valid credentials")
            response = error(401, "authorization required (Bearer token or Basic password)")
            response.headers.add(
                "WWW-Authenticate", 'Basic realm="Madoguchi dashboard", charset="UTF-8"'
            )
            response.headers.add("WWW-Authenticate", 'Bearer realm="Madoguchi dashboard"')
            return response
        limiter.succeeded(client)
        return None

    if config.staff_login:
        from sync.central.dashboard.staff_login import install_staff_login

        install_staff_login(
            app,
            store=store,
            token=config.token,
            limiter=limiter,
            monotonic=monotonic,
            secret_key=config.secret_key,
            secure_cookies=config.secure_cookies,
        )

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        response.headers.pop("Last-Modified", None)
        response.headers.pop("ETag", None)
        return response

    @app.errorhandler(BadQueryError)
    def bad_query(e: BadQueryError):
        return error(400, str(e))

    @app.errorhandler(StoreError)
    def store_unavailable(e: StoreError):
        log.warning("central store not readable (%s)", e.operation)
        return error(503, "the central store cannot be read right now; try again shortly")

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        return error(e.code or 500, e.name)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.error("page %s failed: %s", request.endpoint, type(e).__name__)
        return error(500, "internal error; the details are in the server log")

    def raw_query() -> tuple[bytes, list[tuple[str, str]]]:
        return request.query_string, list(request.args.items(multi=True))

    def overview_data() -> dict:
        check_query(*raw_query(), set())
        with store() as s:
            return queries.overview(s, centers(), clock(), offline_after_s)

    def satisfaction_data() -> dict:
        window = parse_window(*raw_query(), SATISFACTION_WINDOWS, "30d")
        with store() as s:
            return queries.satisfaction_page(
                s,
                centers(),
                window,
                clock(),
                min_cell=config.min_cell,
                max_rows=config.max_rows,
                min_residents=config.min_residents,
            )

    def procedures_data() -> dict:
        window = parse_window(*raw_query(), PROCEDURE_WINDOWS, "30d")
        with store() as s:
            return queries.procedures(
                s,
                centers(),
                window,
                clock(),
                max_rows=config.max_rows,
                min_residents=config.min_residents,
            )

    def shelter_data() -> dict:
        window = parse_window(*raw_query(), SHELTER_WINDOWS, "24h")
        with store() as s:
            return queries.shelter(
                s, centers(), window, clock(), offline_after_s, config.min_residents
            )

    sources = {
        "overview": (overview_data, None),
        "satisfaction": (satisfaction_data, SATISFACTION_WINDOWS),
        "procedures": (procedures_data, PROCEDURE_WINDOWS),
        "shelter": (shelter_data, SHELTER_WINDOWS),
    }

    def add_page(name: str, path: str) -> None:
        data_of, windows = sources[name]

        def page():
            data = data_of()
            # Per-center cells of each submission total, grouped once here: the template used
            # to filter every cell for every total (quadratic: 38 ms of a 90-day page).
            by_item: dict = {}
            for cell in data.get("submissions", ()):
                by_item.setdefault((cell["kind"], cell["item"]), []).append(cell)
            return render_template(
                f"{name}.html",
                data=data,
                page=name,
                windows=list(windows or ()),
                by_item=by_item,
                name_of=lambda ident: shown_labels.name(ident, "ja"),
            )

        def api():
            return jsonify(data_of())

        app.add_url_rule(path, name, page, methods=["GET"])
        app.add_url_rule(f"/api/{name}", f"api_{name}", api, methods=["GET"])

    for name, path, *_ in PAGES:
        if name in sources:
            add_page(name, path)
    from sync.central.dashboard.front import add_front_page  # the section chief's page

    add_front_page(app, config, store=store, centers=centers, clock=clock, labels=shown_labels)
    return app
