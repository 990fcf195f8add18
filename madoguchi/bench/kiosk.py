"""`madoguchi bench kiosk`: cold start, memory and screen-change time of the kiosk app, against
an empty Kivy app with one button and the same CJK font, each in its own subprocess.

- `cold_start_s`: from spawning the process to the home screen drawn and interactive (the real
  services built: outbox, printer, card reader, watcher; catalog loaded);
- `rss_mb`: resident memory of the kiosk (UI) process after a full 転入 (moving-in) journey
  through the real pcscd + vpcd card simulator, the test cupsd (capture queue) and a sealed
  outbox, every screen drawn, once the app has idled at home long enough to give the screens'
  memory back (`trim_after_s`); `rss_peak_mb` is the same process right at the end of the
  journey, before that, and `rss_at_home_mb` at the first interactive home screen;
  `rss_after_journeys_mb` after `--journeys` residents one after another (and the screen-change
  timing between them), idle at home again: equal to `rss_mb` if nothing accumulates. The
  simulated card runs in this (the bench) process, as a real card is outside the kiosk;
- `render_worker_rss_mb`: the document render worker the kiosk starts (fpdf2 and the CJK font
  live there, not in the UI process); device total = `rss_mb` + this;
- `screen_change_ms_median` / `_p90`: one intent that changes the screen, up to the frame
  submitted (session, widgets, label textures, GL commands: the app's own work);
  `screen_change_drawn_ms_median` / `_p90`: up to the frame complete in the framebuffer (adds
  the renderer's rasterization; `baseline_frame_drawn_ms` is one frame of the empty app, for
  scale: under llvmpipe on a small CPU that is tens of milliseconds by itself);
- `baseline_start_s`, `baseline_rss_mb`: the same for the empty app;
ratios: `start_over_baseline_s`, `rss_over_baseline_mb` (differences; targets +1.5 s, +60 MB).
Offscreen (SDL offscreen + llvmpipe) when there is no display. The two apps live in
`kiosk.ui._benchapp` (Kivy stays inside kiosk/); this module only spawns and measures them.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click

from madoguchi.bench import emit, percentile, progress

NAME = "kiosk"


def _spawn(
    args: list[str], env: dict[str, str], on_event: Callable[[dict], dict | None] | None = None
) -> tuple[float, dict, dict | None]:
    """Run a child app; `on_event` answers its requests (one JSON line back on its stdin)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    ready_at, ready, done = None, None, None
    try:
        assert proc.stdout is not None and proc.stdin is not None
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            msg = json.loads(line)
            if msg.get("event") == "ready":
                ready_at, ready = time.perf_counter() - t0, msg
            elif msg.get("event") == "done":
                done = msg
            elif on_event is not None:
                proc.stdin.write(json.dumps(on_event(msg) or {}) + "\n")
                proc.stdin.flush()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    if ready is None:
        raise click.ClickException(f"child {args[0][:40]!r} exited {proc.returncode} before ready")
    return ready_at, ready, done


class _CardHand:
    """The resident's hand: places and takes the simulated card when the journey asks (in this
    process, like a real card outside the kiosk, so the card's code is not counted as kiosk)."""

    def __init__(self, port: int, reader: str) -> None:
        self.port, self.reader, self.card = port, reader, None

    def __call__(self, msg: dict) -> dict | None:
        from devices.card.simulator import SimulatedCard

        if msg.get("event") == "insert_card":
            self.card = SimulatedCard("ordinary", port=self.port, reader_name=self.reader)
            self.card.__enter__()
            return {"pin": self.card.sim.profile.kenhojo_pin}
        if msg.get("event") == "remove_card":
            self.remove()
        return None

    def remove(self) -> None:
        card, self.card = self.card, None
        if card is not None:
            card.__exit__(None, None, None)


