"""Power loss on the central side (issue 23): the receiver and processing run as a process whose
SQLite store is under the power-cut VFS, cut at random writes and syncs (commit thread, processing,
sessions) while terminals keep submitting and pruning what was acked; and PostgreSQL (fsync on)
stopped with `pg_ctl -m immediate` during traffic. After each cut the checker finds no receipted
record lost, duplicated or altered (an acked record lost by the central side would be gone for
good: the outboxes prune it at once), and in the end every receipt is stored exactly once.

`make test-faults` runs the full counts (MADOGUCHI_FAULT_CENTRAL_POINTS=1000 central cuts in
series of 50, and a tenth as many PostgreSQL kills; 200 and 20 when the variable is unset)."""

from __future__ import annotations

import json
import os

import pytest

from madoguchi.faults.central import run_central_cuts, run_postgres_kills
from madoguchi.rig import PostgresRig


def test_central_sqlite_power_cuts_lose_nothing_acked(tmp_path):
    report = run_central_cuts(tmp_path, points=6, points_per_series=3)
    assert report["ok"], report
    assert report["points"] == 6 and report["series"] == 2  # two stores, each drained and judged
    assert report["receipts"] == report["stored"] > 0
    assert report["lost"] == report["duplicated"] == report["altered"] == 0
    assert report["failed_starts"] == report["failed_checks"] == 0


@pytest.fixture
def durable_postgres():
    """A PostgreSQL of this test with fsync on (the session fixture runs with fsync off)."""
    rig = PostgresRig(fsync=True).start()
    yield rig
    rig.stop()


@pytest.mark.timeout(600)
def test_postgres_killed_immediate_loses_nothing_acked(tmp_path, durable_postgres):
    report = run_postgres_kills(tmp_path, durable_postgres, kills=3)
    assert report["ok"], report
    assert report["kills"] == 3 and report["receipts"] == report["stored"] > 0
    assert report["lost"] == report["duplicated"] == report["altered"] == 0


@pytest.mark.slow
@pytest.mark.timeout(3 * 3600)
def test_central_full_count(tmp_path, durable_postgres):
    points = int(os.environ.get("MADOGUCHI_FAULT_CENTRAL_POINTS", "200"))
    sqlite = run_central_cuts(tmp_path / "sqlite", points=points)
    postgres = run_postgres_kills(
        tmp_path / "postgres", durable_postgres, kills=max(1, points // 10)
    )
    out = os.environ.get("MADOGUCHI_FAULT_CENTRAL_REPORT")
    if out:
        with open(out, "w") as f:
            json.dump({"central_sqlite_cuts": sqlite, "postgres_kills": postgres}, f, indent=1)
    assert sqlite["ok"], sqlite
    assert postgres["ok"], postgres
