"""The two apps `madoguchi bench kiosk` measures, each run in its own process: an empty Kivy app
(one button, the same CJK font) and the kiosk over the real services doing a full 転入 journey.
They report on stdout as JSON lines (`ready` at the interactive first screen, `done` at the end).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from madoguchi.core.procinfo import rss_mb

__all__ = ["baseline_child", "kiosk_child"]


def _rss_mb() -> float:
    return rss_mb() or 0.0


def _say(**values) -> None:
    print(json.dumps(values), flush=True)


def _ask(**values) -> dict:
    """Ask the bench process for something (it answers one JSON line on stdin)."""
    _say(**values)
    return json.loads(sys.stdin.readline())


def _kivy_env() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    from kivy.config import Config

    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")


def _frame_drawn_ms(times: int = 5) -> float:
    """Median time to redraw the whole window and wait until the frame is complete."""
    from kivy.base import EventLoop
    from kivy.graphics.opengl import glFinish

    window = EventLoop.window
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        window.dispatch("on_draw")
        glFinish()
        samples.append((time.perf_counter() - t0) * 1000)
    return sorted(samples)[len(samples) // 2]


def baseline_child() -> None:
    _kivy_env()
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.button import Button

    from kiosk.fonts import register_fonts

    register_fonts()

    class Empty(App):
        def build(self):
            return Button(text="窓口 OK")

        def on_start(self):
            def ready(_dt):
                _say(event="ready", rss_mb=_rss_mb())
                Clock.schedule_once(measured, 0.3)  # laid out at the window's size by then

            def measured(_dt):
                _say(event="done", frame_drawn_ms=_frame_drawn_ms())
                self.stop()

            Clock.schedule_once(ready, 0)  # after the first frame

    Empty().run()


def kiosk_child(
    workdir: str, reader: str, vpcd_port: int, cups_socket: str, queue: str, journeys: int = 3
) -> None:
    _kivy_env()
    from kivy.base import EventLoop

    from kiosk.fonts import register_fonts

    register_fonts()
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from devices.card import CardReader
    from devices.printer import Printer, PrinterConfig
    from kiosk.catalog import default_catalog
    from kiosk.services import KioskServices
    from kiosk.session import KioskSession, SessionConfig
    from kiosk.ui.app import build_app, kivy_scheduler
    from kiosk.ui.walk import mount
    from sync.localstate import LocalState
    from sync.outbox import Outbox, OutboxConfig

    central = X25519PrivateKey.generate().public_key()
    outbox = Outbox(
        OutboxConfig(Path(workdir) / "outbox.db", reserve_bytes=0), "B01", central, "k1"
    )
    services = KioskServices(
        card_reader=CardReader(reader),
        outbox=outbox.open(),
        printer=Printer(
            PrinterConfig(server=cups_socket, queues={"receipt": queue, "document": queue})
        ),
        local_state=LocalState(Path(workdir) / "local.db"),
        city_name="豊橋市",
        center_name="東部地域センター",
    )
    clock = [1000.0]
    session = KioskSession(
        default_catalog(), services.ports(), SessionConfig(device_id="B01"), clock=lambda: clock[0]
    )
    app = build_app(session, services, tick_interval_s=None)
    EventLoop.ensure_window()
    window = EventLoop.window
    root = mount(app, window)
    services.watch_cards(session, kivy_scheduler())
    EventLoop.idle()
    EventLoop.idle()
    assert root.step == "home"
    _say(event="ready", rss_mb=_rss_mb())

    def frame() -> None:
        EventLoop.idle()

    def until(cond, timeout=30.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"stuck on {root.step}")
            frame()
            time.sleep(0.01)

    def journey() -> None:
        """One resident's 転入 (moving in), every screen drawn, then the idle wipe's trim."""
        session.open_life_events()
        frame()
        session.choose_life_event("moving_in")
        frame()
        while session.current_question is not None:
            session.answer(session.current_question.id, False)
            frame()
        session.print_checklist()
        session.choose_procedure("moving_in")
        frame()
        session.start_procedure()
        frame()
        pin = _ask(event="insert_card")["pin"]  # the bench process places the card
        until(lambda: session.step.value == "pin_entry")
        session.submit_pin(pin)
        frame()
        values = {"name_kana": "やまだはなこ", "new_town": "chuo", "new_chome": "1",
                  "new_lot": "2", "moved_on": "2026-11-20", "household_size": "2",
                  "phone": "5320000"}  # fmt: skip
        for name, value in values.items():
            session.correct_field(name, value)
        frame()
        session.confirm()
        frame()
        _ask(event="remove_card")
        until(lambda: session.step.value in ("done", "home"))
        session.finish()
        frame()
        session.submit_survey(9, ["clarity"])

    def idle_at_home() -> None:
        """Idle at home as between two residents: the app gives the screens' memory back."""
        settle = time.monotonic() + app.trim_after_s + 1.5
        while time.monotonic() < settle:
            frame()
            time.sleep(0.05)

    journey()
    rss_peak = _rss_mb()
    idle_at_home()
    rss_after = _rss_mb()
    # Screen changes among screens already built (as a resident moves back and forth).
    # `submitted`: the app's own work is done (session, widgets, textures, GL commands issued);
    # `drawn`: the frame is complete in the framebuffer (adds the renderer's rasterization,
    # which the app waits for in `finish_frame`; under llvmpipe that is most of it).
    submitted_at: list[float] = []

    def on_flip(*_args):
        submitted_at.append(time.perf_counter())  # bound last: runs before finish_frame

    window.bind(on_flip=on_flip)
    samples, drawn = [], []
    trim_after_s, app.trim_after_s = app.trim_after_s, 3600.0  # no release during the timing
    moves = [session.open_life_events, session.back, session.open_procedures, session.back,
             session.open_certificates, session.back, session.open_booking, session.back]  # fmt: skip
    for _ in range(6):
        for move in moves:
            submitted_at.clear()
            t0 = time.perf_counter()
            move()  # the intent notifies the app, which renders on the next frame
            frame()
            t1 = time.perf_counter()
            samples.append(((submitted_at[0] if submitted_at else t1) - t0) * 1000)
            drawn.append((t1 - t0) * 1000)
    window.unbind(on_flip=on_flip)
    # Back to the usual idle release (the last return home above scheduled it an hour out).
    app.trim_after_s = trim_after_s
    session.open_life_events()
    frame()
    session.back()
    frame()
    # More residents, one after another: memory must come back to the same level.
    for _ in range(journeys - 1):
        journey()
    idle_at_home()
    rss_after_journeys = _rss_mb()
    worker = services.renderer.rss_mb() if hasattr(services.renderer, "rss_mb") else None
    _say(
        event="done",
        rss_mb=rss_after,
        rss_peak_mb=rss_peak,
        rss_after_journeys_mb=rss_after_journeys,
        journeys=journeys,
        render_worker_rss_mb=worker or 0.0,
        screen_change_ms=samples,
        screen_change_drawn_ms=drawn,
    )
    services.close()
    outbox.close()
