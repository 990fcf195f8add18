"""Staff logins for the dashboard (`central dashboard --staff-login`), with the accounts of the
consultation console (`sync.central.staff_accounts`: one table, roles `dashboard` for the whole
city and `dashboard:<center>` for one center).

Invariants:
- With staff logins on, every page and API answer needs either a session of an enabled account
  with a dashboard role, or (machine access: CSV, monitoring) the configured token as before.
  Without either: pages redirect to /login, /api answers 401. /login and the static files are
  open.
- A center account sees its own center only: /center and /api/center for that center's name
  (and the CSV of it), nothing of other centers and no city-wide page (403).
- The session cookie is signed, HttpOnly, SameSite=Strict (Secure behind TLS), lives 8 hours,
  and names the account only; the account is read again at most every `recheck_s` seconds, so
  disabling it or taking its dashboard role away ends the session within that time.
- Failed logins are limited per client address and per username (`LoginLimiter`): the same
  answer and the same password hashing work for unknown users and wrong passwords.
- The store is read through the dashboard's read-only reader; nothing here writes.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote, urlsplit

from flask import Flask, g, jsonify, redirect, render_template, request, session

from sync.central.dashboard.auth import LoginLimiter, authorized
from sync.central.staff_accounts import dashboard_scope, read_account, verify_password

__all__ = ["install_staff_login"]

log = logging.getLogger("sync.central.dashboard")

_OPEN = ("login", "static")
_CENTER_PATHS = ("/center", "/api/center", "/logout")
# Hashed once: checked against for unknown usernames so timing does not tell who exists.
_DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)


def install_staff_login(
    app: Flask,
    *,
    store: Callable,
    token: str | None,
    limiter: LoginLimiter,
    monotonic: Callable[[], float],
    secret_key: bytes | None = None,
    secure_cookies: bool = False,
    recheck_s: float = 10.0,
) -> None:
    """Register /login, /logout and the gate (run after the Host check)."""
    app.secret_key = secret_key or secrets.token_bytes(32)
    app.config.update(
        SESSION_COOKIE_NAME="madoguchi_dashboard",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    )

    def account_scope(username: str) -> str | None:
        with store() as reader:
            found = read_account(reader, username)
        return dashboard_scope(found[1]) if found else None

    def refused(status: int, reason: str):
        if request.path.startswith("/api/"):
            response = jsonify(error=reason, status=status)
            response.status_code = status
            return response
        # Only a page the user navigates to is sent to the login page: a favicon, image or
        # script request redirected there would start a session of its own and overwrite the
        # login form's (browsers do not always send cookies with them).
        navigating = request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
        if status == 401 and (not navigating or request.path == "/favicon.ico"):
            return "login required", 401
        if status == 401:
            target = request.full_path.rstrip("?") if request.method == "GET" else "/"
            return redirect("/login?next=" + _safe_next(target), code=303)
        body = render_template("error.html", status=status, message=reason, page=None, lang="ja")
        return body, status

    @app.before_request
    def gate():
        if request.endpoint in _OPEN:
            return None
        user = session.get("user")
        if isinstance(user, dict) and isinstance(user.get("name"), str):
            now = monotonic()
            if now - float(user.get("checked", 0)) > recheck_s:
                scope = account_scope(user["name"])
                if scope is None:  # disabled, gone, or no dashboard role any more
                    session.clear()
                    log.info("dashboard: a session ended (account disabled or role removed)")
                    return refused(401, "login required")
                user.update(scope=scope, checked=now)
                session["user"] = user
            g.dashboard_user, g.dashboard_scope = user["name"], user["scope"]
        elif token is not None and request.headers.get("Authorization"):
            client = request.remote_addr or "?"
            if limiter.retry_after(client, monotonic()) is not None:
                return refused(429, "too many failed logins; try again later")
            if not authorized(request.headers.get("Authorization"), token):
                limiter.failed(client, monotonic())
                return refused(401, "login required")
            limiter.succeeded(client)
            g.dashboard_user, g.dashboard_scope = None, ""
        else:
            return refused(401, "login required")
        if g.dashboard_scope and not _center_allowed(g.dashboard_scope):
            return refused(
                403, "この画面は市全体の担当者のものです（あなたのセンターの画面だけ見られます）"
            )
        return None

    def form(error: str | None, next_path: str, status: int = 200):
        """The login page, with a form nonce in the (SameSite=Strict) session: a login
        posted from another site carries no session, so it cannot log a staff browser into
        someone else's account. (The Origin header cannot serve: with Referrer-Policy
        no-referrer, browsers send `Origin: null` for their own forms.)"""
        # One nonce per browser session, not per page: a browser loads /login more than once
        # behind the user's back (its favicon request is redirected there too).
        session.setdefault("login_nonce", secrets.token_urlsafe(16))
        page = render_template(
            "login.html", error=error, next=next_path, page=None, lang="ja", hide_nav=True
        )
        return page, status

    @app.route("/login", methods=["GET", "POST"])
    def login():
        next_path = _safe_next(request.values.get("next", "/today"))
        if request.method == "GET":
            return form(None, next_path)
        origin = request.headers.get("Origin")
        nonce = session.get("login_nonce")
        foreign = origin not in (None, "null", request.host_url.rstrip("/"))
        if foreign or not nonce or request.form.get("nonce") != nonce:
            return form("again", next_path, 403)
        username = request.form.get("username", "")[:64]
        password = request.form.get("password", "")[:512]
        client = request.remote_addr or "?"
        now = monotonic()
        if any(limiter.retry_after(key, now) is not None for key in (client, "user:" + username)):
            log.info("dashboard: login refused, too many failures")
            return form("locked", next_path, 429)
        with store() as reader:
            found = read_account(reader, username)
        ok = verify_password(password, found[3] if found else _DUMMY_HASH) and found is not None
        scope = dashboard_scope(found[1]) if ok and found else None
        if scope is None:
            for key in (client, "user:" + username):
                limiter.failed(key, now)
            log.info("dashboard: failed login")
            return form("no_role" if ok else "credentials", next_path, 403 if ok else 401)
        limiter.succeeded(client)
        limiter.succeeded("user:" + username)
        session.clear()
        session.permanent = True
        session["user"] = {"name": found[0], "scope": scope, "checked": now}
        log.info("dashboard: %s logged in", found[0])
        if scope and not next_path.startswith("/center"):
            next_path = "/center?name=" + quote(scope, safe="")
        return redirect(next_path, code=303)

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect("/login", code=303)

    @app.context_processor
    def who():
        scope = getattr(g, "dashboard_scope", "")
        home = "/center?name=" + quote(scope, safe="") if scope else "/today"
        return {
            "staff_user": getattr(g, "dashboard_user", None),
            "staff_center": scope,
            "home_path": home,
        }


def _center_allowed(center: str) -> bool:
    if request.path not in _CENTER_PATHS:
        return False
    return request.path == "/logout" or request.args.get("name") == center


def _safe_next(target: str) -> str:
    """Only a path of this site (no scheme, no host, no `//`): never an open redirect."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/today"
    return target[:512]
