"""The signaling relay, terminal side: the receiver's online-request kind `consult`.

A terminal reaches it only through its agent and the CURVE link, so the device id a handler
sees is the enrolled one, and a revoked terminal (refused by the receiver's ZAP allowlist and
cut at once in open sessions) cannot signal at all. The console side of the relay is the web
app (`app`), which reads and writes the same tables.

Operations (`payload["op"]`), each answered `{"ok": True, ...}` or `{"ok": False, "reason": code}`:
- `open` {topic, language, offer}: queue a request with the terminal's complete SDP offer
  (non-trickle ICE) → {consultation, position}; `hours` outside city hall's consultation hours
  (`hours`: the signed config bundle's `consult_hours`, as the terminals get them; checked on
  city hall's clock, so a terminal with a wrong clock or an old bundle cannot queue a resident
  nobody will answer); `no_staff` when nobody who may accept has a console open (with
  `require_staff`, as `central serve` wires it).
- `poll` {consultation}: → {state, position and, with history, estimate_s (while waiting),
  answer (when accepted),
  ended_by (when ended)}.
- `hangup` {consultation, reason?}: end the call from the terminal (`reason: "network"`: the
  terminal saw the link drop; recorded as ended by `network`, outcome `dropped`).
- `reoffer` {consultation, offer}: after a hand-over (poll said `handover`, with the new `topic`),
  the terminal's new offer; the request then waits in the new topic's queue → {position}.

With a Janus (`rooms`, three or more parties), an accepted call's poll says `room: true` and
lists the other parties' `feeds` [{id, display}] instead of an answer, and, once the terminal
has published, `offers` [{feed, offer, subscription}]: the relay subscribed it to newcomers
already (answered with `start`). The terminal joins the consultation's VideoRoom through these
(it never talks to Janus itself):
- `publish` {consultation, offer} → {answer, feed}: its camera, microphone and chat channel;
- `subscribe` {consultation, feed} → {offer, subscription}: one other party's feed (a feed of
  this call's room only), then `start` {consultation, subscription, answer};
- `unsubscribe` {consultation, subscription}: a party left.

Invariants: every field is checked before the store is touched (`REASONS`); a terminal sees and
ends only its own requests; nothing a terminal sends is logged; the center comes from the
registry (`centers`), never from the terminal.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
import uuid
from collections.abc import Callable

from sync.central.consult.errors import JanusError
from sync.central.consult.janus import Rooms, room_id
from sync.central.consult.tables import ConsultTables
from sync.central.errors import StoreError
from sync.central.store import Store
from sync.central.stores import open_store
from sync.opening_hours import HoursError, OpeningHours

__all__ = ["LANGUAGES", "REASONS", "TOPICS", "ConsultRelay", "consult_handlers"]

log = logging.getLogger("sync.central.consult")

TOPICS = ("welfare", "child_care", "tax", "care", "general")
LANGUAGES = ("ja", "ja-easy", "en", "zh-Hans", "ko", "pt-BR", "vi")
REASONS = (
    "bad_request",
    "unknown_op",
    "unknown_topic",
    "unknown_language",
    "bad_offer",
    "unknown_consultation",
    "not_handed_over",
    "no_staff",
    "store_unavailable",
    "not_in_call",
    "unknown_feed",
    "room_unavailable",
    "hours",
)
STAFF_SEEN_S = 60.0  # a console polls its queue every second; a minute of silence: nobody there
POLLED_EVERY_S = 2.0  # how often a poll refreshes polled_at (the console drops silent ones)
MAX_OFFERS = 2  # subscriptions offered per poll: a poll's reply stays small and quick
MAX_SDP = 32 * 1024  # a two-track + data channel offer is ~3-6 KB; room for many candidates


def _refuse(reason: str) -> dict:
    return {"ok": False, "reason": reason}


def check_sdp(sdp: object, kind: str) -> str | None:
    """The SDP if it looks like one of `kind` we accept, else None (shared with the web app)."""
    if not isinstance(sdp, str) or not 0 < len(sdp) <= MAX_SDP or not sdp.startswith("v=0"):
        return None
    if "\x00" in sdp or "m=" not in sdp:
        return None
    return sdp


class ConsultRelay:
    """Handlers over the store `store` (a `--db` value or a factory of `Store`s); `centers`
    maps a device id to its center's name (from the registry)."""

    def __init__(
        self,
        store: str | Callable[[], Store],
        centers: Callable[[str], str],
        *,
        clock: Callable[[], float] = time.time,
        require_staff: bool = False,
        rooms: Rooms | None = None,
        hours: Callable[[], OpeningHours | None] | None = None,
    ) -> None:
        """`require_staff`: refuse `open` with `no_staff` when no one who may accept has had a
        console open for `STAFF_SEEN_S` (production; tests that queue first leave it off)."""
        self._factory = store if callable(store) else (lambda db=str(store): open_store(db))
        self._store: Store | None = None
        self._lock = threading.Lock()  # one connection shared by the receiver's handler threads
        self.centers = centers
        self.clock = clock
        self.require_staff = require_staff
        self.rooms = rooms
        self.hours = hours  # None, or None from it: no hours known here (the terminal's decide)

    def close(self) -> None:
        if self.rooms is not None:
            self.rooms.close()
            self.rooms = None
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _with(self, fn):
        with self._lock:
            try:
                if self._store is None:
                    self._store = self._factory()
                return fn(ConsultTables(self._store))
            except StoreError:
                if self._store is not None:
                    self._store.close()
                    self._store = None
                raise

    def handlers(self) -> dict[str, Callable[[str, dict], dict]]:
        return {"consult": self.handle}

    def handle(self, device_id: str, payload: dict) -> dict:
        op = payload.get("op") if isinstance(payload, dict) else None
        try:
            if op == "open":
                return self._open(device_id, payload)
            if op == "poll":
                return self._poll(device_id, payload)
            if op == "hangup":
                return self._hangup(device_id, payload)
            if op == "reoffer":
                return self._reoffer(device_id, payload)
            if op in ("publish", "subscribe", "start", "unsubscribe") and self.rooms is not None:
                return self._room(op, device_id, payload)
        except StoreError as e:
            log.warning("consult %s: store failed (%s)", op, e.operation)
            return _refuse("store_unavailable")
        return _refuse("unknown_op")

    def _open(self, device_id: str, payload: dict) -> dict:
        topic, language = payload.get("topic"), payload.get("language")
        if topic not in TOPICS:
            return _refuse("unknown_topic")
        if language not in LANGUAGES:
            return _refuse("unknown_language")
        offer = check_sdp(payload.get("offer"), "offer")
        if offer is None:
            return _refuse("bad_offer")
        now = self.clock()
        hours = self.hours() if self.hours is not None else None
        if hours is not None and not hours.open_at(datetime.datetime.fromtimestamp(now)):
            log.info("consult refused outside hours: device %s", device_id)
            return _refuse("hours")  # said at the terminal with the hours and a booking
        consultation_id = uuid.uuid4().hex
        center = self.centers(device_id) or "?"

        def work(t: ConsultTables) -> int | None:
            if self.require_staff and not t.accepting_staff_seen(now - STAFF_SEEN_S):
                return None
            t.open(consultation_id, device_id, center, topic, language, offer, now)
            return t.position(t.get(consultation_id))

        position = self._with(work)
        if position is None:
            return _refuse("no_staff")  # said plainly at the terminal, with a booking offered
        log.info("consult %s queued: device %s topic %s", consultation_id[:8], device_id, topic)
        return {"ok": True, "consultation": consultation_id, "position": position}

    def _mine(self, t: ConsultTables, device_id: str, payload: dict):
        cid = payload.get("consultation")
        if not isinstance(cid, str) or len(cid) != 32:
            return None
        c = t.get(cid)
        return c if c is not None and c.device_id == device_id else None

    def _poll(self, device_id: str, payload: dict) -> dict:
        def work(t: ConsultTables) -> dict:
            c = self._mine(t, device_id, payload)
            if c is None:
                return _refuse("unknown_consultation")
            out: dict = {"ok": True, "state": c.state}
            now = self.clock()
            if c.state != "ended" and now - c.polled_at >= POLLED_EVERY_S:
                t.polled(c.id, now)  # a write per few seconds, not per poll (~7 polls/s)
            if c.state == "waiting":
                out["position"] = t.position(c)
                typical = t.typical_wait_s(c.topic)
                if typical is not None:  # the typical wait, for each one ahead and this one
                    out["estimate_s"] = round(typical * out["position"], 1)
            elif c.state == "accepted" and self.rooms is not None:
                out["room"] = True
                out["staff_role"] = c.accepted_role or ""
                out["staff_name"] = t.display_name(c.accepted_by) if c.accepted_by else ""
            elif c.state == "accepted":
                answers = [x for x in t.signals(c.id, "console") if x.type == "answer"]
                if answers:
                    out["answer"] = answers[-1].body
                    out["staff_role"] = c.accepted_role or ""
                    out["staff_name"] = t.display_name(c.accepted_by) if c.accepted_by else ""
            elif c.state == "handover":
                out["topic"] = c.topic
            else:
                out["ended_by"] = c.ended_by or ""
            return out

        out = self._with(work)
        if self.rooms is not None and out.get("ok"):
            self._room_poll(device_id, payload["consultation"], out)
        return out

    def _room_poll(self, device_id: str, cid: str, out: dict) -> None:
        """The other parties in the call's room; the terminal's own sessions released once the
        call is not in a room any more (handed over, ended)."""
        c = self._with(lambda t: t.get(cid))
        room = room_id(cid, c.handovers)
        try:
            if out.get("room"):
                mine = self.rooms.own_feed(room, "terminal")
                out["feeds"] = [f for f in self.rooms.feeds(room) if f["id"] != mine]
                if mine is not None:  # published: newcomers come subscribed, offer included
                    # The terminal polls only after it has started what the last reply
                    # offered, so a subscription not started by now was never received.
                    self.rooms.drop_unstarted(room, "terminal")
                    have = self.rooms.subscribed(room, "terminal")
                    out["offers"] = []
                    for f in out["feeds"]:
                        if f["id"] not in have and len(out["offers"]) < MAX_OFFERS:
                            offer, sub = self.rooms.subscribe(room, "terminal", f["id"])
                            out["offers"].append(
                                {"feed": f["id"], "offer": offer, "subscription": sub}
                            )
            else:
                for n in range(max(0, c.handovers - 1), c.handovers + 1):
                    self.rooms.leave(room_id(cid, n), "terminal")
                if out.get("state") == "ended":
                    self.rooms.close_room(room)
        except JanusError as e:
            log.warning("consult poll: Janus failed (%s)", e.code)
            # No feed list at all: the terminal keeps what it receives (a list would drop it).
            out.pop("feeds", None)
            out.pop("offers", None)

    def _room(self, op: str, device_id: str, payload: dict) -> dict:
        c = self._with(lambda t: self._mine(t, device_id, payload))
        if c is None:
            return _refuse("unknown_consultation")
        if c.state != "accepted":
            return _refuse("not_in_call")
        room = room_id(c.id, c.handovers)
        try:
            if op == "publish":
                offer = check_sdp(payload.get("offer"), "offer")
                if offer is None:
                    return _refuse("bad_offer")
                answer, feed = self.rooms.publish(room, "terminal", "terminal", offer)
                return {"ok": True, "answer": answer, "feed": feed}
            if op == "subscribe":
                feed = payload.get("feed")
                if not isinstance(feed, int) or feed not in {
                    f["id"] for f in self.rooms.feeds(room)
                }:
                    return _refuse("unknown_feed")
                offer, subscription = self.rooms.subscribe(room, "terminal", feed)
                return {"ok": True, "offer": offer, "subscription": subscription}
            subscription = payload.get("subscription")
            if not isinstance(subscription, int):
                return _refuse("bad_request")
            if op == "unsubscribe":
                self.rooms.unsubscribe(room, "terminal", subscription)
                return {"ok": True}
            answer = check_sdp(payload.get("answer"), "answer")
            if answer is None:
                return _refuse("bad_offer")
            self.rooms.start(room, "terminal", subscription, answer)
            return {"ok": True}
        except JanusError as e:
            log.warning("consult %s: Janus failed (%s)", op, e.code)
            return _refuse("room_unavailable")

    def _reoffer(self, device_id: str, payload: dict) -> dict:
        offer = check_sdp(payload.get("offer"), "offer")
        if offer is None:
            return _refuse("bad_offer")

        def work(t: ConsultTables) -> dict:
            c = self._mine(t, device_id, payload)
            if c is None:
                return _refuse("unknown_consultation")
            if not t.reoffer(c.id, offer, self.clock()):
                return _refuse("not_handed_over")
            return {"ok": True, "position": t.position(t.get(c.id))}

        return self._with(work)

    def _hangup(self, device_id: str, payload: dict) -> dict:
        def work(t: ConsultTables) -> dict:
            c = self._mine(t, device_id, payload)
            if c is None:
                return _refuse("unknown_consultation")
            if payload.get("reason") == "network":  # the worker saw the media stop
                t.end(c.id, "network", "dropped", self.clock())
            else:
                t.end(c.id, "terminal", "resident_hung_up", self.clock())
            return {"ok": True, "state": "ended"}

        out = self._with(work)
        if self.rooms is not None and out.get("ok"):
            c = self._with(lambda t: t.get(payload["consultation"]))
            try:
                self.rooms.close_room(room_id(c.id, c.handovers))
            except JanusError as e:
                log.warning("consult hangup: Janus failed (%s)", e.code)
        return out


