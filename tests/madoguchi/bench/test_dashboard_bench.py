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
