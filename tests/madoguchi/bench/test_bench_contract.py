"""The benchmark contract: one JSON object with bench, metrics, ratios and machine."""

import json

import pytest
from click.testing import CliRunner

from madoguchi.bench import emit, percentile
from madoguchi.cli import cli


def test_emit_prints_one_json_object(capsys):
    emit("demo", {"x_ms_p50": 1.5}, {"vs_raw": 0.5})
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    obj = json.loads(out[0])
    assert obj["bench"] == "demo"
    assert obj["metrics"] == {"x_ms_p50": 1.5}
    assert obj["ratios"] == {"vs_raw": 0.5}
    assert obj["machine"]["cores"] >= 1


@pytest.mark.parametrize(
    ("samples", "q", "expected"),
    [
        ([1, 2, 3, 4, 5], 50, 3),
        ([1, 2, 3, 4, 5], 100, 5),
        ([1, 2, 3, 4, 5], 0, 1),
        ([10, 0], 50, 5),
        ([7], 99, 7),
    ],
)
def test_percentile(samples, q, expected):
    assert percentile(samples, q) == expected


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        percentile([], 50)


def test_bench_group_lists_benchmarks():
    result = CliRunner().invoke(cli, ["bench", "--help"])
    assert result.exit_code == 0
