"""`madoguchi bench outbox --json` follows the benchmark contract (figures are not asserted)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from madoguchi.cli import cli


def test_bench_outbox_emits_the_contract(tmp_path):
    result = CliRunner().invoke(
        cli, ["bench", "outbox", "--json", "--records", "20", "--dir", str(tmp_path / "b")]
    )
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout.strip().splitlines()[-1])
    assert obj["bench"] == "outbox"
    for key in ("append_ms_p50", "append_ms_p99", "records_per_s", "raw_commit_ms_p99"):
        assert obj["metrics"][key] > 0
    assert "append_p99_vs_raw_commit_p99" in obj["ratios"]
