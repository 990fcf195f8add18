"""The console's routes for calls with three or more parties (a Janus VideoRoom per call).

With `ConsoleConfig.janus_socket` set, every accepted call meets in a room (`janus.Rooms`): the
holder can invite a role into it (a second specialist, an interpreter), staff with that role
see the invitation and join, and each browser publishes once and subscribes to the others'
feeds through these routes; the browser never reaches Janus itself.

Invariants:
- Only the holder invites, only into a call in progress, only a known role; only staff with the
  invited role join (403 otherwise); a joined participant's role is added to the record.
- Only the holder and the staff who joined may publish, subscribe or see the feeds of the call,
  and only to the feeds of that call's room; a hand-over or the end of the call puts everyone
  out (the room is closed, the invitations deleted with the call's control messages).
- Janus failing is a 503 `room_unavailable`, never a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, jsonify, request

from sync.central.consult.accounts import ROLES, Staff
from sync.central.consult.errors import JanusError
from sync.central.consult.janus import Rooms, room_id
from sync.central.consult.relay import check_sdp
from sync.central.consult.tables import ConsultTables

__all__ = ["add_room_routes", "display_of"]

log = logging.getLogger("sync.central.consult")


def display_of(role: str, name: str) -> str:
    """What other parties see as a feed's caption: "role|display name"."""
    return f"{role}|{name[:80]}"


def add_room_routes(
    app: Flask,
    rooms: Rooms,
    *,
    tables: Callable,
    current: Callable[[], Staff],
    api_error: Callable,
    clock: Callable[[], float],
    ice_servers: tuple,
) -> None:
    def _participant(cid: str):
        """(call, role in it) when the logged-in staff member is in the call, else an error."""
        if len(cid) != 32 or not cid.isalnum():
            return None, None, api_error(404, "unknown_consultation")
        staff = current()
        with tables() as store:
            t = ConsultTables(store)
            c = t.get(cid)
            if c is None:
                return None, None, api_error(404, "unknown_consultation")
            if c.state != "accepted":
                return c, None, api_error(409, "call_ended")
            if c.accepted_by == staff.username:
                return c, c.accepted_role or "specialist", None
            if staff.username not in t.participants(cid):
                return c, None, api_error(403, "not_your_call")
            joined = [
                role
                for (call, role, who) in t.invitations()
                if call.id == cid and staff.username in who and role in staff.roles
            ]
        return c, (joined[0] if joined else "specialist"), None

    def _janus(fn):
        try:
            return fn()
        except JanusError as e:
            log.warning("consult room: Janus failed (%s)", e.code)
            return api_error(503, "room_unavailable")

    @app.post("/api/invite/<cid>")
    def invite(cid: str):
        body = request.get_json(silent=True)
        role = body.get("role") if isinstance(body, dict) else None
        if role not in ROLES:
            return api_error(400, "unknown_role")
        if len(cid) != 32 or not cid.isalnum():
            return api_error(404, "unknown_consultation")
        with tables() as store:
            done = ConsultTables(store).invite(cid, current().username, role, clock())
        if not done:
            return api_error(403, "not_your_call")
        log.info("consult %s: %s invited", cid[:8], role)
        return jsonify({"ok": True})

    @app.get("/api/invitations")
    def invitations():
        staff = current()
        now = clock()
        with tables() as store:
            found = ConsultTables(store).invitations()
        return jsonify(
            {
                "ok": True,
                "invitations": [
                    {
                        "id": c.id,
                        "topic": c.topic,
                        "center": c.center,
                        "language": c.language,
                        "role": role,
                        "in_call_s": max(0, int(now - (c.accepted_at or now))),
                    }
                    for c, role, joined in found
                    if role in staff.roles
                    and staff.username not in joined
                    and c.accepted_by != staff.username
                ],
            }
        )

    @app.post("/api/join/<cid>")
    def join(cid: str):
        staff = current()
        body = request.get_json(silent=True)
        role = body.get("role") if isinstance(body, dict) else None
        if role not in staff.roles:
            return api_error(403, "role_not_invited")
        if len(cid) != 32 or not cid.isalnum():
            return api_error(404, "unknown_consultation")
        with tables() as store:
            t = ConsultTables(store)
            c = t.get(cid)
            ok = c is not None and t.join(cid, staff.username, role, clock())
        if not ok:
            return api_error(409, "no_invitation")
        log.info("consult %s: a %s joined", cid[:8], role)
        return jsonify(
            {
                "ok": True,
                "room": True,
                "topic": c.topic,
                "language": c.language,
                "center": c.center,
                "ice_servers": list(ice_servers),
            }
        )

    @app.get("/api/room/<cid>")
    def room_state(cid: str):
        c, role, refused = _participant(cid)
        if refused:
            if c is not None and c.state != "accepted":
                return jsonify({"ok": True, "state": c.state, "ended_by": c.ended_by or ""})
            return refused
        room = room_id(cid, c.handovers)
        party = "staff:" + current().username

        def feeds():
            mine = rooms.own_feed(room, party)
            listed = [f for f in rooms.feeds(room) if f["id"] != mine]
            return jsonify({"ok": True, "state": c.state, "feeds": listed})

        return _janus(feeds)

    @app.post("/api/room/<cid>/publish")
    def publish(cid: str):
        c, role, refused = _participant(cid)
        if refused:
            return refused
        body = request.get_json(silent=True)
        sdp = check_sdp(body.get("sdp") if isinstance(body, dict) else None, "offer")
        if sdp is None:
            return api_error(400, "bad_offer")
        staff = current()

        def go():
            answer, feed = rooms.publish(
                room_id(cid, c.handovers),
                "staff:" + staff.username,
                display_of(role, staff.display_name),
                sdp,
            )
            return jsonify({"ok": True, "answer": answer, "feed": feed})

        return _janus(go)

    @app.post("/api/room/<cid>/subscribe")
    def subscribe(cid: str):
        c, _role, refused = _participant(cid)
        if refused:
            return refused
        body = request.get_json(silent=True)
        feed = body.get("feed") if isinstance(body, dict) else None
        room = room_id(cid, c.handovers)

        def go():
            if not isinstance(feed, int) or feed not in {f["id"] for f in rooms.feeds(room)}:
                return api_error(400, "unknown_feed")
            offer, subscription = rooms.subscribe(room, "staff:" + current().username, feed)
            return jsonify({"ok": True, "offer": offer, "subscription": subscription})

        return _janus(go)

    @app.post("/api/room/<cid>/start")
    def start(cid: str):
        c, _role, refused = _participant(cid)
        if refused:
            return refused
        body = request.get_json(silent=True) or {}
        subscription = body.get("subscription") if isinstance(body, dict) else None
        sdp = check_sdp(body.get("sdp") if isinstance(body, dict) else None, "answer")
        if not isinstance(subscription, int) or sdp is None:
            return api_error(400, "bad_answer")

        def go():
            party = "staff:" + current().username
            rooms.start(room_id(cid, c.handovers), party, subscription, sdp)
            return jsonify({"ok": True})

        return _janus(go)

    @app.post("/api/room/<cid>/leave")
    def leave(cid: str):
        """An invited participant leaves; the call goes on (the holder ends it)."""
        c, _role, refused = _participant(cid)
        if refused:
            return refused
        rooms.leave(room_id(cid, c.handovers), "staff:" + current().username)
        return jsonify({"ok": True})
