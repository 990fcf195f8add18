"""Power-loss runs: terminals whose power is cut at random points, restarted, and judged.

`run_terminal_cuts(workdir, points=..., ...)` enrolls terminals with a real central side (a
receiver in this process on 127.0.0.1, SQLite or PostgreSQL store), and for each point runs one
terminal process (`madoguchi.faults.terminal`) with the power-cut VFS set to cut at a random
write or sync of the outbox (drawn uniformly over a calibrated run), puts the images the cut
left in place, and asks the independent checker whether any record whose receipt printed is
gone, duplicated or altered. The next run of that terminal is its restart (the outbox opens and
recovers from what the cut left). Every series of points ends with a run that drains; the
checker then wants every receipt stored exactly once.

Guarantees: every loop is bounded (points, series, per-process timeouts); every process this
module starts is waited for or killed; the report holds counts and times only.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from madoguchi.faults.checker import check, read_receipts
from madoguchi.faults.errors import FaultsError
from madoguchi.faults.powercut import CUT_EXIT_CODE, restore_images
from madoguchi.faults.workload import CentralSide, Terminal

__all__ = ["PowerLossReport", "run_terminal_cuts"]

_PROCESS_TIMEOUT_S = 120.0


@dataclass
class PowerLossReport:
    points: int = 0  # power cuts injected
    runs_without_cut: int = 0  # the drawn point lay past the run's last write: no cut
    phases: Counter = field(default_factory=Counter)  # what the terminal was doing at the cut
    receipts: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    altered: int = 0
    stranded: int = 0
    not_drained: int = 0  # receipts still only in an outbox after the final drain
    damaged_files: int = 0  # outbox files the checker could not read at a series' end
    failed_starts: int = 0  # a terminal that could not open its outbox after a cut
    cut_while_starting: int = 0  # cuts that fell in the restart (recovery) after a cut
    failed_checks: int = 0  # points after which the checker said not ok
    unreceipted_rows: int = 0
    open_s: list[float] = field(default_factory=list)  # outbox open (recovery) after a cut
    start_s: list[float] = field(default_factory=list)  # process start → outbox open, after a cut
    drain_s: list[float] = field(default_factory=list)  # final runs: start → all acked
    failures: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        bad = self.lost + self.duplicated + self.altered + self.stranded + self.not_drained
        bad += self.damaged_files
        return bad == 0 and self.failed_starts == 0 and self.failed_checks == 0

    def as_dict(self) -> dict:
        def summary(xs):
            if not xs:
                return None
            xs = sorted(xs)
            return {
                "median": round(statistics.median(xs), 4),
                "p95": round(xs[max(0, math.ceil(0.95 * len(xs)) - 1)], 4),
                "max": round(xs[-1], 4),
            }

        out = {k: v for k, v in self.__dict__.items() if k not in ("open_s", "start_s", "drain_s")}
        out["phases"] = dict(self.phases)
        out["open_s"] = summary(self.open_s)
        out["start_s"] = summary(self.start_s)
        out["drain_s"] = summary(self.drain_s)
        out["failures"] = self.failures[:20]
        out["ok"] = self.ok
        return out


def _terminal_run(terminal: Terminal, receipts: Path, work: Path, **opts) -> tuple[int, dict]:
    argv = [
        sys.executable,
        "-m",
        "madoguchi.faults.terminal",
        "--bundle",
        str(terminal.bundle_dir),
        "--data",
        str(terminal.outbox_path.parent),
        "--receipts",
        str(receipts),
    ]
    for key, value in opts.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not None and value is not False:
            argv += [flag, str(value)]
    log = work / "terminal.log"
    with open(log, "ab") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err)
        try:
            out, _ = proc.communicate(timeout=_PROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=30)
            raise FaultsError("a terminal run did not end in time") from None
    info: dict = {}
    for line in out.decode(errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            info.update(item)
    return proc.returncode, info


def run_terminal_cuts(
    workdir: Path,
    *,
    points: int,
    central_db: str | None = None,
    terminals: int = 2,
    points_per_series: int = 25,
    records_per_run: int = 6,
    seed: int = 23,
    durability_off: bool = False,
    stop_at_first_failure: bool = False,
    central_online: bool = True,
    progress: Path | None = None,
) -> PowerLossReport:
    """Cut the power of terminals at `points` random points (see the module doc).

    `central_online=False`: no receiver runs (the terminals are offline the whole time), and the
    series end without a drain (their receipts stay pending in the outboxes)."""
    workdir = Path(workdir)
    rng = random.Random(seed)
    report = PowerLossReport()
    series = 0
    while report.points < points and series < points:  # each series injects >= 1 point
        work = workdir / f"series-{series:03d}"
        work.mkdir(parents=True)
        db = central_db or str(work / "central.db")
        if central_db and series:
            raise FaultsError("a shared central database runs one series only")
        central = CentralSide(work, db)
        if central_online:
            central.start()
        try:
            _series(
                work,
                central,
                terminals,
                points_per_series,
                records_per_run,
                rng,
                durability_off,
                report,
                points,
                stop_at_first_failure,
                central_online,
            )
        finally:
            central.stop()
        series += 1
        if progress is not None:  # the figures so far, for a long run watched from outside
            Path(progress).write_text(json.dumps(report.as_dict(), default=str))
        if stop_at_first_failure and not report.ok:
            break
    return report


def _series(
    work,
    central,
    n_terminals,
    per_series,
    records,
    rng,
    durability_off,
    report,
    goal,
    stop_early,
    online,
):
    receipts = work / "receipts.jsonl"
    terms = [Terminal.enroll(central, work, f"pc-{i:02d}") for i in range(n_terminals)]
    images = work / "cut-images"
    # Calibration: a run of each terminal with the VFS counting, no cut.
    calibrated = {}
    for t in terms:
        code, info = _terminal_run(
            t,
            receipts,
            work,
            records=records,
            seed=rng.getrandbits(32),
            image_dir=images,
            durability_off=durability_off,
        )
        if code != 0:
            raise FaultsError(f"calibration run ended with {code}")
        calibrated[t.device_id] = max(1, int(info["ops"]))
    done = 0
    restarted: dict[str, bool] = {}  # terminals whose next run is the restart after a cut
    while done < per_series and report.points < goal and not (stop_early and not report.ok):
        t = terms[done % len(terms)]
        cut_at = rng.randint(1, calibrated[t.device_id])
        shutil.rmtree(images, ignore_errors=True)  # only this run's cut may be restored
        code, info = _terminal_run(
            t,
            receipts,
            work,
            records=records,
            seed=rng.getrandbits(32),
            image_dir=images,
            cut_at=cut_at,
            durability_off=durability_off,
        )
        done += 1
        if restarted.pop(t.device_id, False):
            if code == CUT_EXIT_CODE and "open_s" not in info:
                report.cut_while_starting += 1  # the power went again during the recovery
            elif code not in (0, CUT_EXIT_CODE) or "open_s" not in info:
                report.failed_starts += 1
                report.failures.append({"series": work.name, "restart_exit": code, **info})
                continue
            else:
                report.open_s.append(info["open_s"])
                report.start_s.append(info["start_s"])
        if code == 0:
            report.runs_without_cut += 1
            continue
        if code != CUT_EXIT_CODE:
            report.failed_starts += 1
            report.failures.append({"series": work.name, "exit": code, **info})
            continue
        notes = restore_images(t.outbox_path.parent, images)
        report.points += 1
        report.phases[notes.get("phase", "?")] += 1
        verdict = check(
            read_receipts(receipts),
            central.db,
            [x.outbox_path for x in terms],
            central.sealing_keys(),
        )
        if not verdict.ok:
            report.failed_checks += 1
            report.failures.append({"series": work.name, "cut_at": cut_at, **verdict.as_dict()})
        # no separate restart: the next run of this terminal starts from what the cut left
        restarted[t.device_id] = True
    for t in terms if online else []:  # the end of the series: every terminal drains
        start = time.monotonic()
        code, info = _terminal_run(
            t, receipts, work, records=0, drain=True, seed=rng.getrandbits(32)
        )
        if code != 0:
            report.failed_starts += 1
            report.failures.append({"series": work.name, "drain_exit": code, **info})
        elif restarted.pop(t.device_id, False):
            report.open_s.append(info["open_s"])
            report.start_s.append(info["start_s"])
        report.drain_s.append(time.monotonic() - start)
    verdict = check(
        read_receipts(receipts),
        central.db,
        [t.outbox_path for t in terms],
        central.sealing_keys(),
        final=online,
    )
    report.receipts += verdict.receipts
    report.stored += verdict.stored
    report.lost += verdict.lost
    report.not_drained += verdict.pending if online else 0
    report.damaged_files += verdict.damaged_files
    report.duplicated += verdict.duplicated
    report.altered += verdict.altered
    report.stranded += verdict.stranded
    report.unreceipted_rows += verdict.unreceipted_rows
    if not verdict.ok:
        report.failures.append({"series": work.name, "final": True, **verdict.as_dict()})