def _child_env(tmp: str, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["KIVY_HOME"] = str(Path(tmp) / "kivy-home")
    return env


@click.command(NAME)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the contract).")
@click.option(
    "--runs",
    default=3,
    show_default=True,
    type=click.IntRange(min=1),  # a median of no run is no figure
    help="Cold starts of each app (median).",
)
@click.option(
    "--journeys",
    default=3,
    show_default=True,
    type=click.IntRange(min=1),
    help="Residents served one after another per run.",
)
def command(as_json: bool, runs: int, journeys: int) -> None:
    """Kiosk app cold start, RSS after a full journey, screen change time vs an empty Kivy app."""
    from madoguchi.rig import CupsRig, PcscRig

    # Each rig stops when the block ends, also when a later one fails to start.
    with (
        tempfile.TemporaryDirectory(prefix="madoguchi-bench-kiosk-") as tmp,
        contextlib.ExitStack() as rigs,
    ):
        progress("bench kiosk: starting pcscd + vpcd and cupsd")
        pcsc = rigs.enter_context(PcscRig(Path(tmp) / "pcscd"))
        pcsc.apply_env()  # this process places the simulated card (before its first context)
        cups = rigs.enter_context(CupsRig())
        listener = cups.add_capture_queue("bench_receipt")
        env = _child_env(tmp, pcsc.env)
        base_starts, base_rss, starts, rss, peaks, changes = [], [], [], [], [], []
        drawn: list[float] = []
        base_frames: list[float] = []
        home_rss: list[float] = []
        workers: list[float] = []
        after_journeys: list[float] = []
        for i in range(runs):
            progress(f"bench kiosk: run {i + 1}/{runs}: empty app")
            t, ready, base_done = _spawn(
                ["from kiosk.ui._benchapp import baseline_child as c; c()"], env
            )
            base_starts.append(t)
            base_rss.append(ready["rss_mb"])
            base_frames.append((base_done or {}).get("frame_drawn_ms", 0.0))
            progress(f"bench kiosk: run {i + 1}/{runs}: kiosk app + full journey")
            work = Path(tmp) / f"run{i}"
            work.mkdir()
            code = (
                "from kiosk.ui._benchapp import kiosk_child as c; "
                f"c({str(work)!r}, {pcsc.reader_name(0)!r}, {pcsc.vpcd_port}, "
                f"{str(cups.socket_path)!r}, 'bench_receipt', {journeys})"
            )
            hand = _CardHand(pcsc.vpcd_port, pcsc.reader_name(0))
            try:
                t, ready, done = _spawn([code], env, hand)
            finally:
                hand.remove()
            if done is None:
                raise click.ClickException("the kiosk journey did not finish")
            starts.append(t)
            home_rss.append(ready["rss_mb"])
            rss.append(done["rss_mb"])
            peaks.append(done["rss_peak_mb"])
            workers.append(done["render_worker_rss_mb"])
            after_journeys.append(done["rss_after_journeys_mb"])
            changes += done["screen_change_ms"]
            drawn += done["screen_change_drawn_ms"]
        listener.stop()
    metrics = {
        "cold_start_s": round(percentile(starts, 50), 3),
        "rss_mb": round(percentile(rss, 50), 1),
        "rss_peak_mb": round(percentile(peaks, 50), 1),
        "rss_after_journeys_mb": round(percentile(after_journeys, 50), 1),
        "journeys": journeys,
        "rss_at_home_mb": round(percentile(home_rss, 50), 1),
        "render_worker_rss_mb": round(percentile(workers, 50), 1),
        "screen_change_ms_median": round(percentile(changes, 50), 1),
        "screen_change_ms_p90": round(percentile(changes, 90), 1),
        "screen_change_drawn_ms_median": round(percentile(drawn, 50), 1),
        "screen_change_drawn_ms_p90": round(percentile(drawn, 90), 1),
        "baseline_frame_drawn_ms": round(percentile(base_frames, 50), 1),
        "baseline_start_s": round(percentile(base_starts, 50), 3),
        "baseline_rss_mb": round(percentile(base_rss, 50), 1),
        "runs": runs,
    }
    ratios = {
        "start_over_baseline_s": round(metrics["cold_start_s"] - metrics["baseline_start_s"], 3),
        "rss_over_baseline_mb": round(metrics["rss_mb"] - metrics["baseline_rss_mb"], 1),
    }
    emit(NAME, metrics, ratios, as_json=as_json)
