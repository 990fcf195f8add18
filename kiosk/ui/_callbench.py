"""The kiosk UI side of `madoguchi bench call`, run in its own process: a Kivy window (the
kiosk's size, offscreen without a display) whose `VideoPicture`s draw the call's frame buffer as
the call screen does — the specialist large, the resident's own picture small.

Protocol (JSON lines): stdin gets `{"video": <the worker's announcement>, "seconds": s}`; stdout
says `{"event": "ready", "rss_mb"}` once the window and the pictures exist (nothing drawn yet),
then, after one second of drawing (the textures exist) and `seconds` more,
`{"event": "done", "rss_before_mb", "rss_mb", "frames_drawn", "self_frames_drawn",
"frames_per_s", "cpu_cores"}`: the memory before any frame and while drawing, and what drawing
cost this process. Nothing is kept: the pictures are detached and the buffer unmapped at the end.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

from kiosk.ui._benchapp import _kivy_env, _rss_mb, _say

__all__ = ["call_view_child"]


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def call_view_child() -> None:
    asked = json.loads(sys.stdin.readline())
    seconds = float(asked.get("seconds", 8.0))
    _kivy_env()
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.boxlayout import BoxLayout

    from kiosk.call import FrameReader
    from kiosk.ui._video import VideoPicture

    announcement = asked["video"]
    reader = FrameReader.open(announcement, os.path.dirname(str(announcement.get("path", ""))))
    main, me = VideoPicture(stream="main"), VideoPicture(stream="self", size_hint_x=0.3)
    measured: dict = {}

    class CallView(App):
        def build(self):
            box = BoxLayout(spacing=16, padding=24)
            box.add_widget(main)
            box.add_widget(me)
            return box

        def on_start(self):
            def ready(_dt):
                measured["rss_before_mb"] = _rss_mb()
                _say(event="ready", rss_mb=measured["rss_before_mb"])
                main.attach(reader, "main")
                me.attach(reader, "self")
                Clock.schedule_once(start, 1.0)  # past the first frames: the textures exist

            def start(_dt):
                measured.update(f0=main.frames_drawn, t0=time.monotonic(), c0=_cpu_s())
                Clock.schedule_once(done, seconds)

            def done(_dt):
                wall = time.monotonic() - measured["t0"]
                frames = main.frames_drawn - measured["f0"]
                _say(
                    event="done",
                    rss_before_mb=measured["rss_before_mb"],
                    rss_mb=_rss_mb(),
                    frames_drawn=main.frames_drawn,
                    self_frames_drawn=me.frames_drawn,
                    frames_per_s=round(frames / wall, 1),
                    cpu_cores=round((_cpu_s() - measured["c0"]) / wall, 3),
                )
                main.detach()
                me.detach()
                reader.close()
                self.stop()

            Clock.schedule_once(ready, 0)  # after the first frame

    CallView().run()
