"""The worker's synthetic camera paces itself at the camera's rate (25 frames a second by
default, `CAMERA_FPS`) on aiortc's 90 kHz video clock, and the self view hands the encoder
yuv420p frames (one scaler kept for the call, not one per frame)."""

from __future__ import annotations

import asyncio
import time

import pytest

pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")


def test_the_synthetic_camera_sends_at_its_rate_in_yuv420p():
    from kiosk.call._tracks import SelfViewTrack, SyntheticVideoTrack
    from kiosk.call.worker import CAMERA_FPS

    assert CAMERA_FPS == 25

    async def run():
        track = SelfViewTrack(SyntheticVideoTrack(320, 240, fps=CAMERA_FPS), sink=None)
        started = time.monotonic()
        frames = [await track.recv() for _ in range(13)]
        return frames, time.monotonic() - started, track

    frames, took, track = asyncio.run(run())
    steps = {b.pts - a.pts for a, b in zip(frames, frames[1:], strict=False)}
    assert steps == {90_000 // 25}  # 3600 ticks: 25 frames a second
    assert took >= 12 / 25 - 0.02  # paced, not as fast as it can
    assert {f.format.name for f in frames} == {"yuv420p"} and track.conversion_errors == 0
    assert track.sent.frames == 13 and track.sent.errors == 0
