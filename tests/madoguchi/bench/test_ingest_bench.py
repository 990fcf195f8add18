"""`madoguchi bench sync --hostile` keeps the benchmark contract on a tiny run: both rates and
their ratio, the receiver's peak RSS, the hostile device answered with errors, every honest
record stored once (the figures themselves are measured by running the benchmark, never
asserted here)."""

import json

from click.testing import CliRunner

from madoguchi.cli import cli


def test_hostile_bench_reports_rates_ratio_and_rss():
    args = ["bench", "sync", "--json", "--hostile", "--devices", "2", "--records", "400"]
    result = CliRunner().invoke(cli, [*args, "--rounds", "1"])
    assert result.exit_code == 0, result.output
    out = json.loads([ln for ln in result.stdout.splitlines() if ln.startswith("{")][-1])
    m = out["metrics"]
    assert m["honest_records"] == 400 and m["honest_records_stored_once"] is True
    assert m["honest_records_per_s"] > 0 and m["honest_records_per_s_alone"] > 0
    ratio = m["honest_records_per_s"] / m["honest_records_per_s_alone"]
    assert abs(m["honest_under_attack_ratio"] - ratio) < 0.01
    assert out["ratios"] == {"honest_under_attack_ratio": m["honest_under_attack_ratio"]}
    assert m["receiver_peak_rss_mb"] > 0 and m["receiver_peak_rss_mb_alone"] > 0
    assert m["hostile_frames_sent"] > 0
    assert m["hostile_replies"].get("malformed", 0) > 0  # sharing, cyclic, deep, garbage frames
