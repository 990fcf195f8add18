"""The specialist console's Flask app: login, the queue, accepting a request, the call page.

Invariants:
- Every page and API call but /login and /static needs a logged-in staff account (signed session
  cookie: HttpOnly, SameSite=Strict); an API call without one is a 401, a page redirects to /login.
  A disabled account's session ends within 10 s; `login_failures` failed logins for a username
  within `login_lock_s` lock it (429) until they age out.
- POSTs to /api/ need `Content-Type: application/json` and, when the browser sends one, an Origin
  equal to the console's own (cross-site forms cannot send either), so no CSRF token is needed.
- A hand-over puts the call back in another topic's queue (the terminal makes a new offer); only
  the staff member holding the call may hand it over, to a known topic other than its own.
- Accepting needs a role of `accounts.ACCEPT_ROLES` (403 otherwise); a request already taken is a
  409; only the staff member who accepted a call may answer or end it.
- The queue shows topic, center, language and waiting time: nothing personal (the terminal sends
  nothing else); the call's header says the resident's language and what to write in. Chat and media never pass here (peer to peer, over the data channel).
- Every response carries `SECURITY_HEADERS` (CSP 'self': the page's script is a static file).
- Each request opens its own store connection and closes it; a store failure is a 503.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field

from flask import Flask, Response, jsonify, redirect, render_template, request, session

from sync.central.consult.accounts import (
    ACCEPT_ROLES,
    ROLES,
    Staff,
    uses_console,
    verify_password,
)
from sync.central.consult.relay import TOPICS, check_sdp
from sync.central.consult.tables import ConsultTables
from sync.central.consult.words import all_words
from sync.central.errors import StoreError
from sync.central.store import Store
from sync.central.stores import open_store

__all__ = ["OUTCOMES", "SECURITY_HEADERS", "ConsoleConfig", "create_app"]

log = logging.getLogger("sync.central.consult")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; media-src 'self' blob: mediastream:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(self)",
}
_SEEN_EVERY_S = 10.0
# 申し送り: a short plain-text note to the next taker of a hand-over (never kept past the call).
NOTE_MAX = 300
OUTCOMES = ("resolved", "booked_follow_up", "referred_to_counter", "handed_over", "dropped")
_DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)


@dataclass(frozen=True)
class ConsoleConfig:
    db: str
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    secure_cookies: bool = False  # True behind TLS (production); tests speak plain HTTP
    max_body_bytes: int = 64 * 1024
    login_failures: int = 5  # failed logins per username within login_lock_s before a lock
    login_lock_s: float = 900.0
    stale_s: float = 20.0  # a waiting terminal that stopped polling this long is dropped
    # ICE servers for the browser (the city's TURN, e.g. coturn). Empty: host candidates only,
    # enough on one LAN — and never a public STUN server by default.
    ice_servers: tuple[dict, ...] = ()
    # Janus's Unix-socket API: calls meet in a VideoRoom, so the holder can invite a second
    # specialist or an interpreter (app_room). None: two parties, peer to peer.
    janus_socket: str | None = None


class _LoginThrottle:
    """Failed logins per username (known or not, so the lock tells nothing about which exist):
    after `limit` failures within `window_s` the username is locked until the oldest ages out.
    Per console process: several processes each count (documented)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, username: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(username, []) if now - t < self.window_s]
        if times:
            self._failures[username] = times
        else:
            self._failures.pop(username, None)
        return times

    def locked(self, username: str, now: float) -> bool:
        with self._lock:
            return len(self._recent(username, now)) >= self.limit

    def failed(self, username: str, now: float) -> None:
        with self._lock:
            if len(self._failures) > 10_000:  # bounded memory under a spray of usernames
                self._failures.clear()
            self._failures.setdefault(username, []).append(now)

    def reset(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)


