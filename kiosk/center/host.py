"""The center's queue host as a web app: the terminals' API, the staff console, the calling display.

Guarantees:
- Terminals authenticate with the center's terminal token (Bearer, compared in constant time);
  staff log in with the center's staff PIN (the same PBKDF2 hash as the kiosk's staff mode, from
  the signed config bundle when it carries one); `max_pin_failures` wrong PINs lock the login for
  `lockout_s`. Console actions need the session's CSRF token in a header (and the cookie is
  SameSite=Strict, HttpOnly).
- The calling display and `/api/board` are public inside the center: they show ticket labels,
  counters and counts only, never anything personal, and the notices of `kiosk.center.notices`,
  which only a logged-in staff member (CSRF) or the signed config bundle can add; `/notices` is
  the same notices as a page to print.
- Bad input gets HTTP 400 with a one-word `error` code and changes nothing; an unexpected error is
  logged by class name and answered 500, never a traceback.
- After every change the host hands new events to its outbox sink; a sink that refuses keeps
  them for the next change (see `CenterQueue.flush`).
- Works offline: every asset (pages, script, style, chime) is served by the host itself.
- Booking slots live at central (`sync.central.slot_admin`): a logged-in staff member lists,
  opens and closes a day's slots through `online` (the host terminal's online requests); when
  central cannot be reached the console is told `offline` (503) and nothing changes.
- A booking slip's reference is looked up at central (`consultation.booking_status`: confirmed,
  moved, callback or still pending) and its slip reprinted on the host terminal's roll with what
  central decided; a booking central has not decided yet is not reprinted as if it were. The
  console also lists the center's bookings central moved or turned into a callback (last day).
"""

from __future__ import annotations

import hmac
import io
import logging
import math
import secrets
import struct
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, render_template, request, session

from kiosk.center.calls import StaffCalls
from kiosk.center.errors import CenterConfigError, CenterError, QueueInputError
from kiosk.center.notices import KINDS as NOTICE_KINDS
from kiosk.center.notices import NoticeBoard
from kiosk.center.queue import SERVICES, CenterQueue
from kiosk.center.shelter import AGE_GROUPS, NEEDS, ShelterRegister
from kiosk.session.config import verify_staff_pin

__all__ = ["CenterHost", "HostConfig", "create_app"]

log = logging.getLogger("kiosk.center.host")

# The consultation topics' names on the console (central checks the topic itself).
SLOT_TOPICS = {"welfare": "福祉", "child_care": "子育て", "tax": "税", "care": "介護",
               "general": "一般"}  # fmt: skip


@dataclass(frozen=True)
class HostConfig:
    center: str
    center_name: str
    terminal_token: str
    counters: tuple[str, ...] = ("1", "2")
    staff_call_repeat_s: float = 60.0
    default_minutes_per_person: float = 6.0
    max_pin_failures: int = 5
    lockout_s: float = 300.0
    places: tuple[tuple[str, str], ...] = ()  # terminal id -> its place, named on the console
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def __post_init__(self) -> None:
        if len(self.terminal_token) < 24:
            raise CenterConfigError("terminal_token", "at least 24 characters")
        if not self.counters or len(set(self.counters)) != len(self.counters):
            raise CenterConfigError("counters", "one or more distinct names")


