"""`madoguchi bench dashboard` keeps the benchmark contract on both backends (a tiny seed: figures
are measured by the benchmark itself, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)


def test_bench_dashboard_json_contract():
    cmd = [str(Path(sys.executable).parent / "madoguchi"), "bench", "dashboard", "--json"]
    args = ["--centers", "2", "--terminals", "1", "--days", "3", "--requests", "1"]
    done = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["bench"] == "dashboard"
    metrics = result["metrics"]
    for backend in ("sqlite", "postgres"):
        pages = metrics["page_ms_p95"][backend]
        assert {"overview", "satisfaction_365d", "procedures_365d", "shelter_72h"} <= set(pages)
        assert all(ms > 0 for ms in pages.values())
        assert metrics["page_ms_p95_max"][backend] == max(pages.values())
        # 2 terminals x 3 days x (30..42 metrics + ... + 24 health rows + 36..60 queue events
        # + 0..6 staff-call rows) typed rows
        assert 2 * 3 * 110 <= metrics["seed_records"][backend] <= 2 * 3 * 190
        assert {"center_30d", "center_365d"} <= set(pages)  # the drill-down page too
        assert metrics["summary_rows"][backend] > 0


def test_bench_dashboard_reuses_a_seeded_store_and_reseeds_a_damaged_entry(tmp_path):
    """`--seed-cache DIR`: the first run seeds and keeps the store, the second measures the
    kept one (same rows, seeding skipped), an entry whose facts are unreadable is seeded again
    (said on stderr, nothing lost), and the load average is reported per backend."""
    cmd = [str(Path(sys.executable).parent / "madoguchi"), "bench", "dashboard", "--json"]
    args = ["--centers", "2", "--terminals", "1", "--days", "3", "--requests", "1"]
    args += ["--backend", "both", "--seed-cache", str(tmp_path / "cache")]

    def run() -> tuple[dict, str]:
        done = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=280)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)["metrics"], done.stderr

    first, _ = run()
    second, _ = run()
    assert first["seed_cached"] == {"sqlite": False, "postgres": False}
    assert second["seed_cached"] == {"sqlite": True, "postgres": True}
    assert second["seed_records"] == first["seed_records"]
    assert second["summary_rows"] == first["summary_rows"]
    assert second["seed_s"] == {"sqlite": 0.0, "postgres": 0.0}
    for backend in ("sqlite", "postgres"):
        load = second["load_avg"][backend]
        assert 0 <= load["start"] <= load["max"] and load["end"] <= load["max"]
    (meta,) = (tmp_path / "cache").glob("*/sqlite.json")
    meta.write_text("{not json", encoding="utf-8")
    third, stderr = run()
    assert third["seed_cached"] == {"sqlite": False, "postgres": True}
    assert "unreadable: seeding again" in stderr
    assert third["seed_records"] == first["seed_records"]
    assert json.loads(meta.read_text(encoding="utf-8"))["typed"] == first["seed_records"]["sqlite"]
