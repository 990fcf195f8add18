"""`madoguchi bench print`: receipt render + job accepted by a real cupsd.

Starts its own cupsd (CupsRig) with a capture queue and times, per receipt: rendering the PDF (new
reference number each time) and submitting it until cupsd has accepted the job. Rendering goes
through the render worker process, as in the kiosk (`RemoteRenderer`, warmed up first); the same
receipts rendered in process (`DocumentRenderer`, font loaded once) give the pipe's cost.
Metrics: receipt_ms_p50 / receipt_ms_p95 (the issue's target: p95 ≤ 150 ms), render-only and
submit-only percentiles, in-process render percentiles, the font load time, the worker's RSS and
the receipt size. The last receipts are checked to have reached the capture listener intact.
"""

from __future__ import annotations

import time

import click

from madoguchi.bench import emit, percentile, progress
from madoguchi.core.i18n import LANGUAGES


@click.command("print")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the contract).")
@click.option(
    "--count", default=60, show_default=True, type=click.IntRange(min=1), help="Receipts to time."
)
@click.option(
    "--warmup",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="Untimed receipts first.",
)
@click.option(
    "--language",
    default="ja",
    show_default=True,
    type=click.Choice(LANGUAGES),
    help="Receipt language.",
)
def command(as_json: bool, count: int, warmup: int, language: str) -> None:
    """Receipt render + CUPS job accepted, p50/p95 in ms (own cupsd, capture queue)."""
    from devices.printer import Printer, PrinterConfig
    from devices.printer.documents import DocumentRenderer, RemoteRenderer
    from madoguchi.rig import CupsRig

    with CupsRig() as rig:
        listener = rig.add_capture_queue("receipt")
        printer = Printer(PrinterConfig(server=str(rig.socket_path), queues={"receipt": "receipt"}))
        t0 = time.perf_counter()
        local = DocumentRenderer().warm_up()
        font_load_ms = (time.perf_counter() - t0) * 1000
        progress(f"font loaded in {font_load_ms:.0f} ms; {warmup} warm-up + {count} receipts")
        # The kiosk's path: the render worker process (RemoteRenderer); the same receipts
        # rendered in process alongside, for the cost of the pipe.
        with RemoteRenderer() as remote:
            worker = _run(remote, printer, language, warmup, count, "W")
            worker_rss_mb = remote.rss_mb()
        inproc = _run(local, printer, language, warmup, count, "P")
        jobs = listener.wait_for_jobs(2 * (warmup + count), timeout=120)
        intact = worker["last"] in jobs and inproc["last"] in jobs
    total, render, submit, sizes = (
        worker["total"],
        worker["render"],
        worker["submit"],
        worker["sizes"],
    )
    metrics = {
        "receipt_ms_p50": round(percentile(total, 50), 1),
        "receipt_ms_p95": round(percentile(total, 95), 1),
        "render_ms_p50": round(percentile(render, 50), 1),
        "render_ms_p95": round(percentile(render, 95), 1),
        "submit_ms_p50": round(percentile(submit, 50), 1),
        "submit_ms_p95": round(percentile(submit, 95), 1),
        "inprocess_render_ms_p50": round(percentile(inproc["render"], 50), 1),
        "inprocess_render_ms_p95": round(percentile(inproc["render"], 95), 1),
        "font_load_ms": round(font_load_ms, 1),
        "render_worker_rss_mb": round(worker_rss_mb or 0.0, 1),
        "receipt_bytes_p50": int(percentile(sizes, 50)),
        "receipts": count,
        "delivered_intact": intact,
    }
    ratios = {
        "receipt_p95_vs_target_150ms": round(metrics["receipt_ms_p95"] / 150.0, 3),
        "worker_over_inprocess_render_ms_p50": round(
            metrics["render_ms_p50"] - metrics["inprocess_render_ms_p50"], 1
        ),
    }
    emit("print", metrics, ratios, as_json=as_json)


def _run(renderer, printer, language: str, warmup: int, count: int, tag: str) -> dict:
    """Render + submit `warmup + count` receipts; timings of the last `count`."""
    from devices.printer.documents import sample_info

    out: dict = {"total": [], "render": [], "submit": [], "sizes": [], "last": b""}
    for i in range(warmup + count):
        info = sample_info("receipt", language, reference=f"R-2026-{tag}{i:05d}")
        a = time.perf_counter()
        pdf = renderer.receipt(info)
        b = time.perf_counter()
        printer.print_document("receipt", pdf, "receipt")
        c = time.perf_counter()
        if i >= warmup:
            out["total"].append((c - a) * 1000)
            out["render"].append((b - a) * 1000)
            out["submit"].append((c - b) * 1000)
            out["sizes"].append(len(pdf))
        out["last"] = pdf
    return out
