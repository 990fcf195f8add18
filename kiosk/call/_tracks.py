"""Synthetic media for the call worker (tests, benchmark, demo) and counting sinks.

Invariants: the synthetic tracks pace themselves on aiortc's clock (`next_timestamp`), count every
frame they hand to the encoder (`sent`), and never raise out of `recv()` — an exception there
silently stops a track in aiortc, so a failure is counted (`errors`) and a blank frame goes out.
`drain` counts every frame decoded from a remote track until it ends.
`FrameSink` scales a decoded frame into the kiosk's frame buffer (`kiosk.call._frames`) at most
`max_fps` times a second and never raises into the track's loop (a failure is counted);
`SelfViewTrack` passes the camera's frames to the encoder unchanged and shows some of them small.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import (
    AUDIO_PTIME,
    VIDEO_CLOCK_RATE,
    VIDEO_TIME_BASE,
    MediaStreamError,
    VideoStreamTrack,
)
from av import AudioFrame, VideoFrame
from av.video.reformatter import VideoReformatter

__all__ = [
    "Counter",
    "FrameSink",
    "MutableAudioTrack",
    "Pictures",
    "SelfViewTrack",
    "SyntheticAudioTrack",
    "SyntheticVideoTrack",
    "drain",
]


class Counter:
    def __init__(self) -> None:
        self.frames = 0
        self.first_at: float | None = None  # wall clock of the first frame
        self.last_at: float | None = None  # monotonic clock of the latest frame
        self.errors = 0


class SyntheticVideoTrack(VideoStreamTrack):
    """A moving colour pattern, `width`×`height` at `fps` frames a second (the camera's rate:
    paced on aiortc's 90 kHz video clock as its own tracks are, at 30)."""

    def __init__(self, width: int = 640, height: int = 480, fps: int = 30) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.step = int(VIDEO_CLOCK_RATE / fps)  # clock ticks between frames
        self.start_at: float | None = None
        self.pts = 0
        self.sent = Counter()
        y = np.arange(height, dtype=np.uint16)[:, None]
        x = np.arange(width, dtype=np.uint16)[None, :]
        self._base = ((x + y) % 256).astype(np.uint8)
        self._frame = np.zeros((height, width, 3), dtype=np.uint8)

    async def next_timestamp(self):
        if self.readyState != "live":
            raise MediaStreamError
        if self.start_at is None:
            self.start_at, self.pts = time.time(), 0
        else:
            self.pts += self.step
            await asyncio.sleep(self.start_at + self.pts / VIDEO_CLOCK_RATE - time.time())
        return self.pts, VIDEO_TIME_BASE

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        try:
            n = self.sent.frames
            self._frame[:, :, 0] = self._base + np.uint8(n % 256)
            self._frame[:, :, 1] = np.uint8((n * 3) % 256)
            self._frame[:, :, 2] = self._base[::-1, :]
            frame = VideoFrame.from_ndarray(self._frame, format="rgb24")
        except Exception:  # noqa: BLE001 - see the module docstring: never raise out of recv()
            self.sent.errors += 1
            frame = VideoFrame(self.width, self.height, "yuv420p")
        frame.pts, frame.time_base = pts, time_base
        self.sent.frames += 1
        return frame


class SyntheticAudioTrack(MediaStreamTrack):
    """A quiet 440 Hz tone, 48 kHz mono s16 in 20 ms frames."""

    kind = "audio"

    def __init__(self, rate: int = 48000) -> None:
        super().__init__()
        self.rate = rate
        self.samples = int(AUDIO_PTIME * rate)
        self.sent = Counter()
        self._start: float | None = None
        self._pts = 0
        t = np.arange(self.samples) / rate
        self._phase_step = 2 * math.pi * 440 * self.samples / rate
        self._t = t

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += self.samples
            wait = self._start + self._pts / self.rate - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        try:
            phase = self.sent.frames * self._phase_step
            tone = (np.sin(2 * math.pi * 440 * self._t + phase) * 3000).astype(np.int16)
            frame = AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        except Exception:  # noqa: BLE001 - never raise out of recv()
            self.sent.errors += 1
            frame = AudioFrame(format="s16", layout="mono", samples=self.samples)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
        frame.pts, frame.sample_rate = self._pts, self.rate
        frame.time_base = fractions.Fraction(1, self.rate)
        self.sent.frames += 1
        return frame


class MutableAudioTrack(MediaStreamTrack):
    """The microphone with a mute switch: while `muted`, every frame goes out as silence of the
    same shape (the stream, its timing and the encoder keep running, so unmuting is instant)."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.source = source
        self.muted = False
        self.sent = getattr(source, "sent", Counter())

    async def recv(self) -> AudioFrame:
        frame = await self.source.recv()
        if not self.muted:
            return frame
        try:
            silent = AudioFrame(
                format=frame.format.name, layout=frame.layout.name, samples=frame.samples
            )
            for plane in silent.planes:
                plane.update(bytes(plane.buffer_size))
            silent.pts, silent.sample_rate, silent.time_base = (
                frame.pts,
                frame.sample_rate,
                frame.time_base,
            )
            return silent
        except Exception:  # noqa: BLE001 - never raise out of recv(); never leak sound when muted
            self.sent.errors += 1
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            return frame

    def stop(self) -> None:
        super().stop()
        self.source.stop()


class FrameSink:
    """Writes decoded frames, scaled to the stream's box, into the frame buffer (`writer`), at
    most `max_fps` per second: the screen needs no more, and scaling is the costly part."""

    def __init__(self, writer, key: str, max_fps: float) -> None:
        self.writer, self.key = writer, key
        self.every = 1.0 / max_fps
        self.next_at = 0.0
        self.written = 0
        self.errors = 0
        # One scaler kept for the call: `frame.reformat` builds (and frees) a scaler with its
        # own threads for every frame, which cost the worker more than the scaling itself.
        self.scaler = VideoReformatter()

    def __call__(self, frame) -> None:
        now = time.monotonic()
        if now < self.next_at or self.writer is None:
            return
        self.next_at = now + self.every
        try:
            from kiosk.call._frames import fit

            w, h = fit(frame.width, frame.height, *self.writer.box(self.key))
            scaled = self.scaler.reformat(frame, width=w, height=h, format="rgb24", threads=1)
            rgb = scaled.to_ndarray()
            self.writer.write(self.key, w, h, np.ascontiguousarray(rgb))
            self.written += 1
        except Exception:  # noqa: BLE001 - a picture not shown must never stop the call's media
            self.errors += 1


class Pictures:
    """The call's frame buffer and its sinks: created and announced (`open`) when the call
    starts; without one (`directory` '' or the file refused) the call goes on, unseen."""

    MAIN_FPS, SMALL_FPS = 15.0, 10.0  # what the screen draws: the large picture, the small ones

    def __init__(self, directory: str, emit) -> None:
        self.directory, self.emit = directory, emit
        self.writer = None
        self.sinks: dict[str, FrameSink] = {}

    def open(self) -> None:
        if self.writer is not None or not self.directory:
            return
        from kiosk.call._frames import FrameWriter

        try:
            self.writer = FrameWriter(self.directory)
        except OSError as e:
            self.emit({"event": "error", "reason": f"video_buffer_{type(e).__name__}"})
            return
        self.emit(self.writer.announcement())

    def sink(self, key: str) -> FrameSink | None:
        if self.writer is None:
            return None
        if key not in self.sinks:
            fps = self.MAIN_FPS if key == "main" else self.SMALL_FPS
            self.sinks[key] = FrameSink(self.writer, key, fps)
        return self.sinks[key]

    def blank(self, key: str) -> None:
        if self.writer is not None:
            self.writer.blank(key)

    def blank_remote(self) -> None:
        for key in ("main", *(k for k in self.sinks if k.startswith("party"))):
            self.blank(key)

    def shown(self) -> dict[str, int]:
        return {key: sink.written for key, sink in self.sinks.items()}

    def close(self) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            for sink in self.sinks.values():
                sink.writer = None
            writer.close()


class SelfViewTrack(MediaStreamTrack):
    """The camera as sent, with some of its frames shown small to the resident (self view).
    Frames leave in the encoder's format (yuv420p), converted by one scaler kept for the call
    (the encoder would otherwise build a new one, with its threads, for every frame)."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, sink: FrameSink | None) -> None:
        super().__init__()
        self.source, self.sink = source, sink
        self.converter = VideoReformatter()
        self.conversion_errors = 0
        if hasattr(source, "sent"):
            self.sent = source.sent

    async def recv(self):
        frame = await self.source.recv()
        if self.sink is not None:
            self.sink(frame)
        if frame.format.name != "yuv420p":
            try:
                converted = self.converter.reformat(frame, format="yuv420p", threads=1)
                converted.pts, converted.time_base = frame.pts, frame.time_base
                frame = converted
            except Exception:  # noqa: BLE001 - never raise out of recv(); the encoder converts
                self.conversion_errors += 1
        return frame

    def stop(self) -> None:
        super().stop()
        self.source.stop()


async def drain(track: MediaStreamTrack, counter: Counter, wall, sink=None) -> None:
    """Receive (decode) every frame of `track` until it ends, counting them (and showing some
    through `sink`)."""
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if sink is not None:
            sink(frame)
        counter.frames += 1
        counter.last_at = time.monotonic()
        if counter.first_at is None:
            counter.first_at = wall()
