"""`madoguchi bench call`: a video consultation, terminal worker ↔ console in chromium.

Starts `madoguchi.rig.call.CallRig` (two network namespaces, the real receiver and agent, the
console served by waitress, Debian's headless chromium with a fake camera) and runs `--calls`
calls one after another.

`--parties 2` (default; peer to peer): per call the console accepts; connect time is accept (the
store's `accepted_at`) → first decoded video frame, on the terminal (the worker's first received
frame) and on the console (the page's first `requestVideoFrameCallback`); the call then runs
`--seconds` and frames decoded per second are counted on both sides, with the call worker's CPU
seconds per second (getrusage of the worker itself) and resident memory. Metrics:
connect_ms_median (the slower side of each call, median over calls),
connect_ms_terminal_median, connect_ms_console_median, frames_per_s_terminal,
frames_per_s_console (640×480 asked of both sides), terminal_cpu_cores, worker_rss_mb, and the
kiosk UI side: a process of its own (`kiosk.ui._callbench`: a Kivy window at the kiosk's size
whose `VideoPicture`s draw the worker's frame buffer, the specialist large and the resident
small, as the call screen does) — kiosk_rss_delta_mb (its resident memory while drawing minus
before its first frame: textures and the mapped buffer), ui_frames_per_s (distinct frames of
the specialist drawn per second; the worker writes at most 15) and ui_cpu_cores (what drawing
costs that process).

`--parties 3` (a Janus VideoRoom, `CallRig(janus=True)`): a specialist accepts (the same connect
time, now through Janus: room_connect_ms_median), invites an interpreter, who joins from a
second console (320×240 at 15 frames/s: a small picture at the terminal).
three_party_connect_ms_median is the interpreter's join (the page's `acceptedAt`, after the
server took the join) → first decoded frame of the interpreter at the terminal and of the
terminal at the interpreter, the slower. Then over `--seconds`: frames_per_s_terminal (the
specialist's video decoded at the terminal), frames_per_s_console (the terminal's video at the
specialist), frames_per_s_interpreter_at_terminal, frames_per_s_terminal_at_interpreter, and
terminal_cpu_cores with the terminal encoding once and decoding two feeds.
"""

from __future__ import annotations

import statistics
import time

import click

from madoguchi.bench import emit, progress

_PASSWORD = "bench password 1"


