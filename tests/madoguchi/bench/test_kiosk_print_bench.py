"""`madoguchi bench kiosk` and `bench print` run end to end and print the contract's one JSON
object with the keys the issues name (values are measured, never asserted on as timings): the
kiosk journey through the real pcscd + card simulator, cupsd and outbox, the render worker."""

import json
import subprocess
import sys


def _bench(*args: str, timeout: int) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "bench", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_bench_kiosk_prints_the_contract():
    result = _bench("kiosk", "--runs", "1", "--journeys", "2", timeout=300)
    assert result["bench"] == "kiosk"
    m, r = result["metrics"], result["ratios"]
    for key in ("cold_start_s", "rss_mb", "screen_change_ms_median", "baseline_start_s",
                "baseline_rss_mb", "screen_change_drawn_ms_median", "rss_after_journeys_mb",
                "render_worker_rss_mb", "baseline_frame_drawn_ms"):  # fmt: skip
        assert isinstance(m[key], float) and m[key] > 0, key
    assert m["journeys"] == 2 and m["runs"] == 1
    assert r["rss_over_baseline_mb"] == round(m["rss_mb"] - m["baseline_rss_mb"], 1)
    assert r["start_over_baseline_s"] == round(m["cold_start_s"] - m["baseline_start_s"], 3)


def test_bench_print_prints_the_contract():
    result = _bench("print", "--count", "5", "--warmup", "1", timeout=300)
    m = result["metrics"]
    assert m["delivered_intact"] is True and m["receipts"] == 5
    for key in ("receipt_ms_p95", "render_ms_p50", "inprocess_render_ms_p50"):
        assert m[key] > 0, key
    assert m["render_worker_rss_mb"] > 0
