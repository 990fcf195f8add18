"""`madoguchi bench kiosk`: cold start, memory and screen-change time of the kiosk app, against
an empty Kivy app with one button and the same CJK font, each in its own subprocess.

- `cold_start_s`: from spawning the process to the home screen drawn and interactive (the real
  services built: outbox, printer, card reader, watcher; catalog loaded);
- `rss_mb`: resident memory after a full 転入 (moving-in) journey through the real pcscd + vpcd
  card simulator, the test cupsd (capture queue) and a sealed outbox, every screen drawn, once
  the app has idled at home long enough to give the screens' memory back (`trim_after_s`);
  `rss_peak_mb` is the same process right at the end of the journey, before that, and
  `rss_at_home_mb` at the first interactive home screen (services and renderer loaded);
- `screen_change_ms_median`: one intent that changes the screen, rendered and drawn (one frame);
- `baseline_start_s`, `baseline_rss_mb`: the same for the empty app;
ratios: `start_over_baseline_s`, `rss_over_baseline_mb` (differences; targets +1.5 s, +60 MB).
Offscreen (SDL offscreen + llvmpipe) when there is no display.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from madoguchi.bench import emit, percentile, progress

NAME = "kiosk"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _say(**values) -> None:
    print(json.dumps(values), flush=True)


def _kivy_env() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    from kivy.config import Config

    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")


def _baseline_child() -> None:
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
                self.stop()

            Clock.schedule_once(ready, 0)  # after the first frame

    Empty().run()


def _kiosk_child(workdir: str, reader: str, vpcd_port: int, cups_socket: str, queue: str) -> None:
    _kivy_env()
    from kivy.base import EventLoop

    from kiosk.fonts import register_fonts

    register_fonts()
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from devices.card import CardReader
    from devices.printer import Printer, PrinterConfig
    from kiosk.app import build_app, kivy_scheduler
    from kiosk.catalog import default_catalog
    from kiosk.services import KioskServices
    from kiosk.session import KioskSession, SessionConfig
    from kiosk.ui._walk import mount
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

    # The full journey, every screen drawn.
    from devices.card.simulator import SimulatedCard

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
    with SimulatedCard("ordinary", port=vpcd_port, reader_name=reader) as card:
        until(lambda: session.step.value == "pin_entry")
        session.submit_pin(card.sim.profile.kenhojo_pin)
        frame()
        values = {"name_kana": "やまだはなこ", "new_town": "chuo", "new_chome": "1", "new_lot": "2",
                  "moved_on": "2026-11-20", "household_size": "2", "phone": "5320000"}  # fmt: skip
        for name, value in values.items():
            session.correct_field(name, value)
        frame()
        session.confirm()
        frame()
    until(lambda: session.step.value in ("done", "home"))
    session.finish()
    frame()
    session.submit_survey(9, ["clarity"])
    rss_peak = _rss_mb()
    # Idle at home as between two residents: the app gives the screens' memory back.
    settle = time.monotonic() + app.trim_after_s + 1.5
    while time.monotonic() < settle:
        frame()
        time.sleep(0.05)
    rss_after = _rss_mb()
    # Screen changes among screens already built (as a resident moves back and forth).
    samples = []
    app.trim_after_s = 3600.0  # no memory release in the middle of the timing
    moves = [session.open_life_events, session.back, session.open_procedures, session.back,
             session.open_certificates, session.back, session.open_booking, session.back]  # fmt: skip
    for _ in range(6):
        for move in moves:
            t0 = time.perf_counter()
            move()  # the intent notifies the app, which renders on the next frame
            frame()
            samples.append((time.perf_counter() - t0) * 1000)
    _say(event="done", rss_mb=rss_after, rss_peak_mb=rss_peak, screen_change_ms=samples)
    services.close()
    outbox.close()


def _spawn(args: list[str], env: dict[str, str]) -> tuple[float, dict, dict | None]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", *args], stdout=subprocess.PIPE, env=env, text=True
    )
    ready_at, ready, done = None, None, None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            msg = json.loads(line)
            if msg.get("event") == "ready":
                ready_at, ready = time.perf_counter() - t0, msg
            elif msg.get("event") == "done":
                done = msg
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    if ready is None:
        raise click.ClickException(f"child {args[0][:40]!r} exited {proc.returncode} before ready")
    return ready_at, ready, done


def _child_env(tmp: str, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["KIVY_HOME"] = str(Path(tmp) / "kivy-home")
    return env


@click.command(NAME)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the contract).")
@click.option("--runs", default=3, show_default=True, help="Cold starts of each app (median).")
def command(as_json: bool, runs: int) -> None:
    """Kiosk app cold start, RSS after a full journey, screen change time vs an empty Kivy app."""
    from madoguchi.rig import CupsRig, PcscRig

    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-kiosk-") as tmp:
        progress("bench kiosk: starting pcscd + vpcd and cupsd")
        pcsc = PcscRig(Path(tmp) / "pcscd").start()
        cups = CupsRig().start()
        try:
            listener = cups.add_capture_queue("bench_receipt")
            env = _child_env(tmp, pcsc.env)
            base_starts, base_rss, starts, rss, peaks, changes = [], [], [], [], [], []
            home_rss: list[float] = []
            for i in range(runs):
                progress(f"bench kiosk: run {i + 1}/{runs}: empty app")
                t, ready, _ = _spawn(
                    ["from madoguchi.bench.kiosk import _baseline_child as c; c()"], env
                )
                base_starts.append(t)
                base_rss.append(ready["rss_mb"])
                progress(f"bench kiosk: run {i + 1}/{runs}: kiosk app + full journey")
                work = Path(tmp) / f"run{i}"
                work.mkdir()
                code = (
                    "from madoguchi.bench.kiosk import _kiosk_child as c; "
                    f"c({str(work)!r}, {pcsc.reader_name(0)!r}, {pcsc.vpcd_port}, "
                    f"{str(cups.socket_path)!r}, 'bench_receipt')"
                )
                t, ready, done = _spawn([code], env)
                if done is None:
                    raise click.ClickException("the kiosk journey did not finish")
                starts.append(t)
                home_rss.append(ready["rss_mb"])
                rss.append(done["rss_mb"])
                peaks.append(done["rss_peak_mb"])
                changes += done["screen_change_ms"]
            listener.stop()
        finally:
            cups.stop()
            pcsc.stop()
    metrics = {
        "cold_start_s": round(percentile(starts, 50), 3),
        "rss_mb": round(percentile(rss, 50), 1),
        "rss_peak_mb": round(percentile(peaks, 50), 1),
        "rss_at_home_mb": round(percentile(home_rss, 50), 1),
        "screen_change_ms_median": round(percentile(changes, 50), 1),
        "screen_change_ms_p90": round(percentile(changes, 90), 1),
        "baseline_start_s": round(percentile(base_starts, 50), 3),
        "baseline_rss_mb": round(percentile(base_rss, 50), 1),
        "runs": runs,
    }
    ratios = {
        "start_over_baseline_s": round(metrics["cold_start_s"] - metrics["baseline_start_s"], 3),
        "rss_over_baseline_mb": round(metrics["rss_mb"] - metrics["baseline_rss_mb"], 1),
    }
    emit(NAME, metrics, ratios, as_json=as_json)
