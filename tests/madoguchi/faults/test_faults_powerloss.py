"""Power loss on the terminal (issue 23): the power-cut VFS loses whatever SQLite had not made
durable, at random writes and syncs across append, ack and prune (and the outbox's opening);
after each cut the terminal starts from what the disk kept and the independent checker finds no
receipted record lost, duplicated or altered; every series ends drained, each receipt stored
exactly once. With durability switched off (synchronous=OFF) the same harness finds losses.

`make test` runs a few points; `make test-faults` sets MADOGUCHI_FAULT_POINTS=1000 for the slow
test (docs/reliability.md has the figures)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from madoguchi.faults.powercut import CUT_EXIT_CODE, restore_images
from madoguchi.faults.powerloss import run_terminal_cuts

_WRITER = """
import sqlite3, sys
from pathlib import Path
from madoguchi.faults.powercut import PowerCutVfs
root = Path(sys.argv[1])
PowerCutVfs.install(root, cut_at=int(sys.argv[2]), image_dir=Path(sys.argv[3]), seed=int(sys.argv[2]))
db = sqlite3.connect(root / "x.db", isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=" + sys.argv[4])
db.execute("CREATE TABLE IF NOT EXISTS t (i INTEGER PRIMARY KEY, v BLOB)")
for i in range(300):
    db.execute("INSERT INTO t (v) VALUES (?)", (bytes(2000),))
    print(i + 1, flush=True)
"""


def _cut_writer(tmp_path, cut_at: int, synchronous: str) -> tuple[int, int]:
    """(rows the writer saw committed, rows the disk kept) after a cut at `cut_at`."""
    root, images = tmp_path / f"root-{cut_at}-{synchronous}", tmp_path / "images"
    root.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", _WRITER, str(root), str(cut_at), str(images), synchronous],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == CUT_EXIT_CODE, proc.stderr.decode()[-2000:]
    lines = proc.stdout.decode().split()
    committed = int(lines[-1]) if lines else 0
    notes = restore_images(root, images)
    assert notes["ops"] == str(cut_at)
    db = sqlite3.connect(root / "x.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        has = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone()[0]
        kept = db.execute("SELECT count(*) FROM t").fetchone()[0] if has else 0
    finally:
        db.close()
    return committed, kept


@pytest.mark.parametrize("cut_at", [3, 40, 250, 900])
def test_vfs_keeps_every_synced_commit(tmp_path, cut_at):
    """synchronous=FULL: every commit SQLite returned is on the disk after the cut; at most the
    one in flight (not yet returned) is there too."""
    committed, kept = _cut_writer(tmp_path, cut_at, "FULL")
    assert committed <= kept <= committed + 1


def test_vfs_loses_unsynced_commits(tmp_path):
    """synchronous=OFF: SQLite never syncs, so the cut loses commits it had returned."""
    losses = [_cut_writer(tmp_path, cut_at, "OFF") for cut_at in (400, 600, 800)]
    assert any(kept < committed for committed, kept in losses), losses


def test_power_cuts_on_terminals_lose_nothing_acknowledged(tmp_path):
    report = run_terminal_cuts(tmp_path, points=8, points_per_series=8, records_per_run=6)
    summary = report.as_dict()
    assert report.ok, summary
    assert report.points >= 6 and report.receipts > 0
    assert report.stored == report.receipts
    assert report.lost == report.duplicated == report.altered == report.stranded == 0


def test_power_cuts_with_durability_off_are_found(tmp_path):
    """The deliberately broken build: the outbox with synchronous=OFF, terminals offline (so
    their records live only in the outbox). The checker must find receipted records lost."""
    report = run_terminal_cuts(
        tmp_path,
        points=10,
        points_per_series=10,
        records_per_run=8,
        durability_off=True,
        stop_at_first_failure=True,
        central_online=False,
        seed=5,
    )
    assert not report.ok, report.as_dict()
    assert report.failed_checks >= 1
    assert report.lost >= 1, report.as_dict()


@pytest.mark.slow
@pytest.mark.timeout(3 * 3600)
def test_power_cuts_full_count(tmp_path):
    points = int(os.environ.get("MADOGUCHI_FAULT_POINTS", "100"))
    report = run_terminal_cuts(tmp_path, points=points, points_per_series=50)
    summary = report.as_dict()
    out = os.environ.get("MADOGUCHI_FAULT_REPORT")
    if out:
        import json

        with open(out, "w") as f:
            json.dump({"terminal_power_cuts": summary}, f, indent=1, default=str)
    assert report.points == points, summary
    assert report.ok, summary