def create_app(config: ConsoleConfig, *, clock: Callable[[], float] = time.time) -> Flask:
    here = os.path.dirname(__file__)
    app = Flask(
        __name__,
        template_folder=os.path.join(here, "templates"),
        static_folder=os.path.join(here, "static"),
    )
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=config.max_body_bytes,
    )

    throttle = _LoginThrottle(config.login_failures, config.login_lock_s)
    rooms = None
    if config.janus_socket:
        from sync.central.consult.app_room import add_room_routes
        from sync.central.consult.janus import Rooms

        rooms = Rooms.connect(config.janus_socket)
        app.extensions["consult_rooms"] = rooms

    def tables() -> closing[Store]:
        return closing(open_store(config.db))

    def current() -> Staff | None:
        user = session.get("user")
        if not isinstance(user, dict):
            return None
        return Staff(user["username"], tuple(user["roles"]), user["display_name"])

    def api_error(status: int, reason: str) -> Response:
        response = jsonify({"ok": False, "reason": reason})
        response.status_code = status
        return response

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.errorhandler(StoreError)
    def store_failed(e: StoreError):
        log.warning("consult console: store failed (%s)", e.operation)
        if request.path.startswith("/api/"):
            return api_error(503, "store_unavailable")
        return render_template("login.html", error="store", roles=ROLES), 503

    @app.before_request
    def guard():
        if request.endpoint in ("login", "static"):
            return None
        staff = current()
        if staff is None:
            if request.path.startswith("/api/"):
                return api_error(401, "login_required")
            return redirect("/login")
        now = clock()
        if now - session.get("seen_at", 0) >= _SEEN_EVERY_S:  # presence, one write per 10 s
            with tables() as store:
                enabled = ConsultTables(store).seen(staff.username, now)
            if not enabled:  # disabled (or removed) since login: out within 10 s
                session.clear()
                if request.path.startswith("/api/"):
                    return api_error(401, "login_required")
                return redirect("/login")
            session["seen_at"] = now
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin is not None and origin != request.host_url.rstrip("/"):
                return api_error(403, "foreign_origin")
            if not request.is_json:
                return api_error(415, "json_required")
        return None

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return render_template("login.html", error=None, roles=ROLES)
        username = request.form.get("username", "")[:64]
        password = request.form.get("password", "")[:512]
        now = clock()
        if throttle.locked(username, now):
            log.info("consult console: login refused, too many failures")
            return render_template("login.html", error="locked", roles=ROLES), 429
        with tables() as store:
            found = ConsultTables(store).staff(username)
        # Hash even for an unknown user, so timing does not tell which usernames exist.
        ok = verify_password(password, found[1] if found else _DUMMY_HASH) and found is not None
        if not ok:
            throttle.failed(username, now)
            log.info("consult console: failed login")
            return render_template("login.html", error="credentials", roles=ROLES), 401
        staff = found[0]
        throttle.reset(username)
        if not uses_console(staff.roles):  # a dashboard-only account: the password was right
            log.info("consult console: %s has no console role", staff.username)
            return render_template("login.html", error="no_console_role", roles=ROLES), 403
        session.clear()
        session["user"] = {
            "username": staff.username,
            "roles": list(staff.roles),
            "display_name": staff.display_name,
        }
        log.info("consult console: %s logged in", staff.username)
        return redirect("/")

    @app.post("/logout")
    def logout():
        session.clear()
        return jsonify({"ok": True})

    @app.get("/")
    def console():
        staff = current()
        return render_template(
            "console.html",
            staff=staff,
            may_accept=staff.may_accept,
            rooms=rooms is not None,
            roles=ROLES,
            outcomes=OUTCOMES,
            topics=TOPICS,
            words=all_words(),
        )

    @app.get("/api/queue")
    def queue():
        now = clock()
        with tables() as store:
            rows = ConsultTables(store).waiting(now, config.stale_s)
        return jsonify(
            {
                "ok": True,
                "may_accept": current().may_accept,
                "requests": [
                    {
                        "id": c.id,
                        "topic": c.topic,
                        "center": c.center,
                        "language": c.language,
                        "waiting_s": max(0, int(now - c.queued_at)),
                    }
                    for c in rows
                ],
            }
        )

    def _call(cid: str):
        if len(cid) != 32 or not cid.isalnum():
            return None
        with tables() as store:
            return ConsultTables(store).get(cid)

    @app.post("/api/accept/<cid>")
    def accept(cid: str):
        staff = current()
        if not staff.may_accept:
            return api_error(403, "role_may_not_accept")
        c = _call(cid)
        if c is None:
            return api_error(404, "unknown_consultation")
        role = next(r for r in staff.roles if r in ACCEPT_ROLES)
        with tables() as store:
            offer = ConsultTables(store).accept(cid, staff, role, clock())
        if offer is None:
            return api_error(409, "already_taken")
        log.info("consult %s accepted by %s (%s)", cid[:8], staff.username, role)
        with tables() as store:
            note = ConsultTables(store).take_note(cid, staff.username)
        return jsonify(
            {
                "ok": True,
                "offer": offer,
                "note": note,
                # the call's header: what the resident reads, and where they are
                "language": c.language,
                "center": c.center,
                "room": rooms is not None,
                "ice_servers": list(config.ice_servers),
            }
        )

    def _own_call(cid: str):
        c = _call(cid)
        if c is None:
            return None, api_error(404, "unknown_consultation")
        if c.accepted_by != current().username:
            return None, api_error(403, "not_your_call")
        return c, None

    @app.post("/api/answer/<cid>")
    def answer(cid: str):
        c, refused = _own_call(cid)
        if refused:
            return refused
        body = request.get_json(silent=True)
        sdp = check_sdp(body.get("sdp") if isinstance(body, dict) else None, "answer")
        if sdp is None:
            return api_error(400, "bad_answer")
        with tables() as store:
            live = ConsultTables(store).add_signal(cid, "console", "answer", sdp, clock())
        if not live:
            return api_error(409, "call_ended")
        return jsonify({"ok": True})

    @app.post("/api/handover/<cid>")
    def handover(cid: str):
        c, refused = _own_call(cid)
        if refused:
            return refused
        body = request.get_json(silent=True)
        topic = body.get("topic") if isinstance(body, dict) else None
        if topic not in TOPICS or topic == c.topic:
            return api_error(400, "unknown_topic")
        note = body.get("note", "")
        if (
            not isinstance(note, str)
            or len(note) > NOTE_MAX
            or not note.replace("\n", "").isprintable()
        ):
            return api_error(400, "bad_note")
        with tables() as store:
            done = ConsultTables(store).handover(
                cid, current().username, topic, clock(), note.strip()
            )
        if not done:
            return api_error(409, "call_ended")
        _close_room(c)
        log.info("consult %s handed over to %s", cid[:8], topic)
        return jsonify({"ok": True, "state": "handover", "topic": topic})

    @app.get("/api/call/<cid>")
    def call_state(cid: str):
        c, refused = _own_call(cid)
        if refused:
            return refused
        return jsonify({"ok": True, "state": c.state, "ended_by": c.ended_by or ""})

    @app.post("/api/hangup/<cid>")
    def hangup(cid: str):
        c, refused = _own_call(cid)
        if refused:
            return refused
        body = request.get_json(silent=True)
        outcome = body.get("outcome") if isinstance(body, dict) else None
        if outcome not in OUTCOMES:
            return api_error(400, "unknown_outcome")
        with tables() as store:
            ConsultTables(store).end(cid, "console", outcome, clock())
        _close_room(c)
        return jsonify({"ok": True, "state": "ended"})

    def _close_room(c) -> None:
        """Everyone out of the call's room (its holder handed over or ended it)."""
        if rooms is None:
            return
        from sync.central.consult.errors import JanusError
        from sync.central.consult.janus import room_id

        try:
            rooms.close_room(room_id(c.id, c.handovers))
        except JanusError as e:
            log.warning("consult %s: closing the room failed (%s)", c.id[:8], e.code)

    if rooms is not None:
        add_room_routes(
            app,
            rooms,
            tables=tables,
            current=current,
            api_error=api_error,
            clock=clock,
            ice_servers=config.ice_servers,
        )
    return app
