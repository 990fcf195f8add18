"""`madoguchi bench call`: a video consultation, terminal worker ↔ console in chromium.

Starts `madoguchi.rig.call.CallRig` (two network namespaces, the real receiver and agent, the
console served by waitress, Debian's headless chromium with a fake camera) and runs `--calls`
calls one after another. Per call: the console accepts; connect time is accept (the store's
`accepted_at`) → first decoded video frame, on the terminal (the worker's first received frame)
and on the console (the page's first `requestVideoFrameCallback`); the call then runs `--seconds`
and frames decoded per second are counted on both sides, with the call worker's CPU seconds per
second (getrusage of the worker itself) and resident memory. Metrics: connect_ms_median (the
slower side of each call, median over calls), connect_ms_terminal_median,
connect_ms_console_median, frames_per_s_terminal, frames_per_s_console (640×480 asked of both
sides), terminal_cpu_cores, worker_rss_mb, and kiosk_rss_delta_mb: how much the process holding
the `CallPort` (as the kiosk UI does) grew during the call — measured on this bench process,
which also hosts the receiver, the agent and the Playwright client, so an upper bound.
"""

from __future__ import annotations

import statistics
import time

import click

from madoguchi.bench import emit, progress

_PASSWORD = "bench password 1"


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
def command(as_json: bool, calls: int, seconds: float) -> None:
    """Consultation call: connect time, frames/s both ways, call worker CPU (needs root, chromium)."""
    from madoguchi.core.procinfo import rss_mb
    from madoguchi.rig.call import CallRig
    from sync.central.consult import ConsultTables
    from sync.central.stores import open_store

    connect_t, connect_c, fps_t, fps_c, cpu, rss, holder_delta = [], [], [], [], [], [], []
    with CallRig() as rig:
        rig.add_staff("bench", _PASSWORD, "specialist")
        page = rig.console_page("bench", _PASSWORD)
        for i in range(calls):
            holder_before = rss_mb() or 0.0
            port = rig.call_port()
            port.wait_for("ready", 30)
            port.call("welfare", "ja")
            port.wait_for("queued", 30)
            page.wait_for_selector("#queue tbody tr button.accept")
            page.click("#queue tbody tr button.accept")
            port.wait_for("connected", 30)
            page.wait_for_function("() => window.consult.firstFrameAt > 0", timeout=30_000)
            n = len(port.events)
            port.stats()
            first = port.wait_for("stats", 10, after=n)
            while first["first_frame_at"] is None:
                time.sleep(0.05)
                n = len(port.events)
                port.stats()
                first = port.wait_for("stats", 10, after=n)
            store = open_store(rig.db)
            try:  # calls run one at a time: the newest record is this call's
                record = ConsultTables(store).records()[-1]
            finally:
                store.close()
            accepted = record.accepted_at
            connect_t.append((first["first_frame_at"] - accepted) * 1000)
            connect_c.append(page.evaluate("() => window.consult.firstFrameAt") - accepted * 1000)
            # Steady state: count frames decoded on both sides over `seconds`.
            c0, t0 = page.evaluate("() => window.consult.frames"), time.monotonic()
            n = len(port.events)
            port.stats()
            s0 = port.wait_for("stats", 10, after=n)
            time.sleep(seconds)
            c1, t1 = page.evaluate("() => window.consult.frames"), time.monotonic()
            n = len(port.events)
            port.stats()
            s1 = port.wait_for("stats", 10, after=n)
            wall = s1["wall_s"] - s0["wall_s"]
            fps_t.append((s1["frames_received"] - s0["frames_received"]) / wall)
            fps_c.append((c1 - c0) / (t1 - t0))
            cpu.append((s1["cpu_s"] - s0["cpu_s"]) / wall)
            rss.append(rss_mb(port.pid) or 0.0)
            holder_delta.append((rss_mb() or 0.0) - holder_before)
            page.click("#hangup")
            port.wait_for("ended", 15)
            port.close()
            progress(
                f"call {i + 1}/{calls}: connect {connect_t[-1]:.0f}/{connect_c[-1]:.0f} ms "
                f"(terminal/console), {fps_t[-1]:.1f}/{fps_c[-1]:.1f} frames/s, "
                f"worker {cpu[-1]:.2f} core"
            )
            page.wait_for_selector("#call-panel", state="hidden")
    slower = [max(a, b) for a, b in zip(connect_t, connect_c, strict=True)]
    metrics = {
        "connect_ms_median": round(statistics.median(slower), 1),
        "connect_ms_terminal_median": round(statistics.median(connect_t), 1),
        "connect_ms_console_median": round(statistics.median(connect_c), 1),
        "frames_per_s_terminal": round(statistics.median(fps_t), 1),
        "frames_per_s_console": round(statistics.median(fps_c), 1),
        "terminal_cpu_cores": round(statistics.median(cpu), 3),
        "worker_rss_mb": round(statistics.median(rss), 1),
        "kiosk_rss_delta_mb": round(statistics.median(holder_delta), 1),
        "calls": calls,
        "seconds_per_call": seconds,
    }
    emit("call", metrics, {}, as_json=as_json)