def hours_from(entry: Callable[[], object]) -> Callable[[], OpeningHours | None]:
    """City hall's hours from `entry()` (the signed config's `consult_hours` lines, or None),
    parsed once per distinct value; a malformed entry counts as none (logged, never refusing
    calls over it: the terminals keep their last good hours the same way)."""
    seen: list = [object(), None]  # (the raw entry, its hours)

    def hours() -> OpeningHours | None:
        raw = entry()
        if raw != seen[0]:
            parsed = None
            if raw is not None:
                try:
                    parsed = OpeningHours.parse(raw)
                except HoursError as e:
                    log.warning("consult hours in the config bundle not used: %s", e.reason)
            seen[:] = [raw, parsed]
        return seen[1]

    return hours


def consult_handlers(
    db: str, registry_path=None, janus_socket=None, hours_entry=None
) -> dict[str, Callable[[str, dict], dict]]:
    """What `madoguchi central serve` registers: the relay over the store `db`, centers read
    from the device registry (re-read when it changes); with `janus_socket` (Janus's Unix-socket
    API), calls meet in VideoRooms so more staff can join; with `hours_entry` (the signed config
    bundle's `consult_hours`, `receiver_bundles.config_entry_source`), calls outside those hours
    are refused."""
    centers: Callable[[str], str] = lambda device_id: "?"  # noqa: E731
    if registry_path is not None:
        from sync.keyfiles import Registry

        registry = Registry(registry_path)

        def centers(device_id: str) -> str:
            try:
                return registry.get(device_id).center
            except Exception:  # noqa: BLE001 - an unreadable registry must not refuse the call
                return "?"

    rooms = Rooms.connect(janus_socket) if janus_socket else None
    hours = hours_from(hours_entry) if hours_entry is not None else None
    return ConsultRelay(db, centers, require_staff=True, rooms=rooms, hours=hours).handlers()
