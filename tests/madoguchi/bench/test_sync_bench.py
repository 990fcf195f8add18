"""`madoguchi bench sync` keeps the benchmark contract on a tiny run (the figures themselves are
measured by running the benchmark, never asserted here), and the fan-in stores every record
exactly once."""

import json

from click.testing import CliRunner

from madoguchi.cli import cli


def _run(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["bench", "sync", "--json", *args])
    assert result.exit_code == 0, result.output
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("{")][-1]
    return json.loads(line)


def test_drain_reports_rates_and_ratios():
    out = _run("--records", "600", "--http-records", "30", "--http-seconds", "2")
    assert out["bench"] == "sync"
    metrics, ratios = out["metrics"], out["ratios"]
    for key in ("records_per_s", "raw_records_per_s", "http_records_per_s"):
        assert metrics[key] > 0
    assert set(ratios) == {"vs_raw", "vs_http"}


def test_fanin_stores_every_record_once():
    out = _run("--devices", "12", "--records", "40")
    m = out["metrics"]
    assert m["fanin_devices"] == 12
    assert m["fanin_records_sent"] == m["fanin_records_stored"] == 480
    assert m["fanin_duplicates"] == 0
    assert m["fanin_committed_total"] == 480
    assert m["fanin_seconds"] > 0
