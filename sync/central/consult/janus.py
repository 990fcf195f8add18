"""Three or more parties in a consultation: Janus's VideoRoom as the SFU, driven over Janus's
Unix-socket API (the `pfunix` transport, SOCK_SEQPACKET: one JSON message per datagram).

Every party (the terminal, the staff member holding the call, an invited second specialist or
interpreter) publishes once and subscribes to each other party's feed; the terminal encodes its
camera once, whatever the number of staff in the call.

Who talks to Janus: only the central side (the relay for the terminal, the console app for the
staff's browsers). Janus's API is on a Unix socket, never on the network, so no browser and no
terminal can create, join or list rooms by itself; the relay and the console app check who may
join which consultation before they ask Janus anything.

Invariants:
- `JanusClient` keeps one connection; Janus ties the sessions it creates to that connection,
  so the client lives as long as the relay or the console process; when Janus goes away the next
  request connects again (a restarted Janus serves new calls; calls in progress must rejoin). A reader thread routes each
  reply to its request by transaction id; a request waits at most `timeout` (JanusError after).
- `Rooms` keeps one Janus session per (consultation, party) and one handle per publisher or
  subscription; a keepalive thread holds them open; `leave` and `close_room` release them.
- One room per consultation and hand-over (`room_id`): after a hand-over the new staff member
  meets the resident in a new room, and the old participants are out.
- Nothing here logs SDP, displays or anything the resident sent.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid

from sync.central.consult.errors import JanusError

__all__ = ["JanusClient", "Rooms", "room_id"]

log = logging.getLogger("sync.central.consult")

VIDEOROOM = "janus.plugin.videoroom"
KEEPALIVE_S = 15.0  # Janus ends a session silent for session_timeout (60 s by default)
MAX_MESSAGE = 256 * 1024
_ROOM_EXISTS = 427


def room_id(consultation_id: str, handovers: int) -> int:
    """A room number per consultation and hand-over, below 2^53 (JSON-safe)."""
    return int(consultation_id[:11], 16) * 64 + handovers % 64


class JanusClient:
    """Requests to Janus over its Unix socket `path`; replies matched by transaction."""

    def __init__(self, path: str | os.PathLike, *, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._reconnect = threading.Lock()
        self._waiting: dict[str, dict] = {}  # transaction → {"event": Event, "reply": ...}
        self._closed = False
        self._connect()

    def _connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.connect(self.path)
        except OSError as e:
            sock.close()
            raise JanusError(f"cannot reach Janus at its socket: {e.strerror}") from e
        self._sock, self._alive = sock, True
        self._reader = threading.Thread(
            target=self._read, args=(sock,), name="janus-reader", daemon=True
        )
        self._reader.start()

    def close(self) -> None:
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._reader.join(5)

    def _read(self, sock: socket.socket) -> None:
        while not self._closed:
            try:
                data = sock.recv(MAX_MESSAGE)
            except OSError:
                break
            if not data:
                break
            try:
                message = json.loads(data)
            except ValueError:
                continue
            if not isinstance(message, dict) or message.get("janus") == "ack":
                continue  # an async request's first answer: its event follows
            with self._lock:
                slot = self._waiting.get(str(message.get("transaction")))
            if slot is not None:
                slot["reply"] = message
                slot["event"].set()
        self._alive = False  # the next request connects again (Janus restarted)
        with self._lock:  # Janus went away: nobody waits for a reply that cannot come
            for slot in self._waiting.values():
                slot["event"].set()

    def request(self, message: dict, *, timeout: float | None = None) -> dict:
        """Send one request; its reply (`success`/`event`), or JanusError on `error`/timeout."""
        with self._reconnect:
            if not self._alive and not self._closed:
                self._sock.close()  # the sessions made on it died with the old Janus
                self._connect()
        transaction = uuid.uuid4().hex
        slot = {"event": threading.Event(), "reply": None}
        with self._lock:
            self._waiting[transaction] = slot
        try:
            try:
                self._sock.send(json.dumps({**message, "transaction": transaction}).encode())
            except OSError as e:
                raise JanusError(f"Janus connection lost: {e.strerror}") from e
            slot["event"].wait(self.timeout if timeout is None else timeout)
            reply = slot["reply"]
        finally:
            with self._lock:
                self._waiting.pop(transaction, None)
        if reply is None:
            raise JanusError(f"no reply from Janus to {message.get('janus')}")
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            raise JanusError(f"Janus refused: {error.get('code')}", code=error.get("code"))
        data = (reply.get("plugindata") or {}).get("data") or {}
        if "error_code" in data:
            raise JanusError(f"VideoRoom refused: {data['error_code']}", code=data["error_code"])
        return reply

    # --- the Janus API's own requests ------------------------------------------------------
    def create_session(self) -> int:
        return int(self.request({"janus": "create"})["data"]["id"])

    def attach(self, session: int) -> int:
        got = self.request({"janus": "attach", "session_id": session, "plugin": VIDEOROOM})
        return int(got["data"]["id"])

    def message(self, session: int, handle: int, body: dict, jsep: dict | None = None) -> dict:
        m = {"janus": "message", "session_id": session, "handle_id": handle, "body": body}
        if jsep is not None:
            m["jsep"] = jsep
        return self.request(m)

    def keepalive(self, session: int) -> None:
        self.request({"janus": "keepalive", "session_id": session})

    def destroy_session(self, session: int) -> None:
        self.request({"janus": "destroy", "session_id": session})


class Rooms:
    """The VideoRoom work of the relay and the console app, over one `JanusClient`.

    A party is a string the caller chooses ("terminal", "staff:<username>"); its session holds
    its publisher handle and one handle per subscribed feed."""

    def __init__(self, client: JanusClient, *, keepalive_s: float = KEEPALIVE_S) -> None:
        self.client = client
        self._lock = threading.Lock()
        # One party's first requests come together (a console subscribes to every feed at once):
        # its Janus session is made once, not once per request (a subscription made on a session
        # that lost the race was unknown at `start`: room_unavailable, and the picture late).
        self._making = threading.Lock()
        self._parties: dict[tuple[int, str], dict] = {}  # (room, party) → session, handles
        self._admin: tuple[int, int] | None = None  # a session + handle for room requests
        self._stop = threading.Event()
        self._keeper = threading.Thread(
            target=self._keep, args=(keepalive_s,), name="janus-keepalive", daemon=True
        )
        self._keeper.start()

    @classmethod
    def connect(cls, path: str | os.PathLike) -> Rooms:
        return cls(JanusClient(path))

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            sessions = [p["session"] for p in self._parties.values()]
            self._parties.clear()
            if self._admin is not None:
                sessions.append(self._admin[0])
                self._admin = None
        for session in sessions:
            try:
                self.client.destroy_session(session)
            except JanusError:
                pass
        self.client.close()
        self._keeper.join(5)

    def _keep(self, every: float) -> None:
        while not self._stop.wait(every):
            with self._lock:
                sessions = [p["session"] for p in self._parties.values()]
                if self._admin is not None:
                    sessions.append(self._admin[0])
            for session in sessions:
                try:
                    self.client.keepalive(session)
                except JanusError:
                    pass  # gone: the next request for it says so

    def _admin_handle(self) -> tuple[int, int]:
        with self._lock:
            if self._admin is not None:
                return self._admin
        session = self.client.create_session()
        handle = self.client.attach(session)
        with self._lock:
            if self._admin is None:
                self._admin = (session, handle)
                return self._admin
        self.client.destroy_session(session)  # another thread made one first
        return self._admin

    def _admin_message(self, body: dict) -> dict:
        session, handle = self._admin_handle()
        try:
            return self.client.message(session, handle, body)
        except JanusError as e:
            if e.code in (458, 459):  # session or handle gone (Janus restarted): once more
                with self._lock:
                    self._admin = None
                session, handle = self._admin_handle()
                return self.client.message(session, handle, body)
            raise

    def ensure_room(self, room: int) -> None:
        """Create the room if it does not exist (either side may come first)."""
        try:
            self._admin_message(
                {
                    "request": "create",
                    "room": room,
                    "publishers": 8,
                    "is_private": True,
                    "videocodec": "vp8",
                    "audiocodec": "opus",
                    "bitrate": 800_000,
                    "permanent": False,
                }
            )
        except JanusError as e:
            if e.code != _ROOM_EXISTS:
                raise

    def close_room(self, room: int) -> None:
        """Everyone out (Janus tells their handles), and this side's sessions for it released."""
        with self._lock:
            mine = [k for k in self._parties if k[0] == room]
        for key in mine:
            self.leave(*key)
        try:
            self._admin_message({"request": "destroy", "room": room})
        except JanusError:
            pass  # gone already

    def exists(self, room: int) -> bool:
        got = self._admin_message({"request": "exists", "room": room})
        return bool(got["plugindata"]["data"].get("exists"))

    def feeds(self, room: int) -> list[dict]:
        """Every publisher in the room: [{"id", "display"}]."""
        try:
            got = self._admin_message({"request": "listparticipants", "room": room})
        except JanusError as e:
            if e.code == 426:  # no such room (closed): nobody there
                return []
            raise
        data = got["plugindata"]["data"]
        return [
            {"id": int(p["id"]), "display": str(p.get("display", ""))}
            for p in data.get("participants", [])
            if p.get("publisher")
        ]

    def _party(self, room: int, party: str) -> dict:
        with self._lock:
            found = self._parties.get((room, party))
        if found is not None:
            return found
        with self._making:
            with self._lock:
                found = self._parties.get((room, party))
            if found is not None:
                return found  # made by a request that came at the same time
            session = self.client.create_session()
            entry = {"session": session, "publisher": None, "feed": None, "subs": {}}
            with self._lock:
                self._parties[(room, party)] = entry
            return entry

    def publish(self, room: int, party: str, display: str, offer: str) -> tuple[str, int]:
        """`party` joins `room` and publishes the media of its complete `offer` (with a data
        channel for chat); → (Janus's answer SDP, the party's feed id). Publishing again
        replaces the party's earlier publisher."""
        self.ensure_room(room)
        entry = self._party(room, party)
        if entry["publisher"] is not None:
            self._detach(entry, entry["publisher"])
        handle = self.client.attach(entry["session"])
        entry["publisher"] = handle
        got = self.client.message(
            entry["session"],
            handle,
            {
                "request": "joinandconfigure",
                "room": room,
                "ptype": "publisher",
                "display": display[:120],
                "audio": True,
                "video": True,
                "data": True,
            },
            {"type": "offer", "sdp": offer},
        )
        jsep = got.get("jsep") or {}
        if jsep.get("type") != "answer":
            raise JanusError("Janus gave no answer to the publisher's offer")
        entry["feed"] = int(got["plugindata"]["data"]["id"])
        return jsep["sdp"], entry["feed"]

    def subscribe(self, room: int, party: str, feed: int) -> tuple[str, int]:
        """A new subscription of `party` to `feed`: → (Janus's offer SDP, subscription id).
        The party answers with `start`."""
        entry = self._party(room, party)
        handle = self.client.attach(entry["session"])
        entry["subs"][handle] = feed
        try:
            got = self.client.message(
                entry["session"],
                handle,
                {
                    "request": "join",
                    "room": room,
                    "ptype": "subscriber",
                    "streams": [{"feed": feed}],
                },
            )
        except JanusError:
            self._detach(entry, handle)
            raise
        jsep = got.get("jsep") or {}
        if jsep.get("type") != "offer":
            self._detach(entry, handle)
            raise JanusError("Janus gave no offer for the subscription")
        return jsep["sdp"], handle

    def start(self, room: int, party: str, subscription: int, answer: str) -> None:
        entry = self._party(room, party)
        if subscription not in entry["subs"]:
            raise JanusError("unknown subscription", code=-1)
        self.client.message(
            entry["session"],
            subscription,
            {"request": "start"},
            {"type": "answer", "sdp": answer},
        )
        entry.setdefault("started", set()).add(subscription)

    def drop_unstarted(self, room: int, party: str) -> None:
        """Subscriptions made for `party` that it never started (the reply that carried their
        offer was lost): detached, so they are offered afresh."""
        with self._lock:
            entry = self._parties.get((room, party))
        if entry is None:
            return
        started = entry.get("started", set())
        for handle in [h for h in entry["subs"] if h not in started]:
            self._detach(entry, handle)

    def unsubscribe(self, room: int, party: str, subscription: int) -> None:
        with self._lock:
            entry = self._parties.get((room, party))
        if entry is not None and subscription in entry["subs"]:
            self._detach(entry, subscription)

    def _detach(self, entry: dict, handle: int) -> None:
        entry["subs"].pop(handle, None)
        if entry["publisher"] == handle:
            entry["publisher"], entry["feed"] = None, None
        try:
            self.client.request(
                {"janus": "detach", "session_id": entry["session"], "handle_id": handle}
            )
        except JanusError:
            pass

    def leave(self, room: int, party: str) -> None:
        """The party's publisher and subscriptions end (its session is destroyed)."""
        with self._lock:
            entry = self._parties.pop((room, party), None)
        if entry is not None:
            try:
                self.client.destroy_session(entry["session"])
            except JanusError:
                pass

    def subscribed(self, room: int, party: str) -> set[int]:
        """The feeds `party` has a subscription to (started or not)."""
        with self._lock:
            entry = self._parties.get((room, party))
            return set() if entry is None else set(entry["subs"].values())

    def own_feed(self, room: int, party: str) -> int | None:
        with self._lock:
            entry = self._parties.get((room, party))
        return None if entry is None else entry["feed"]
