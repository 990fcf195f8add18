"""`madoguchi bench card --json` starts its own pcscd + simulator and prints the contract's one
JSON object with the four metrics the issue names (values are measured, never asserted on)."""

import json
import subprocess
import sys


def test_bench_card_prints_the_contract():
    proc = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "bench", "card", "--json", "--runs", "3"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["bench"] == "card"
    metrics = result["metrics"]
    for key in ("kenhojo_read_ms_median", "jpki_auth_ms_median"):
        assert isinstance(metrics[key], float) and metrics[key] > 0
    assert metrics["kenhojo_read_apdus"] <= 8  # an APDU count, not a timing
    assert metrics["jpki_auth_apdus"] > 0
    assert metrics["runs"] == 3
