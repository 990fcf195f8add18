"""Power loss on the central side: the receiver and processing as a process whose SQLite store is
under the power-cut VFS, and PostgreSQL killed with `pg_ctl -m immediate`.

`python -m madoguchi.faults.central --keys K --db D --bind E [--image-dir I --cut-at N]` serves
the real receiver (ack path) and the processing stage over the store `D` until SIGTERM, the power
cut ending it first when `--cut-at` is given (it prints its op count on a normal end).
`run_central_cuts` drives it: terminals in this process (real outboxes and agents, acked bodies
pruned at once, so a record the central side lost after its ack is gone for good) submit while
the central process runs; after each cut the store's images are put in place, the checker judges
every receipt, and the next central process is the restart. The cuts run in series (50 by
default), each on a fresh store with fresh terminals and ending with a drain and a final check,
so a check costs the same at the 1,000th cut as at the first (one store for all the cuts made
the run quadratic: every check reads and opens every record stored so far). A central process
that never becomes ready (not a cut: e.g. a broken import) is a failed start, and three end
the run. `run_postgres_kills` does the same
with the receiver in this process and PostgreSQL (fsync on) stopped with `-m immediate` at random
moments of the traffic, then started again on the same data directory.

Guarantees: every loop and wait is bounded; every process started here is waited for or killed;
loopback and Unix sockets only; reports hold counts and times only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

__all__ = ["main", "run_central_cuts", "run_postgres_kills"]

_PROCESS_TIMEOUT_S = 120.0
_MAX_FAILED_STARTS = 3  # central processes that never became ready before a run gives up


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="madoguchi.faults.central")
    p.add_argument("--keys", type=Path, required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--bind", required=True)
    p.add_argument("--image-dir", type=Path, default=None)
    p.add_argument("--cut-at", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    vfs = None
    if args.image_dir is not None:
        from madoguchi.faults.powercut import PowerCutVfs

        vfs = PowerCutVfs.install(
            args.db.parent, cut_at=args.cut_at, image_dir=args.image_dir, seed=args.seed
        )
    from provisioning import Registry, load_central_keys
    from sync.central import open_store
    from sync.central.processing import Processor
    from sync.central.receiver import Receiver, ReceiverConfig

    keys = load_central_keys(args.keys)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    receiver = Receiver(
        ReceiverConfig(bind=args.bind),
        lambda: open_store(str(args.db)),
        Registry(keys.registry_path),
        keys.curve_public,
        keys.curve_secret,
    ).start()
    processor = Processor(lambda: open_store(str(args.db)), keys.sealing_keys)
    processor.start()
    print("ready", flush=True)
    try:
        stop.wait(_PROCESS_TIMEOUT_S * 10)  # bounded even if nobody stops it
    finally:
        receiver.stop()
        processor.stop()
    print(json.dumps({"ops": vfs.ops if vfs else None}), flush=True)
    return 0


class _CentralProcess:
    def __init__(self, central, work: Path, **opts) -> None:
        argv = [
            sys.executable,
            "-m",
            "madoguchi.faults.central",
            "--keys",
            str(central.keys_dir),
            "--db",
            central.db,
            "--bind",
            central.endpoint,
        ]
        for key, value in opts.items():
            if value is not None:
                argv += ["--" + key.replace("_", "-"), str(value)]
        self._err = open(work / "central.log", "ab")  # noqa: SIM115 - closed in wait()
        spawned = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._err)
        line = self.proc.stdout.readline()
        self.ready_s = time.monotonic() - spawned  # process start → store open, receiver bound
        if line.strip() != b"ready" and self.proc.poll() is None:
            self.proc.kill()
        self.ready = line.strip() == b"ready"

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> tuple[int, dict]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=_PROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=30)
        self._err.close()
        info = {}
        for line in out.decode(errors="replace").splitlines():
            try:
                info = json.loads(line)
            except ValueError:
                continue
        return self.proc.returncode, info


def _traffic(terms, receipts, rng, n: int, until=None) -> int:
    """Up to `n` submissions spread over the terminals, acked bodies pruned at once; stops early
    when `until()` is true. Returns how many were submitted."""
    done = 0
    for done in range(1, n + 1):
        t = terms[done % len(terms)]
        t.submit(receipts, rng)
        t.outbox.prune()
        if until is not None and until():
            break
        time.sleep(rng.uniform(0.0, 0.02))  # residents' pace: the agents send meanwhile
    return done


def _drained(terms) -> bool:
    return all(t.outbox.stats().last_acked_seq >= t.outbox.head()[0] for t in terms)


def _setup(workdir: Path, terminals: int, db: str):
    from madoguchi.faults.workload import CentralSide, ReceiptLog, Terminal

    central = CentralSide(workdir, db)
    receipts = ReceiptLog(workdir / "receipts.jsonl")
    terms = [Terminal.enroll(central, workdir, f"term-{i:02d}") for i in range(terminals)]
    for t in terms:
        t.open(retention_s=0)
        t.start_agent(batch_max_records=5)
    return central, receipts, terms


def _judge(workdir, central, terms, final: bool):
    from madoguchi.faults.checker import check, read_receipts

    return check(
        read_receipts(workdir / "receipts.jsonl"),
        central.db,
        [t.outbox_path for t in terms],
        central.sealing_keys(),
        final=final,
    )


def run_central_cuts(
    workdir: Path,
    *,
    points: int,
    terminals: int = 2,
    records_per_point: int = 30,
    points_per_series: int = 50,
    seed: int = 23,
    progress: Path | None = None,
) -> dict:
    """Cut the central process's power `points` times (SQLite store); see the module doc.

    The points run in series of `points_per_series`, each on a fresh store with fresh
    terminals: the checker reads the whole store after every cut, so one store for all the
    points would make the run quadratic in the records (the last checks of 1,000 points on one
    store read ~20,000 records each)."""
    workdir = Path(workdir)
    rng = random.Random(seed)
    report = {
        "points": 0,
        "runs_without_cut": 0,
        "failed_starts": 0,
        "failed_checks": 0,
        "failures": [],
    }
    totals = Counter()
    threads: Counter = Counter()
    restart_s: list[float] = []
    drain_s: list[float] = []
    drained = True
    series = 0
    while report["points"] < points and series < points:  # bounded: a series cuts >= 1 point
        if report["failed_starts"] >= _MAX_FAILED_STARTS:
            break  # the central process does not start (e.g. a broken import): stop, say so
        verdict, ok = _central_series(
            workdir / f"series-{series:03d}",
            rng,
            min(points_per_series, points - report["points"]),
            terminals,
            records_per_point,
            report,
            threads,
            restart_s,
            drain_s,
        )
        drained = drained and ok
        for key in ("receipts", "stored", "lost", "duplicated", "altered", "pending"):
            totals[key] += getattr(verdict, key)
        totals["unreceipted_rows"] += verdict.unreceipted_rows
        if not verdict.ok:
            report["failures"].append({"series": series, "final": True, **verdict.as_dict()})
        series += 1
        if progress is not None:
            Path(progress).write_text(json.dumps({**report, **totals, "phases": dict(threads)}))
    bad = totals["lost"] + totals["duplicated"] + totals["altered"] + totals["pending"]
    report.update(
        series=series,
        receipts=totals["receipts"],
        stored=totals["stored"],
        lost=totals["lost"],
        duplicated=totals["duplicated"],
        altered=totals["altered"],
        not_drained=totals["pending"],
        unreceipted_rows=totals["unreceipted_rows"],
        drained=drained,
        phases=dict(threads),
        ready_after_cut_s=_summary(restart_s),
        final_drain_s=_summary(drain_s),
        ok=bad == 0
        and drained
        and report["failed_checks"] == report["failed_starts"] == 0
        and report["failures"] == [],
    )
    report["failures"] = report["failures"][:10]
    return report


def _central_series(
    workdir: Path,
    rng: random.Random,
    points: int,
    terminals: int,
    records_per_point: int,
    report: dict,
    threads: Counter,
    restart_s: list[float],
    drain_s: list[float],
):
    """One store, `points` cuts of its central process, then a drain and the final verdict.
    Returns (final verdict, drained)."""
    from madoguchi.faults.powercut import CUT_EXIT_CODE, restore_images
    from madoguchi.faults.workload import wait_for

    store_dir = workdir / "store"
    store_dir.mkdir(parents=True)
    images = workdir / "cut-images"
    central, receipts, terms = _setup(workdir, terminals, str(store_dir / "central.db"))
    goal = report["points"] + points
    try:
        calib = _CentralProcess(central, workdir, image_dir=images)
        _traffic(terms, receipts, rng, records_per_point)
        wait_for(lambda: _drained(terms), 60)
        _, info = calib.stop()
        ops = max(1, int(info.get("ops") or 1))
        attempts = 0
        while report["points"] < goal and attempts < 3 * points:  # bounded
            if report["failed_starts"] >= _MAX_FAILED_STARTS:
                break
            attempts += 1
            proc = _CentralProcess(
                central,
                workdir,
                image_dir=images,
                cut_at=rng.randint(1, ops),
                seed=rng.getrandbits(32),
            )
            _traffic(terms, receipts, rng, records_per_point, until=lambda p=proc: not p.running())
            if proc.running():
                wait_for(lambda p=proc: not p.running() or _drained(terms), 10)
            code, _ = proc.stop()
            if not proc.ready and code != CUT_EXIT_CODE:
                # it never served: not a point without a cut but a central that cannot start
                report["failed_starts"] += 1
                report["failures"].append({"series": workdir.name, "start_exit": code})
                continue
            if code != CUT_EXIT_CODE:
                report["runs_without_cut"] += 1
                continue
            notes = restore_images(store_dir, images)
            report["points"] += 1
            threads[notes.get("thread", "?")] += 1
            verdict = _judge(workdir, central, terms, final=False)
            if not verdict.ok:
                report["failed_checks"] += 1
                report["failures"].append({"series": workdir.name, **verdict.as_dict()})
            if proc.ready:  # (a cut may fall in the start itself: the recovery)
                restart_s.append(proc.ready_s)
        final = _CentralProcess(central, workdir)
        started = time.monotonic()
        drained = wait_for(lambda: _drained(terms), 120)
        drain_s.append(time.monotonic() - started)
        final.stop()
    finally:
        for t in terms:
            t.close()
    return _judge(workdir, central, terms, final=True), drained


def _summary(xs: list[float]) -> dict | None:
    if not xs:
        return None
    xs = sorted(xs)
    return {
        "median": round(xs[len(xs) // 2], 3),
        "p95": round(xs[max(0, -(-95 * len(xs) // 100) - 1)], 3),
        "max": round(xs[-1], 3),
    }


def _pg_ctl(rig, *args: str, timeout: float = 60.0) -> None:
    from madoguchi.rig.postgres import _pg_bin

    argv = [_pg_bin("pg_ctl"), "-D", str(rig.root / "data"), *args]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", rig.run_as, "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, timeout=timeout)


def run_postgres_kills(workdir: Path, rig, *, kills: int, terminals: int = 2, seed: int = 23):
    """Stop PostgreSQL (`rig`, fsync on) with `-m immediate` `kills` times during traffic, start
    it again on the same data; the receiver (this process) reopens its connections."""
    import psycopg

    from madoguchi.faults.workload import wait_for

    workdir = Path(workdir)
    rng = random.Random(seed)
    name = f"faults_{rng.getrandbits(32):08x}"
    with psycopg.connect(rig.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db = rig.dsn.replace("/postgres?", f"/{name}?")
    central, receipts, terms = _setup(workdir, terminals, db)
    central.start()
    options = f"-k {rig.root} -c listen_addresses='' -c fsync=on"
    report = {"kills": 0, "failed_checks": 0, "failures": [], "recovery_s": []}
    try:
        for _ in range(kills):
            _traffic(terms, receipts, rng, rng.randint(5, 25))
            _pg_ctl(rig, "-m", "immediate", "-w", "stop")
            report["kills"] += 1
            _traffic(terms, receipts, rng, rng.randint(1, 5))  # the terminals go on meanwhile
            killed_at = time.monotonic()
            _pg_ctl(rig, "-l", str(rig.root / "postgres.log"), "-o", options, "-w", "start")
            verdict = _judge(workdir, central, terms, final=False)
            if not verdict.ok:
                report["failed_checks"] += 1
                report["failures"].append(verdict.as_dict())
            if wait_for(lambda: _drained(terms), 60):
                report["recovery_s"].append(round(time.monotonic() - killed_at, 3))
        drained = wait_for(lambda: _drained(terms), 120)
    finally:
        for t in terms:
            t.close()
        central.stop()
    verdict = _judge(workdir, central, terms, final=True)
    report.update(
        receipts=verdict.receipts,
        stored=verdict.stored,
        lost=verdict.lost,
        duplicated=verdict.duplicated,
        altered=verdict.altered,
        not_drained=verdict.pending,
        drained=drained,
        ok=verdict.ok and drained and report["failed_checks"] == 0,
    )
    return report


if __name__ == "__main__":
    sys.exit(main())
