"""The session side of a video consultation: `CallPort` starts and drives the call worker.

No Kivy and no aiortc here: the worker (`python -m kiosk.call.worker`) is a child process that
owns the media; this port writes commands to its stdin and hands each event line to `on_event`
from a reader thread (a Kivy screen reschedules it onto its clock). `events` keeps every event
too, so the session logic and tests can wait for one (`wait_for`).

The worker's pictures arrive in a shared-memory frame buffer it announces (`video` event);
the port checks the announcement (`kiosk.call._frames.FrameReader.open`) and keeps the reader as
`video` for the call screen's picture widgets. A refused announcement becomes
`{"event": "error", "reason": "bad_video", "code": ...}` and nothing is mapped.

Invariants: one call per worker; `close()` ends the call (stdin closes → the worker hangs up,
stops its tracks and exits) and, if the worker has not exited within `timeout`, kills it; no
event is logged (chat lines are events); once the worker has exited, for whatever reason (a
crash included), the frame buffer it announced is zeroed and unlinked if it is still there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

from kiosk.call._frames import DEFAULT_DIR, FrameReader
from kiosk.call.errors import CallVideoError, CallWorkerError

__all__ = ["CallPort"]


class CallPort:
    def __init__(
        self,
        agent_endpoint: str,
        *,
        media: str = "devices",
        launcher: Sequence[str] = (),
        ice_servers: Sequence[str] = (),
        on_event: Callable[[dict], None] | None = None,
        python: str = sys.executable,
        env: dict | None = None,
        frames_dir: str = DEFAULT_DIR,
    ) -> None:
        """`launcher` prefixes the worker's command line (e.g. `ip netns exec NS` in tests);
        `frames_dir` is where its frame buffer may be ('' for no pictures)."""
        argv = [*launcher, python, "-m", "kiosk.call.worker", "--agent", agent_endpoint]
        argv += ["--media", media, "--frames-dir", frames_dir]
        self.frames_dir = frames_dir
        self.video: FrameReader | None = None  # the pictures, once announced and accepted
        self._wiped = threading.Lock()
        for url in ice_servers:  # TURN credentials travel in the environment (`env`), not argv
            argv += ["--ice-server", url]
        self.events: list[dict] = []
        self._cond = threading.Condition()
        self._on_event = on_event
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, **(env or {})},
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as e:
            raise CallWorkerError(f"cannot start the call worker: {e.strerror}") from e
        self._reader = threading.Thread(target=self._read, name="call-events", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _read(self) -> None:
        for line in self._proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if event.get("event") == "video":
                event = self._accept_video(event)
            elif event.get("event") == "participants" and self.video is not None:
                self.video.set_parties(event.get("staff"))
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
            if self._on_event is not None:
                self._on_event(event)
        code = self._proc.wait()
        self._wipe_video()  # a crashed worker could not: frames are personal data
        with self._cond:
            self.events.append({"event": "exited", "code": code})
            self._cond.notify_all()

    def _accept_video(self, event: dict) -> dict:
        """Map the announced frame buffer, or say plainly why not (nothing mapped then)."""
        if self.video is not None or not self.frames_dir:
            return {"event": "error", "reason": "bad_video", "code": "unexpected"}
        try:
            self.video = FrameReader.open(event, self.frames_dir)
        except CallVideoError as e:
            return {"event": "error", "reason": "bad_video", "code": e.code}
        return {"event": "video", "streams": sorted(self.video.streams)}

    def _wipe_video(self) -> None:
        with self._wiped:
            if self.video is not None:
                self.video.wipe()

    def _send(self, command: dict) -> None:
        try:
            self._proc.stdin.write(json.dumps(command, ensure_ascii=False) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as e:
            raise CallWorkerError("the call worker is not running") from e

    def call(self, topic: str, language: str) -> None:
        """Ask for a consultation on `topic` (the resident tapped to start it)."""
        self._send({"cmd": "call", "topic": topic, "language": language})

    def chat(self, text: str) -> None:
        self._send({"cmd": "chat", "text": text})

    def share(self, fields: list[tuple[str, str]] | None) -> None:
        """Show these form fields (label, value) to the staff member; None stops sharing."""
        rows = None if fields is None else [[label, value] for label, value in fields]
        self._send({"cmd": "share", "fields": rows})

    def mute(self, on: bool) -> None:
        """The resident's microphone: silence goes out while `on` (the call goes on)."""
        self._send({"cmd": "mute", "on": bool(on)})

    def print_result(self, ok: bool, reason: str = "") -> None:
        """Whether the document the staff member sent printed here (they see it on their page)."""
        self._send({"cmd": "print_result", "ok": bool(ok), "reason": reason})

    def hangup(self) -> None:
        self._send({"cmd": "hangup"})

    def stats(self) -> None:
        self._send({"cmd": "stats"})

    def wait_for(self, kind: str, timeout: float, *, after: int = 0) -> dict:
        """The first event named `kind` at index `after` or later; CallWorkerError after
        `timeout` seconds or if the worker exits first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[after:]:
                    if event.get("event") == kind:
                        return event
                    if event.get("event") == "exited" and kind != "exited":
                        raise CallWorkerError(f"the call worker exited before {kind!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CallWorkerError(f"no {kind!r} event from the call worker in {timeout} s")
                self._cond.wait(left)

    def close(self, timeout: float = 10.0) -> int:
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            code = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait(5)
        self._reader.join(5)
        self._wipe_video()
        return code

    def stderr_tail(self) -> str:
        """The worker's stderr (error class names only) once it has exited."""
        if self._proc.poll() is None or self._proc.stderr is None:
            return ""
        return self._proc.stderr.read()[-2000:]