class CenterHost:
    """The queue, the staff calls and the outbox sink of one center."""

    def __init__(
        self,
        config: HostConfig,
        queue: CenterQueue,
        sink: Callable[[str, dict[str, Any]], Any],
        staff_pin_hash: Callable[[], str | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        city_notices: Callable[[], list[dict[str, Any]]] | None = None,
        online: Callable[[str, dict[str, Any], float], dict[str, Any]] | None = None,
        print_slip: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = config
        self.queue = queue
        # Staff notices (console, CSRF) and city hall's from the signed config bundle only.
        self.notices = NoticeBoard(queue, city_notices)
        self.online = online  # (kind, payload, timeout_s) -> reply; raises when offline
        # Prints a consultation slip on this terminal's roll (`consultation_slip` job data).
        self.print_slip = print_slip
        self.calls = StaffCalls(queue, repeat_s=config.staff_call_repeat_s)
        # Names typed at check-in are kept only as an HMAC under a key derived from the center's
        # terminal token (a file apart from the register's SQLite file, which never holds it).
        name_key = hmac.new(
            config.terminal_token.encode(), b"madoguchi/shelter-name/v1", "sha256"
        ).digest()
        self.shelter = ShelterRegister(queue, name_key)
        self.sink = sink
        self.staff_pin_hash = staff_pin_hash
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0
        self._lock = threading.Lock()

    def flush(self) -> None:
        self.queue.flush(self.sink)

    def check_pin(self, pin: str) -> bool:
        with self._lock:
            if self._clock() < self._locked_until:
                return False
            if verify_staff_pin(pin, self.staff_pin_hash()):
                self._failures = 0
                return True
            self._failures += 1
            if self._failures >= self.config.max_pin_failures:
                self._failures = 0
                self._locked_until = self._clock() + self.config.lockout_s
            return False


def chime_wav() -> bytes:
    """Two soft tones (ピンポン), 16-bit mono 22.05 kHz, made here so nothing is downloaded."""
    rate, out = 22050, io.BytesIO()
    frames = bytearray()
    for freq, dur in ((880.0, 0.35), (660.0, 0.55)):
        n = int(rate * dur)
        for i in range(n):
            fade = min(1.0, i / 400) * (1 - i / n)
            frames += struct.pack("<h", int(12000 * fade * math.sin(2 * math.pi * freq * i / rate)))
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()


def create_app(host: CenterHost, *, secure_cookie: bool = False) -> Flask:
    """The host's app; `secure_cookie` when it is served over TLS (the staff session cookie is
    then never sent over plain HTTP)."""
    import os

    here = os.path.dirname(__file__)
    app = Flask(
        __name__,
        template_folder=os.path.join(here, "templates"),
        static_folder=os.path.join(here, "static"),
    )
    app.secret_key = host.config.secret_key
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure_cookie,
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    q, cfg = host.queue, host.config
    chime = chime_wav()
    services = {s.id: {"letter": s.letter, "name": s.name_ja} for s in SERVICES.values()}
    places = dict(cfg.places)

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise QueueInputError("bad_json")
        return data

    def terminal_only() -> None:
        auth = request.headers.get("Authorization", "")
        given = auth[7:] if auth.startswith("Bearer ") else ""
        if not hmac.compare_digest(given.encode(), cfg.terminal_token.encode()):
            raise _Denied("terminal_token")

    def staff_only() -> None:
        if not session.get("staff"):
            raise _Denied("login")
        if request.method == "POST":
            token = request.headers.get("X-CSRF-Token", "")
            if not hmac.compare_digest(token.encode(), str(session.get("csrf", "")).encode()):
                raise _Denied("csrf")

    @app.errorhandler(CenterError)
    def _bad(e: CenterError):
        return jsonify(ok=False, error=getattr(e, "code", "bad_request")), 400

    @app.errorhandler(_Denied)
    def _denied(e: _Denied):
        return jsonify(ok=False, error=e.code), 403

    @app.errorhandler(Exception)
    def _crash(e: Exception):
        code = getattr(e, "code", None)
        if isinstance(code, int):  # werkzeug's HTTP errors (404, 405, 413, ...)
            return jsonify(ok=False, error=str(code)), code
        log.error("center host error: %s", type(e).__name__)
        return jsonify(ok=False, error="internal"), 500

    @app.after_request
    def _headers(r: Response) -> Response:
        r.headers["X-Content-Type-Options"] = "nosniff"
        r.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; media-src 'self'; frame-ancestors 'none'"
        )
        r.headers["Cache-Control"] = "no-store"
        return r

    # ---- terminals -------------------------------------------------------------------------

    @app.post("/api/tickets")
    def issue():
        terminal_only()
        data = body()
        ticket, before = q.issue(data.get("service"), data.get("language", "ja"))
        host.flush()
        wait = q.estimate_wait_min(ticket.service, before, cfg.default_minutes_per_person)
        return jsonify(ok=True, ticket=ticket.public(), before=before, wait_min=wait)

    @app.post("/api/tickets/adopt")
    def adopt():
        terminal_only()
        tickets = body().get("tickets")
        if not isinstance(tickets, list) or len(tickets) > 2000:
            raise QueueInputError("bad_tickets")
        return jsonify(ok=True, adopted=q.adopt(tickets))

    @app.get("/api/estimate/<service>/<int:ahead>")
    def estimate(service: str, ahead: int):
        terminal_only()
        if service not in SERVICES:
            raise QueueInputError("unknown_service")
        minutes = q.estimate_wait_min(service, ahead, cfg.default_minutes_per_person)
        return jsonify(ok=True, minutes=minutes)

    @app.post("/api/staff-calls")
    def staff_call():
        terminal_only()
        data = body()
        call_id = host.calls.raise_call(data.get("terminal"), data.get("screen"))
        host.flush()
        return jsonify(ok=True, id=call_id)

    @app.get("/api/staff-calls/<call_id>")
    def staff_call_state(call_id: str):
        terminal_only()
        return jsonify(ok=True, **host.calls.state(call_id))

    # ---- the calling display ----------------------------------------------------------------

    @app.get("/api/board")
    def board():
        estimates = q.estimates(cfg.default_minutes_per_person)
        return jsonify(
            ok=True, **q.board(), estimates=estimates, services=services,
            notices=host.notices.current(), notice_kinds=NOTICE_KINDS,
        )  # fmt: skip

    @app.get("/display")
    def display():
        return render_template("center_display.html", center=cfg.center_name)

    @app.get("/notices")
    def notices_page():
        return render_template(
            "center_notices.html", center=cfg.center_name, notices=host.notices.current(),
            kinds=NOTICE_KINDS,
        )  # fmt: skip

    @app.get("/chime.wav")
    def chime_file():
        return Response(chime, mimetype="audio/wav")

    # ---- staff console ----------------------------------------------------------------------

    @app.get("/")
    def console():
        if not session.get("staff"):
            return render_template("center_login.html", center=cfg.center_name, error=None)
        return render_template(
            "center_console.html",
            center=cfg.center_name,
            counters=cfg.counters,
            services=services,
            csrf=session["csrf"],
            age_groups=AGE_GROUPS,
            needs=NEEDS,
            notice_kinds=NOTICE_KINDS,
            topics=SLOT_TOPICS,
        )

    @app.post("/login")
    def login():
        pin = request.form.get("pin", "")
        if not host.check_pin(pin):
            log.info("center console: staff PIN refused")
            lock_min = max(1, math.ceil(host.config.lockout_s / 60))
            page = render_template(
                "center_login.html", center=cfg.center_name, error=True, lock_min=lock_min
            )
            return page, 403
        session.clear()
        session["staff"] = True
        session["csrf"] = secrets.token_urlsafe(24)
        return "", 303, {"Location": "/"}

    @app.post("/logout")
    def logout():
        staff_only()
        session.clear()
        return jsonify(ok=True)

    @app.get("/api/console")
    def console_state():
        staff_only()
        return jsonify(
            ok=True,
            board=q.board(recent=20, upcoming=50),
            reservations=[t.public() for t in q.all_tickets() if t.service == "reserved"],
            calls=[{**c, "place": places.get(c["terminal"], "")} for c in host.calls.open_calls()],
            shelter=host.shelter.present(),
            notices=host.notices.current(),
        )

    def central(kind: str, payload: dict[str, Any]):
        if host.online is None:
            return jsonify(ok=False, error="offline"), 503
        try:
            reply = host.online(kind, payload, 5.0)
        except Exception as e:  # noqa: BLE001 - the agent's timeout/offline/refusal alike
            log.info("center host: %s not answered (%s)", kind, type(e).__name__)
            return jsonify(ok=False, error="offline"), 503
        if not isinstance(reply, dict) or not reply.get("ok"):
            reason = reply.get("reason") if isinstance(reply, dict) else None
            return jsonify(ok=False, error=str(reason or "refused")), 400
        return jsonify(ok=True, result=reply)

    @app.get("/api/slots")
    def slots_day():
        staff_only()
        return central("consultation.slots_day", {"date": request.args.get("date", "")})

    @app.post("/api/slots/<action>")
    def slot_action(action: str):
        staff_only()
        data = body()
        if action == "open":
            keys = ("topic", "start", "minutes", "capacity")
            return central("consultation.slot_open", {k: data.get(k) for k in keys})
        if action == "close":
            return central("consultation.slot_close", {"slot": data.get("slot")})
        raise QueueInputError("unknown_action")

    def lookup(reference: Any):
        if not isinstance(reference, str) or not 8 <= len(reference.strip()) <= 90:
            raise QueueInputError("bad_reference")
        return central("consultation.booking_status", {"reference": reference.strip()})

    @app.get("/api/bookings/conflicts")
    def booking_conflicts():
        """This center's bookings central moved or turned into a callback, over the last day."""
        staff_only()
        return central("consultation.booking_conflicts", {"since": int(time.time()) - 86400})

    @app.post("/api/bookings/<action>")
    def booking_action(action: str):
        staff_only()
        data = body()
        if action not in ("lookup", "reprint"):
            raise QueueInputError("unknown_action")
        answer = lookup(data.get("reference"))
        if action == "lookup" or answer.status_code != 200:
            return answer
        found = answer.get_json()["result"]
        if found.get("outcome") not in ("confirmed", "moved", "callback"):
            return jsonify(ok=False, error="pending"), 409  # central has not decided yet
        slip = {"reference": data["reference"].strip(), "topic": found.get("topic") or ""}
        if found["outcome"] == "callback":
            slip["title"] = "相談（折り返しのお電話） Consultation: we will call you back"
        else:
            day = found["start"][:10]
            slots = central("consultation.slots_day", {"date": day})
            if slots.status_code != 200:
                return slots
            minutes = next((s["minutes"] for s in slots.get_json()["result"]["slots"]
                            if s["id"] == found.get("slot")), 30)  # fmt: skip
            slip.update(start=found["start"], minutes=minutes)
        if host.print_slip is None:
            return jsonify(ok=False, error="no_printer"), 503
        try:
            host.print_slip(slip)
        except Exception as e:  # noqa: BLE001 - the printer's error, by class name
            log.info("center host: slip reprint failed (%s)", type(e).__name__)
            return jsonify(ok=False, error="printer"), 503
        return jsonify(ok=True, result=found, printed=slip)

    @app.post("/api/console/<action>")
    def console_action(action: str):
        staff_only()
        data = body()
        counter, label = data.get("counter"), data.get("ticket")
        if counter is not None and counter not in cfg.counters:
            raise QueueInputError("unknown_counter")
        result: Any = None
        if action == "call_next":
            ticket = q.call_next(_need(counter, "counter"))
            result = ticket.public() if ticket else None
        elif action in ("recall", "no_show", "start", "end"):
            result = getattr(q, action)(label).public()
        elif action == "transfer":
            to_counter, to_service = data.get("to_counter"), data.get("to_service")
            if to_counter is not None and to_counter not in cfg.counters:
                raise QueueInputError("unknown_counter")
            result = q.transfer(label, counter=to_counter, service=to_service).public()
        elif action == "pause":
            q.pause(_need(counter, "counter"), bool(data.get("paused")))
        elif action == "answer_call":
            result = host.calls.answer(data.get("call"), counter)
        elif action == "shelter_in":
            result = host.shelter.check_in(
                data.get("members"), data.get("ages"), data.get("needs", []), data.get("name")
            )
        elif action == "shelter_out":
            result = host.shelter.check_out(data.get("code"), data.get("name"))
        elif action == "notice_post":
            result = host.notices.post(
                data.get("kind"), data.get("ja"), data.get("en"), data.get("hours")
            )
        elif action == "notice_withdraw":
            result = host.notices.withdraw(data.get("notice"))
        else:
            raise QueueInputError("unknown_action")
        host.flush()
        return jsonify(ok=True, result=result)

    return app


def _need(value: Any, what: str) -> Any:
    if value is None:
        raise QueueInputError(f"missing_{what}")
    return value


class _Denied(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
