"""The call worker's side of a call with several staff members (a Janus VideoRoom, SFU).

The worker publishes its camera, microphone and chat channel once (its usual peer connection,
whose answer comes from Janus through the relay), and `RoomLink` keeps one receiving peer
connection per other party's feed: a second specialist or an interpreter joining adds one, a
party leaving removes it. The terminal encodes once whatever the number of staff.

Invariants:
- Signaling only through the worker's relay requests (the terminal's CURVE link); the
  subscriptions use the worker's ICE server list (empty unless configured).
- Every received frame is counted in the worker's counters (the dropped-link watch sees them)
  and per party (`frames`); a subscription that cannot be set up is retried at the next update.
- Messages arriving on a party's data channel go to the worker's handler, except "bye" and
  "handover": in a room the relay's poll says when the call ends or is handed over, so another
  participant leaving is never taken for the end of the call.
- Each party's picture goes to a stream of the frame buffer (`Pictures`): the holder's (the
  name the relay gave as the staff member's) to `main`, the others to the small `party1`…
  streams, named in the `participants` event; a party leaving empties theirs.
- `close()` closes every receiving peer connection; nothing is logged.
"""

from __future__ import annotations

import asyncio
import json
import time

__all__ = ["RoomLink", "publish"]

MAX_PARTIES = 6  # feeds received at most: the terminal decodes each one


class RoomLink:
    def __init__(self, worker) -> None:
        self.w = worker
        self.subs: dict[int, dict] = {}  # feed → {pc, subscription, display, counter}
        self.closed = False

    def parties(self) -> list[dict]:
        """[{role, name}] of the staff whose feeds the terminal receives, in joining order."""
        out = []
        for entry in self.subs.values():
            role, _, name = entry["display"].partition("|")
            party = {"role": role[:40], "name": name[:60]}
            if entry.get("stream"):
                party["stream"] = entry["stream"]
            out.append(party)
        return out

    def _stream_for(self, display: str) -> str | None:
        """The holder's picture large, the others small; none left: named, not drawn."""
        from kiosk.call._frames import STREAMS

        taken = {entry.get("stream") for entry in self.subs.values()}
        name = display.partition("|")[2][:60]
        if name and name == self.w.staff_name and "main" not in taken:
            return "main"
        free = [k for k in STREAMS if k.startswith("party") and k not in taken]
        return free[0] if free else None

    def frames(self) -> dict[str, int]:
        return {entry["display"][:60]: entry["counter"].frames for entry in self.subs.values()}

    def first_frames(self) -> dict[str, float | None]:
        """Wall clock of each party's first decoded frame (the benchmark's connect time)."""
        return {entry["display"][:60]: entry["counter"].first_at for entry in self.subs.values()}

    async def update(self, feeds: list, offers: list | None = None) -> None:
        """Follow the room: subscribe to new parties' feeds, drop the feeds that left. With
        `offers` (the relay subscribed this terminal to newcomers already, in its poll's reply),
        a newcomer is taken from there: one relay round trip less for each one who joins."""
        if self.closed or not isinstance(feeds, list):
            return
        ready = {
            o["feed"]: o
            for o in (offers or [])
            if isinstance(o, dict)
            and isinstance(o.get("feed"), int)
            and isinstance(o.get("subscription"), int)
            and isinstance(o.get("offer"), str)
        }
        wanted = {
            f["id"]: str(f.get("display", ""))
            for f in feeds[:MAX_PARTIES]
            if isinstance(f, dict) and isinstance(f.get("id"), int)
        }
        before = self.parties()
        for feed in [f for f in self.subs if f not in wanted]:
            await self._drop(feed)
        for feed, display in wanted.items():
            if feed in self.subs or self.closed:
                continue
            if feed in ready:
                await self._subscribe(feed, display, ready[feed])
            elif offers is None:  # a relay that does not offer: ask for the subscription
                await self._subscribe(feed, display)
        if self.parties() != before:
            self.w.emit({"event": "participants", "staff": self.parties()})

    async def _subscribe(self, feed: int, display: str, got: dict | None = None) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        from kiosk.call._tracks import Counter
        from sync.errors import RequestError

        w = self.w
        if got is None:
            try:
                got = await w.request(
                    {"op": "subscribe", "consultation": w.consultation, "feed": feed},
                    timeout=8.0,
                )
            except RequestError:
                return
            got = {**got, "ok": got.get("ok")}
        else:
            got = {**got, "ok": True}
        if not got.get("ok") or not isinstance(got.get("subscription"), int):
            return
        pc = RTCPeerConnection(RTCConfiguration(iceServers=w._ice_servers()))
        counter = Counter()
        stream = self._stream_for(display)
        self.subs[feed] = {
            "pc": pc,
            "subscription": got["subscription"],
            "display": display,
            "counter": counter,
            "stream": stream,
        }

        @pc.on("track")
        def on_track(track) -> None:
            shared = w.received_video if track.kind == "video" else w.received_audio
            mine = counter if track.kind == "video" else None
            sink = w.pictures.sink(stream) if track.kind == "video" and stream else None
            w.tasks.append(asyncio.ensure_future(_drain_both(track, shared, mine, sink)))

        @pc.on("datachannel")
        def on_channel(channel) -> None:
            channel.on("message", self._message)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(got["offer"], "offer"))
            # Janus relays a party's chat to a subscriber only once the subscriber has opened a
            # data channel of its own (its "data ready"); nothing is sent on this one.
            pc.createDataChannel("ready").on("message", self._message)
            await pc.setLocalDescription(await pc.createAnswer())
            started = await w.request(
                {
                    "op": "start",
                    "consultation": w.consultation,
                    "subscription": got["subscription"],
                    "answer": pc.localDescription.sdp,
                },
                timeout=8.0,
            )
        except Exception:  # noqa: BLE001 - an unusable offer or a lost relay: retried next update
            started = {"ok": False}
        if not started.get("ok"):
            await self._drop(feed)

    def _message(self, message) -> None:
        try:
            kind = json.loads(message).get("type")
        except (TypeError, ValueError, AttributeError):
            return
        if kind not in ("bye", "handover"):
            self.w._on_message(message)

    async def _drop(self, feed: int) -> None:
        from sync.errors import RequestError

        entry = self.subs.pop(feed, None)
        if entry is None:
            return
        await entry["pc"].close()
        if entry.get("stream"):
            self.w.pictures.blank(entry["stream"])  # the one who left is not shown any more
        if not self.closed:
            try:
                await self.w.request(
                    {
                        "op": "unsubscribe",
                        "consultation": self.w.consultation,
                        "subscription": entry["subscription"],
                    }
                )
            except RequestError:
                pass

    async def close(self) -> None:
        self.closed = True
        for feed in list(self.subs):
            await self._drop(feed)


