"""`madoguchi bench print`: receipt render + job accepted by a real cupsd.

Starts its own cupsd (CupsRig) with a capture queue, loads the CJK font once (as the kiosk does
at start-up), then times, per receipt: rendering the PDF (new reference number each time) and
submitting it until cupsd has accepted the job. Metrics: receipt_ms_p50 / receipt_ms_p95 (the
issue's target: p95 ≤ 150 ms), plus render-only and submit-only percentiles, the font load time
and the receipt size. The last receipts are checked to have reached the capture listener intact.
"""

from __future__ import annotations

import time

import click

from madoguchi.bench import emit, percentile, progress


@click.command("print")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the contract).")
@click.option("--count", default=60, show_default=True, help="Receipts to time.")
@click.option("--warmup", default=5, show_default=True, help="Untimed receipts first.")
@click.option("--language", default="ja", show_default=True, help="Receipt language.")
def command(as_json: bool, count: int, warmup: int, language: str) -> None:
    """Receipt render + CUPS job accepted, p50/p95 in ms (own cupsd, capture queue)."""
    from devices.printer import Printer, PrinterConfig
    from devices.printer.documents import DocumentRenderer
    from devices.printer.documents._samples import sample_info
    from madoguchi.rig import CupsRig

    with CupsRig() as rig:
        listener = rig.add_capture_queue("receipt")
        printer = Printer(PrinterConfig(server=str(rig.socket_path), queues={"receipt": "receipt"}))
        t0 = time.perf_counter()
        renderer = DocumentRenderer().warm_up()
        font_load_ms = (time.perf_counter() - t0) * 1000
        progress(f"font loaded in {font_load_ms:.0f} ms; {warmup} warm-up + {count} receipts")
        total, render, submit, sizes, last = [], [], [], [], b""
        for i in range(warmup + count):
            info = sample_info("receipt", language, reference=f"R-2026-{i:06d}")
            a = time.perf_counter()
            pdf = renderer.receipt(info)
            b = time.perf_counter()
            printer.print_document("receipt", pdf, "receipt")
            c = time.perf_counter()
            if i >= warmup:
                total.append((c - a) * 1000)
                render.append((b - a) * 1000)
                submit.append((c - b) * 1000)
                sizes.append(len(pdf))
            last = pdf
        jobs = listener.wait_for_jobs(warmup + count, timeout=120)
        intact = last in jobs
    metrics = {
        "receipt_ms_p50": round(percentile(total, 50), 1),
        "receipt_ms_p95": round(percentile(total, 95), 1),
        "render_ms_p50": round(percentile(render, 50), 1),
        "render_ms_p95": round(percentile(render, 95), 1),
        "submit_ms_p50": round(percentile(submit, 50), 1),
        "submit_ms_p95": round(percentile(submit, 95), 1),
        "font_load_ms": round(font_load_ms, 1),
        "receipt_bytes_p50": int(percentile(sizes, 50)),
        "receipts": count,
        "delivered_intact": intact,
    }
    ratios = {"receipt_p95_vs_target_150ms": round(metrics["receipt_ms_p95"] / 150.0, 3)}
    emit("print", metrics, ratios, as_json=as_json)