def _ui_side(port, seconds: float):
    """Start the kiosk-UI-side process drawing the call's frame buffer; it measures itself
    over `seconds` (after a second of warm-up), started now."""
    import json
    import subprocess
    import sys

    video = port.video
    if video is None:
        raise click.ClickException("the call worker announced no frame buffer")
    child = subprocess.Popen(
        [sys.executable, "-c", "from kiosk.ui._callbench import call_view_child as c; c()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    announcement = {"path": video.path, "size": video.size, "streams": list(video.streams.values())}
    child.stdin.write(json.dumps({"video": announcement, "seconds": seconds}) + "\n")
    child.stdin.flush()
    ready = json.loads(child.stdout.readline() or "{}")
    if ready.get("event") != "ready":
        child.kill()
        raise click.ClickException("the kiosk UI side did not start")
    return child


def _ui_done(child) -> dict:
    import json

    try:
        done = json.loads(child.stdout.readline() or "{}")
    finally:
        child.wait(15)
    if done.get("event") != "done":
        raise click.ClickException("the kiosk UI side stopped before its figures")
    return done


def _stats(port) -> dict:
    n = len(port.events)
    port.stats()
    return port.wait_for("stats", 10, after=n)


def _first_frame(port, key: str | None = None, timeout: float = 30.0) -> float:
    """Wall clock of the worker's first decoded frame (of party `key` in a room)."""
    deadline = time.monotonic() + timeout
    while True:
        s = _stats(port)
        at = s["first_frame_at"] if key is None else s.get("first_frame_by_party", {}).get(key)
        if at is not None:
            return at
        if time.monotonic() > deadline:
            raise click.ClickException(f"no frame decoded at the terminal in {timeout} s")
        time.sleep(0.05)


def _accepted_at(rig) -> float:
    from sync.central.consult import ConsultTables
    from sync.central.stores import open_store

    store = open_store(rig.db)
    try:  # calls run one at a time: the newest record is this call's
        return ConsultTables(store).records()[-1].accepted_at
    finally:
        store.close()


def _accept(rig, port, page) -> tuple[float, float]:
    """The console accepts the waiting call: (terminal, console) connect ms."""
    port.wait_for("ready", 30)
    port.call("welfare", "ja")
    port.wait_for("queued", 30)
    page.wait_for_selector("#queue tbody tr button.accept")
    page.click("#queue tbody tr button.accept")
    port.wait_for("connected", 30)
    page.wait_for_function("() => window.consult.firstFrameAt > 0", timeout=30_000)
    first = _first_frame(port)
    accepted = _accepted_at(rig)
    console = page.evaluate("() => window.consult.firstFrameAt") - accepted * 1000
    return (first - accepted) * 1000, console


def _two(rig, page, calls: int, seconds: float) -> dict:
    from madoguchi.core.procinfo import rss_mb

    connect_t, connect_c, fps_t, fps_c, cpu, rss = [], [], [], [], [], []
    ui_delta, ui_fps, ui_cpu = [], [], []
    for i in range(calls):
        port = rig.call_port()
        t, c = _accept(rig, port, page)
        connect_t.append(t)
        connect_c.append(c)
        child = _ui_side(port, seconds)
        time.sleep(1.0)  # the UI side's warm-up: it measures the same `seconds` as below
        # Steady state: count frames decoded on both sides over `seconds`.
        c0, t0 = page.evaluate("() => window.consult.frames"), time.monotonic()
        s0 = _stats(port)
        time.sleep(seconds)
        c1, t1 = page.evaluate("() => window.consult.frames"), time.monotonic()
        s1 = _stats(port)
        wall = s1["wall_s"] - s0["wall_s"]
        fps_t.append((s1["frames_received"] - s0["frames_received"]) / wall)
        fps_c.append((c1 - c0) / (t1 - t0))
        cpu.append((s1["cpu_s"] - s0["cpu_s"]) / wall)
        rss.append(rss_mb(port.pid) or 0.0)
        ui = _ui_done(child)
        ui_delta.append(ui["rss_mb"] - ui["rss_before_mb"])
        ui_fps.append(ui["frames_per_s"])
        ui_cpu.append(ui["cpu_cores"])
        page.click("#hangup")
        port.wait_for("ended", 15)
        port.close()
        progress(
            f"call {i + 1}/{calls}: connect {connect_t[-1]:.0f}/{connect_c[-1]:.0f} ms "
            f"(terminal/console), {fps_t[-1]:.1f}/{fps_c[-1]:.1f} frames/s, "
            f"worker {cpu[-1]:.2f} core; UI side {ui_fps[-1]:.1f} frames/s drawn, "
            f"{ui_cpu[-1]:.2f} core, +{ui_delta[-1]:.1f} MB"
        )
        page.wait_for_selector("#call-panel", state="hidden")
    slower = [max(a, b) for a, b in zip(connect_t, connect_c, strict=True)]
    return {
        "connect_ms_median": round(statistics.median(slower), 1),
        "connect_ms_terminal_median": round(statistics.median(connect_t), 1),
        "connect_ms_console_median": round(statistics.median(connect_c), 1),
        "frames_per_s_terminal": round(statistics.median(fps_t), 1),
        "frames_per_s_console": round(statistics.median(fps_c), 1),
        "terminal_cpu_cores": round(statistics.median(cpu), 3),
        "worker_rss_mb": round(statistics.median(rss), 1),
        "kiosk_rss_delta_mb": round(statistics.median(ui_delta), 1),
        "ui_frames_per_s": round(statistics.median(ui_fps), 1),
        "ui_cpu_cores": round(statistics.median(ui_cpu), 3),
    }


def _three(rig, page, interpreter, calls: int, seconds: float) -> dict:
    from madoguchi.core.procinfo import rss_mb

    room, three, fps_t, fps_c, fps_it, fps_ti, cpu, rss = [], [], [], [], [], [], [], []
    holder, interp = "specialist|bench", "interpreter|interp"
    for i in range(calls):
        port = rig.call_port()
        room.append(max(_accept(rig, port, page)))
        page.evaluate("() => window.consult.invite('interpreter')")
        interpreter.wait_for_selector("#invites tbody tr button.join", timeout=20_000)
        interpreter.click("#invites tbody tr button.join")
        interpreter.wait_for_function("() => window.consult.firstFrameAt > 0", timeout=30_000)
        joined = interpreter.evaluate("() => window.consult.acceptedAt")
        at_terminal = _first_frame(port, interp) * 1000 - joined
        at_interpreter = interpreter.evaluate("() => window.consult.firstFrameAt") - joined
        three.append(max(at_terminal, at_interpreter))
        if three[-1] > 3000:  # say where a slow join spent its time (console steps, ms)
            steps = interpreter.evaluate("() => window.consult.roomTiming")
            progress(f"  slow join: interpreter's steps {steps}")
        # Steady state: the specialist, the interpreter and the terminal all in the room.
        time.sleep(1.0)  # past the interpreter's first key frames
        frames = "() => [window.consult.frames, Date.now()]"
        (c0, w0), (i0, _) = page.evaluate(frames), interpreter.evaluate(frames)
        s0 = _stats(port)
        time.sleep(seconds)
        (c1, w1), (i1, _) = page.evaluate(frames), interpreter.evaluate(frames)
        s1 = _stats(port)
        wall = s1["wall_s"] - s0["wall_s"]
        by0, by1 = s0["frames_by_party"], s1["frames_by_party"]
        fps_t.append((by1[holder] - by0[holder]) / wall)
        fps_it.append((by1[interp] - by0[interp]) / wall)
        fps_c.append((c1 - c0) / ((w1 - w0) / 1000))
        fps_ti.append((i1 - i0) / ((w1 - w0) / 1000))
        cpu.append((s1["cpu_s"] - s0["cpu_s"]) / wall)
        rss.append(rss_mb(port.pid) or 0.0)
        page.click("#hangup")
        port.wait_for("ended", 15)
        port.close()
        interpreter.wait_for_function("() => window.consult.call === null", timeout=15_000)
        progress(
            f"call {i + 1}/{calls}: room connect {room[-1]:.0f} ms, third party "
            f"{three[-1]:.0f} ms ({at_terminal:.0f} at the terminal, {at_interpreter:.0f} at "
            f"the interpreter), {fps_t[-1]:.1f}/{fps_c[-1]:.1f} frames/s "
            f"(terminal/console), interpreter {fps_it[-1]:.1f}/{fps_ti[-1]:.1f}, "
            f"worker {cpu[-1]:.2f} core"
        )
        page.wait_for_selector("#call-panel", state="hidden")
    return {
        "room_connect_ms_median": round(statistics.median(room), 1),
        "three_party_connect_ms_median": round(statistics.median(three), 1),
        "frames_per_s_terminal": round(statistics.median(fps_t), 1),
        "frames_per_s_console": round(statistics.median(fps_c), 1),
        "frames_per_s_interpreter_at_terminal": round(statistics.median(fps_it), 1),
        "frames_per_s_terminal_at_interpreter": round(statistics.median(fps_ti), 1),
        "terminal_cpu_cores": round(statistics.median(cpu), 3),
        "worker_rss_mb": round(statistics.median(rss), 1),
    }


@click.command("call")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the contract).")
@click.option(
    "--calls",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),  # a median of no call is no figure
    help="Calls to connect, one at a time.",
)
@click.option("--seconds", default=8.0, show_default=True, help="Media measured per call.")
@click.option(
    "--parties",
    type=click.IntRange(2, 3),
    default=2,
    show_default=True,
    help="2: terminal and specialist, peer to peer. 3: an interpreter joins, in a Janus "
    "VideoRoom (Debian's janus).",
)
def command(as_json: bool, calls: int, seconds: float, parties: int) -> None:
    """Consultation call: connect time, frames/s both ways, call worker CPU (needs root, chromium;
    janus for three parties)."""
    from madoguchi.rig.call import CallRig

    with CallRig(janus=parties == 3) as rig:
        rig.add_staff("bench", _PASSWORD, "specialist")
        page = rig.console_page("bench", _PASSWORD)
        if parties == 2:
            metrics = _two(rig, page, calls, seconds)
        else:
            rig.add_staff("interp", _PASSWORD, "interpreter")
            interpreter = rig.console_page("interp", _PASSWORD)
            metrics = _three(rig, page, interpreter, calls, seconds)
    metrics.update(calls=calls, seconds_per_call=seconds, parties=parties)
    emit("call", metrics, {}, as_json=as_json)