async def _drain_both(track, shared, mine, sink=None) -> None:
    """Decode every frame of `track`, counting it for the call and for its party, and showing
    some of them (`sink`)."""
    from aiortc.mediastreams import MediaStreamError

    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if sink is not None:
            sink(frame)
        now = time.monotonic()
        for counter in (shared, mine):
            if counter is None:
                continue
            counter.frames += 1
            counter.last_at = now
            if counter.first_at is None:
                counter.first_at = time.time()


async def publish(worker, polled: dict) -> None:
    """The call meets in a VideoRoom: publish this peer's offer there, then receive the
    others' feeds (`RoomLink`)."""
    from aiortc import RTCSessionDescription

    from sync.errors import RequestError

    try:
        got = await worker.request(
            {
                "op": "publish",
                "consultation": worker.consultation,
                "offer": worker.pc.localDescription.sdp,
            },
            timeout=8.0,
        )
    except RequestError as e:
        await worker.finish("network", reason=f"publish_{type(e).__name__}")
        return
    if not got.get("ok"):
        await worker.finish("network", reason=str(got.get("reason", "publish"))[:40])
        return
    try:
        await worker.pc.setRemoteDescription(RTCSessionDescription(got["answer"], "answer"))
    except Exception as e:  # noqa: BLE001 - an answer we cannot use ends the call
        await worker.finish("network", reason=f"answer_{type(e).__name__}")
        return
    worker.staff_name = str(polled.get("staff_name", ""))[:60]
    worker.room = RoomLink(worker)
    worker.emit(
        {
            "event": "answered",
            "role": polled.get("staff_role", ""),
            "name": polled.get("staff_name", ""),
            "room": True,
            "at": time.time(),
        }
    )
    await worker.room.update(polled.get("feeds", []))
    worker.tasks.append(asyncio.ensure_future(worker._watch_relay()))
