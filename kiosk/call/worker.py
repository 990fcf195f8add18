"""The call worker: `python -m kiosk.call.worker --agent ipc://...` (aiortc, no Kivy).

The call's media run here, beside the kiosk UI process (as documents do in the render worker),
so the UI stays responsive and within its memory budget. The kiosk (`kiosk.call.CallPort`)
writes commands as JSON lines on stdin and reads events as JSON lines on stdout:

  commands: {"cmd": "call", "topic": ..., "language": ...} | {"cmd": "chat", "text": ...}
            | {"cmd": "share", "fields": [[label, value], ...] | null} | {"cmd": "mute", "on": bool}
            | {"cmd": "print_result", "ok": bool, "reason": ...}
            | {"cmd": "hangup"} | {"cmd": "stats"}
  events:   {"event": "queued", "position": n} | {"event": "position", "position": n}
            | {"event": "answered"} | {"event": "connected"} | {"event": "chat", "text": ...}
            | {"event": "handed_over", "topic": ...} (then "queued" again in that topic's queue)
            | {"event": "ended", "by": "console"|"terminal"|"network", ...} | {"event": "stats", ...}
            | {"event": "print", "kind": "checklist", "data": {...}} (the staff sent a document)
            | {"event": "participants", "staff": [{"role", "name"}, ...]} (a room's other staff)
            | {"event": "error", "reason": code}
            | {"event": "video", "path", "size", "streams"} (the frame buffer: kiosk.call._frames)

Invariants:
- Signaling goes only through the agent's request socket (the terminal's enrolled CURVE link);
  the ICE server list is empty unless configured (`--ice-server`) (aiortc would otherwise add a public
  STUN server), so media stay on the city network.
- The SDP offer is complete (non-trickle ICE) before it is sent; chat and "bye" travel on the
  peer-to-peer data channel and never through the central side.
- A hand-over (the console's data-channel message, or the relay's poll) replaces the peer
  connection and its tracks with new ones and a new offer; the old peer's closing is not an end.
- A connected call whose video stops for `MEDIA_TIMEOUT_S` ends as `network` (a dropped link),
  and the relay is told so the console says so too.
- Every end of a call (either side's hang-up, the relay saying ended, a failed connection, stdin
  closing) stops the tracks, closes the peer connection and reports one `ended` event.
- With a Janus on the central side (the relay's poll says `room`), the same offer publishes to
  the call's VideoRoom and `kiosk.call._room.RoomLink` receives each staff member's feed: a
  second specialist or an interpreter joins without the terminal encoding twice.
- The pictures reach the kiosk UI through a shared-memory file of RGB frames (`kiosk.call._frames`,
  0600, announced by a `video` event before anything else of the call): the specialist's scaled
  to 640×480 at most 15 times a second, the resident's own camera and the other staff of a room
  small at most 10 times a second. Scaling happens here (libswscale), so the UI process only
  copies bytes into a texture. The buffer is zeroed and unlinked when the call ends; a party
  leaving or a hand-over empties their pictures at once.
- It logs event names and error class names only; chat text goes to stdout (the kiosk), never to
  stderr or a file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time

__all__ = ["main"]

POLL_S = 0.15  # how often the relay is asked while waiting; ~7 small requests/s per terminal
MAX_CHAT = 500
# The camera sends 25 frames a second (PAL video's rate): a face talking looks the same as at 30,
# and the terminal encodes a sixth fewer frames (the worker's CPU on a Pi-class board; issue 18
# asks ≥ 20 frames/s both ways and ≤ 0.5 core).
CAMERA_FPS = 25
MAX_FIELDS, MAX_LABEL, MAX_VALUE = 40, 80, 300  # a shared form: what a page can show legibly
# No video decoded for this long in a connected call: the link dropped. ICE consent freshness
# would say so only after ~30 s; a resident should not sit before a frozen picture that long.
MEDIA_TIMEOUT_S = 5.0


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Worker:
    def __init__(self, args: argparse.Namespace, emit) -> None:
        from sync.agent import RequestClient

        self.args = args
        self.emit = emit
        self.client = RequestClient(args.agent)
        self.pc = None
        self.dc = None
        self.consultation: str | None = None
        self.ended = asyncio.Event()
        self.tracks: list = []
        self.received_video = None
        self.received_audio = None
        self.tasks: list[asyncio.Task] = []
        self.handing_over = False
        self.room = None  # a RoomLink once the call meets in a VideoRoom
        self.muted = False
        self.staff_name = ""  # the holder: in a room, their feed is the large picture
        from kiosk.call._tracks import Pictures

        self.pictures = Pictures(args.frames_dir, emit)  # the frame buffer for the kiosk UI
        self.t0_cpu = _cpu_s()
        self.t0 = time.monotonic()

    async def request(self, payload: dict, timeout: float = 3.0) -> dict:
        return await asyncio.to_thread(self.client.request, "consult", payload, timeout)

    def _media(self):
        if self.args.media == "synthetic":
            from kiosk.call._tracks import SyntheticAudioTrack, SyntheticVideoTrack

            video = SyntheticVideoTrack(self.args.width, self.args.height, fps=self.args.fps)
            return video, SyntheticAudioTrack()
        from aiortc.contrib.media import MediaPlayer

        video = MediaPlayer(
            self.args.video_device,
            format="v4l2",
            options={
                "video_size": f"{self.args.width}x{self.args.height}",
                "framerate": str(self.args.fps),
            },
        )
        audio = MediaPlayer(self.args.audio_device, format="alsa")
        return video.video, audio.audio

    def _ice_servers(self) -> list:
        """Only the configured servers (the city's TURN): an empty list keeps aiortc from adding
        its public STUN default. TURN credentials come from the environment, never argv."""
        from aiortc import RTCIceServer

        servers = []
        for url in self.args.ice_server:
            if url.startswith(("turn:", "turns:")):
                servers.append(
                    RTCIceServer(
                        url,
                        username=os.environ.get("MADOGUCHI_TURN_USERNAME"),
                        credential=os.environ.get("MADOGUCHI_TURN_CREDENTIAL"),
                    )
                )
            else:
                servers.append(RTCIceServer(url))
        return servers

    async def _new_peer(self) -> str:
        """A fresh peer connection with fresh tracks and data channel; its complete offer SDP."""
        from aiortc import RTCConfiguration, RTCPeerConnection

        from kiosk.call._tracks import Counter, drain

        self.pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=self._ice_servers()))
        self.received_video, self.received_audio = Counter(), Counter()
        from kiosk.call._tracks import MutableAudioTrack, SelfViewTrack

        camera, microphone = self._media()
        video = SelfViewTrack(camera, self.pictures.sink("self"))
        audio = MutableAudioTrack(microphone)
        audio.muted = self.muted  # a mute survives a hand-over's new peer
        self.tracks = [video, audio]
        pc.addTrack(video)
        pc.addTrack(audio)
        self.dc = pc.createDataChannel("chat")
        self.dc.on("message", self._on_message)

        @pc.on("track")
        def on_track(track) -> None:
            if track.kind == "video":
                job = drain(track, self.received_video, time.time, self.pictures.sink("main"))
            else:
                job = drain(track, self.received_audio, time.time)
            self.tasks.append(asyncio.ensure_future(job))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc is not self.pc or self.handing_over:
                return  # an old peer closing after a hand-over: not the end of the call
            if pc.connectionState == "connected":
                self.emit({"event": "connected", "at": time.time()})
            elif pc.connectionState == "failed":
                await self.finish("network")

        await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate first
        return pc.localDescription.sdp

    async def _drop_peer(self) -> None:
        if self.room is not None:
            room, self.room = self.room, None
            await room.close()
        self.pictures.blank_remote()  # whoever was there is not shown while the next one comes
        for track in self.tracks:
            track.stop()
        self.tracks = []
        if self.pc is not None:
            await self.pc.close()

    async def call(self, topic: str, language: str) -> None:
        from sync.errors import RequestError

        if self.pc is not None:
            self.emit({"event": "error", "reason": "busy"})
            return
        self.pictures.open()
        try:
            offer = await self._new_peer()
        except Exception as e:  # noqa: BLE001 - a missing camera or microphone: said plainly
            await self.finish("unavailable", reason=f"media_{type(e).__name__}")
            return
        try:
            got = await self.request(
                {"op": "open", "topic": topic, "language": language, "offer": offer}
            )
        except RequestError as e:
            await self.finish("unavailable", reason=type(e).__name__)
            return
        if not got.get("ok"):
            await self.finish("refused", reason=str(got.get("reason", "refused")))
            return
        self.consultation = got["consultation"]
        self.emit({"event": "queued", "position": got.get("position", 0)})
        self.tasks.append(asyncio.ensure_future(self._wait_answer()))

    def _begin_handover(self, topic: str) -> None:
        """The staff member handed the resident over to `topic` (said on the data channel, or
        seen by the relay poll). Synchronous, so the old peer's closing, which may be handled
        next, is already known not to be a failure."""
        if self.handing_over or self.ended.is_set():
            return
        self.handing_over = True
        self.emit({"event": "handed_over", "topic": topic})
        self.tasks.append(asyncio.ensure_future(self._renegotiate(topic)))

    async def _renegotiate(self, topic: str) -> None:
        """A new peer, a new offer, and the wait in the new topic's queue."""
        from sync.errors import RequestError

        await self._drop_peer()
        try:
            offer = await self._new_peer()
        except Exception as e:  # noqa: BLE001 - the camera went away between two calls
            await self.finish("unavailable", reason=f"media_{type(e).__name__}")
            return
        for _ in range(10):
            try:
                got = await self.request(
                    {"op": "reoffer", "consultation": self.consultation, "offer": offer}
                )
                break
            except RequestError:
                await asyncio.sleep(POLL_S)
        else:
            await self.finish("network")
            return
        if not got.get("ok"):
            await self.finish("refused", reason=str(got.get("reason", "refused")))
            return
        self.handing_over = False
        self.emit({"event": "queued", "position": got.get("position", 0), "topic": topic})
        self.tasks.append(asyncio.ensure_future(self._wait_answer()))

    async def _wait_answer(self) -> None:
        from aiortc import RTCSessionDescription

        from sync.errors import RequestError

        position = None
        failures = 0
        while not self.ended.is_set() and not self.handing_over:
            try:
                got = await self.request({"op": "poll", "consultation": self.consultation})
                failures = 0
            except RequestError:
                failures += 1
                if failures >= 10:  # ~30 s without the relay: say so plainly
                    await self.finish("network")
                    return
                continue
            state = got.get("state")
            if not got.get("ok") or state == "ended":
                await self.finish(got.get("ended_by") or "console", remote=True)
                return
            if state == "waiting" and got.get("position") != position:
                position = got.get("position")
                event = {"event": "position", "position": position}
                if "estimate_s" in got:
                    event["estimate_s"] = got["estimate_s"]
                self.emit(event)
            if state == "accepted" and got.get("room") and self.pc is not None:
                from kiosk.call._room import publish

                await publish(self, got)
                return
            if state == "accepted" and "answer" in got and self.pc is not None:
                answer = RTCSessionDescription(got["answer"], "answer")
                try:
                    await self.pc.setRemoteDescription(answer)
                except Exception as e:  # noqa: BLE001 - an answer we cannot use ends the call
                    await self.finish("network", reason=f"answer_{type(e).__name__}")
                    return
                self.staff_name = str(got.get("staff_name", ""))[:60]
                self.emit(
                    {
                        "event": "answered",
                        "role": got.get("staff_role", ""),
                        "name": got.get("staff_name", ""),
                        "at": time.time(),
                    }
                )
                self.tasks.append(asyncio.ensure_future(self._watch_relay()))
                return
            await asyncio.sleep(POLL_S)

    async def _watch_relay(self) -> None:
        """The console may end the call without the data channel (a closed tab), or hand over;
        in a room, staff join and leave."""
        from sync.errors import RequestError

        while not self.ended.is_set() and not self.handing_over:
            # In a room, staff join at any time: how soon the terminal sees a newcomer's feed
            # is most of the newcomer's connect time, so the room is looked at more often.
            await asyncio.sleep(POLL_S if self.room is not None else 0.5)
            try:
                got = await self.request({"op": "poll", "consultation": self.consultation})
            except RequestError:
                continue
            if self.handing_over:
                return
            last = self.received_video.last_at if self.received_video else None
            if last is not None and time.monotonic() - last > MEDIA_TIMEOUT_S:
                await self.finish("network")
                return
            if not got.get("ok") or got.get("state") == "ended":
                await self.finish(got.get("ended_by") or "console", remote=True)
                return
            if got.get("state") == "handover":
                self._begin_handover(str(got.get("topic", ""))[:40])
                return
            if self.room is not None and "feeds" in got:
                await self.room.update(got["feeds"], got.get("offers"))

    def _on_message(self, message) -> None:
        try:
            m = json.loads(message)
        except (TypeError, ValueError):
            return
        if not isinstance(m, dict):
            return
        if m.get("type") == "chat" and isinstance(m.get("text"), str):
            self.emit({"event": "chat", "text": m["text"][:MAX_CHAT]})
        elif m.get("type") == "bye":
            asyncio.ensure_future(self.finish("console", remote=True))
        elif m.get("type") == "print":
            from kiosk.call.documents import checklist_from_staff

            data = checklist_from_staff(m)
            if data is None:
                self._send_dc({"type": "print_result", "ok": False, "reason": "bad_document"})
            else:
                self.emit({"event": "print", "kind": "checklist", "data": data})
        elif m.get("type") == "handover" and isinstance(m.get("topic"), str):
            self._begin_handover(m["topic"][:40])

    def share(self, fields: object) -> None:
        """The resident tapped "show the form": these fields (label → value) go to the staff
        member's page peer to peer; `None` stops sharing. Never through central, never logged."""
        if self.dc is None or self.dc.readyState != "open":
            self.emit({"event": "error", "reason": "not_connected"})
            return
        if fields is None:
            self.dc.send(json.dumps({"type": "form_end"}))
            return
        if not isinstance(fields, list):
            self.emit({"event": "error", "reason": "bad_form"})
            return
        rows = [
            [str(label)[:MAX_LABEL], str(value)[:MAX_VALUE]]
            for label, value in (
                f for f in fields[:MAX_FIELDS] if isinstance(f, list) and len(f) == 2
            )
        ]
        self.dc.send(json.dumps({"type": "form", "fields": rows}, ensure_ascii=False))

    def _send_dc(self, message: dict) -> None:
        if self.dc is not None and self.dc.readyState == "open":
            self.dc.send(json.dumps(message, ensure_ascii=False))

    def print_result(self, ok: bool, reason: str = "") -> None:
        """Tell the staff member whether the document they sent printed at the terminal."""
        self._send_dc({"type": "print_result", "ok": ok, "reason": reason[:40]})

    def mute(self, on: bool) -> None:
        self.muted = on
        for track in self.tracks:
            if track.kind == "audio":
                track.muted = on
        self.emit({"event": "muted", "on": on})

    def chat(self, text: str) -> None:
        if self.dc is None or self.dc.readyState != "open":
            self.emit({"event": "error", "reason": "not_connected"})
            return
        self.dc.send(json.dumps({"type": "chat", "text": text[:MAX_CHAT]}))

    async def finish(self, by: str, *, remote: bool = False, reason: str = "") -> None:
        if self.ended.is_set():
            return
        self.ended.set()
        if not remote:
            if self.dc is not None and self.dc.readyState == "open":
                self.dc.send(json.dumps({"type": "bye"}))
                await asyncio.sleep(0.05)  # let the bye leave before the transport closes
            if self.consultation is not None:
                from sync.errors import RequestError

                try:
                    await self.request(
                        {"op": "hangup", "consultation": self.consultation, "reason": by}
                    )
                except RequestError as e:  # the relay drops a request that stops polling
                    self.emit({"event": "error", "reason": f"hangup_{type(e).__name__}"})
        final = self.stats()  # counted before the tracks go
        await self._drop_peer()
        self.pictures.close()  # zeroed and unlinked: no picture outlives the call
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        event = {"event": "ended", "by": by, **final}
        if reason:
            event["reason"] = reason
        self.emit(event)

    def stats(self) -> dict:
        sent = self.tracks[0].sent.frames if self.tracks and hasattr(self.tracks[0], "sent") else 0
        v, a = self.received_video, self.received_audio
        extra = {}
        if self.room is not None:
            extra = {
                "frames_by_party": self.room.frames(),
                "first_frame_by_party": self.room.first_frames(),
            }
        return {
            **extra,
            "frames_shown": self.pictures.shown(),
            "frames_sent": sent,
            "frames_received": v.frames if v else 0,
            "audio_received": a.frames if a else 0,
            "first_frame_at": v.first_at if v else None,
            "cpu_s": round(_cpu_s() - self.t0_cpu, 3),
            "wall_s": round(time.monotonic() - self.t0, 3),
        }


async def _serve(args: argparse.Namespace) -> int:
    out = sys.stdout

    def emit(event: dict) -> None:
        out.write(json.dumps(event, ensure_ascii=False) + "\n")
        out.flush()

    worker = Worker(args, emit)
    try:
        return await _loop(worker, emit)
    finally:
        worker.pictures.close()  # even when the loop fails: frames are personal data


async def _loop(worker: Worker, emit) -> int:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    emit({"event": "ready", "pid": os.getpid()})
    while True:
        try:
            line = await reader.readline()
        except (ValueError, asyncio.LimitOverrunError):
            emit({"event": "error", "reason": "line_too_long"})
            continue
        if not line:
            break
        try:
            cmd = json.loads(line)
            name = cmd.get("cmd")
        except (ValueError, AttributeError):
            emit({"event": "error", "reason": "bad_command"})
            continue
        if name == "call":
            await worker.call(str(cmd.get("topic", "")), str(cmd.get("language", "ja")))
        elif name == "chat":
            worker.chat(str(cmd.get("text", "")))
        elif name == "print_result":
            worker.print_result(bool(cmd.get("ok")), str(cmd.get("reason", "")))
        elif name == "mute":
            worker.mute(bool(cmd.get("on")))
        elif name == "share":
            worker.share(cmd.get("fields"))
        elif name == "hangup":
            await worker.finish("terminal")
        elif name == "stats":
            emit({"event": "stats", **worker.stats()})
        else:
            emit({"event": "error", "reason": "unknown_command"})
    await worker.finish("terminal")  # the kiosk went away: end the call, never leave it open
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kiosk.call.worker", description=__doc__.splitlines()[0])
    p.add_argument("--agent", required=True, help="The sync agent's request endpoint (ipc://...).")
    p.add_argument("--media", choices=("synthetic", "devices"), default="devices")
    p.add_argument("--video-device", default="/dev/video0")
    p.add_argument("--audio-device", default="default")
    p.add_argument(
        "--ice-server",
        action="append",
        default=[],
        help="A TURN/STUN URL (repeat for several); none by default.",
    )
    p.add_argument(
        "--frames-dir",
        default="/dev/shm",
        help="Where the call's frame buffer for the kiosk UI is made ('' for none).",
    )
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument(
        "--fps",
        type=int,
        default=CAMERA_FPS,
        choices=range(10, 31),
        metavar="10-30",
        help=f"The camera's frames a second (default {CAMERA_FPS}).",
    )
    args = p.parse_args(argv)
    try:
        return asyncio.run(_serve(args))
    except Exception as e:  # noqa: BLE001 - one line, no traceback that could carry call data
        print(f"call worker: {type(e).__name__}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
