"""`RemoteRenderer`: the `DocumentRenderer` methods, rendered in a child process.

Why: the PDF stack (fpdf2, fontTools, Pillow, segno) and the parsed CJK font cost the process
that loads them over 100 MB, and rendering holds the GIL for tens of milliseconds. The kiosk's
UI process keeps neither: it sends the document info over a pipe and gets the PDF back. The
worker starts with `start()` (the kiosk calls it at start-up; the worker loads the font while
the home screen comes up) or on the first document.

Failure handling:
- the info is refused (`DocumentDataError` in the worker) → the same `DocumentDataError` here;
- the worker dies or breaks the protocol → it is restarted once and the document sent again;
  a second failure raises `RendererUnavailableError` (a `PrinterError` with the reason
  "renderer-unavailable", so the resident is told the printer could not print);
- no reply within `timeout_s` → the worker is killed, `RendererUnavailableError` (no retry: a
  document that hangs the renderer would hang the next one too).
One document at a time (a lock): the session prints from one worker thread anyway.
"""

from __future__ import annotations

import select
import subprocess
import sys
import threading
import time
from typing import Any

from devices.printer.documents import _wire
from devices.printer.documents._kinds import DocumentInfo
from devices.printer.documents._methods import DocumentMethods
from devices.printer.errors import (
    DocumentDataError,
    RendererUnavailableError,
    RenderTimeoutError,
)
from madoguchi.core.procinfo import rss_mb

__all__ = ["RemoteRenderer", "RendererUnavailableError"]


class RemoteRenderer(DocumentMethods):
    def __init__(
        self,
        *,
        labels: bool = True,
        timeout_s: float = 60.0,
        python: str = sys.executable,
        env: dict[str, str] | None = None,
    ) -> None:
        self.labels = labels  # prepare every label's glyphs at worker start (fast first prints)
        self.timeout_s = timeout_s
        self._argv = [python, "-m", "devices.printer.documents.worker"]
        if labels:
            self._argv.append("--labels")
        self._env = env
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.restarts = 0
        self._spawned = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> RemoteRenderer:
        """Start the worker now (it loads the font in its own time). Idempotent."""
        with self._lock:
            self._ensure()
        return self

    def warm_up(self, *, labels: bool = False) -> RemoteRenderer:
        """Same call as `DocumentRenderer.warm_up`: starts the worker (it warms itself)."""
        return self.start()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def rss_mb(self) -> float | None:
        """The worker's resident memory in MB (Linux /proc), None when it is not running."""
        pid = self.pid
        return None if pid is None else rss_mb(pid)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the worker: close its stdin (it exits), kill it if it does not in time."""
        with self._lock:
            self._stop(timeout_s)
            self._spawned = False

    def __enter__(self) -> RemoteRenderer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _ensure(self) -> subprocess.Popen:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            return proc
        if proc is not None:
            self._stop(0)
        if self._spawned:
            self.restarts += 1  # a worker existed and died (or was stopped after a failure)
        self._spawned = True
        self._proc = subprocess.Popen(
            self._argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self._env,
            close_fds=True,
        )
        return self._proc

    def _stop(self, timeout_s: float) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    # -- documents (receipt(), checklist(), ... come from DocumentMethods) --------------------
    def render(self, kind: str, info: DocumentInfo, **options: Any) -> bytes:
        """The PDF of a document, rendered by the worker."""
        request = _wire.encode_request(kind, info, options)  # DocumentDataError if off
        with self._lock:
            for attempt in (1, 2):
                proc = self._ensure()
                try:
                    reply = self._exchange(proc, request)
                except RenderTimeoutError:
                    self._stop(0)
                    raise RendererUnavailableError(
                        f"the render worker gave no {kind} within {self.timeout_s:.0f} s"
                    ) from None
                except (OSError, _wire.FrameError) as e:
                    self._stop(0)
                    if attempt == 2:
                        raise RendererUnavailableError(
                            f"the render worker failed twice ({type(e).__name__})"
                        ) from e
                    continue
                return self._result(kind, reply)
        raise AssertionError("unreachable")

    def _exchange(self, proc: subprocess.Popen, request: bytes) -> bytes:
        assert proc.stdin is not None and proc.stdout is not None
        deadline = time.monotonic() + self.timeout_s
        out_fd = proc.stdout.fileno()

        def wait() -> None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([out_fd], [], [], left)[0]:
                raise RenderTimeoutError

        _wire.write_frame(proc.stdin.fileno(), request)
        return _wire.read_frame(out_fd, _wire.MAX_REPLY, wait)

    @staticmethod
    def _result(kind: str, reply: bytes) -> bytes:
        if not reply:
            raise RendererUnavailableError("the render worker sent an empty reply")
        status, payload = reply[0], reply[1:]
        if status == _wire.OK:
            return payload
        message = payload.decode("utf-8", "replace")
        if status == _wire.DATA_ERROR:
            raise DocumentDataError(message)
        raise RendererUnavailableError(f"the render worker could not render {kind}: {message}")
