"""One terminal run of the power-loss harness, as its own process:
`python -m madoguchi.faults.terminal --bundle B --data D --receipts R --records N [--cut-at K]`.

The process is the terminal: it opens the outbox under `--data` (recovering it as the kiosk
does), starts the real sync agent towards the enrolled central endpoint (loopback), submits `N`
residents' records (a receipt line once each append returned), prunes acked bodies now and then
and, with `--drain`, waits until everything is acked. With `--cut-at K` the power-cut VFS is
installed over `--data` first and the power goes at the K-th write or sync of its SQLite files
(the process ends with `CUT_EXIT_CODE`). On a normal end it prints one JSON line (ops, syncs,
times; never content). `--durability-off` switches the outbox to synchronous=OFF: a deliberately
broken build, for showing that the checker finds the losses.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

__all__ = ["main"]

EXIT_NOT_DRAINED = 3  # the run ended without everything acked (a bounded wait ran out)
EXIT_NOT_STARTED = 4  # the terminal could not open its outbox


def _parse(argv):
    p = argparse.ArgumentParser(prog="madoguchi.faults.terminal")
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--receipts", type=Path, required=True)
    p.add_argument("--records", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cut-at", type=int, default=None)
    p.add_argument("--image-dir", type=Path, default=None)
    p.add_argument("--prune-every", type=int, default=4)
    p.add_argument("--drain", action="store_true")
    p.add_argument("--drain-timeout", type=float, default=60.0)
    p.add_argument("--durability-off", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = _parse(argv)
    started = time.monotonic()
    vfs = None
    if args.image_dir is not None:  # without --cut-at: only count the writes and syncs
        from madoguchi.faults.powercut import PowerCutVfs

        vfs = PowerCutVfs.install(
            args.data, cut_at=args.cut_at, image_dir=args.image_dir, seed=args.seed
        )
    # Imported after the VFS is the default, so every SQLite file of the run goes through it.
    from madoguchi.faults.workload import ReceiptLog, fast_agent_config, resident_body
    from provisioning import load_device_bundle
    from sync.agent import Agent
    from sync.errors import OutboxError
    from sync.outbox import Outbox, OutboxConfig

    class _PhaseOutbox(Outbox):
        """Names what the terminal is doing when a write happens (for the cut report)."""

        def _phase(self, name):
            if vfs is not None:
                vfs.phase = name

        def append_many(self, items):
            self._phase("append")
            return super().append_many(items)

        def mark_acked(self, up_to_seq):
            self._phase("ack")
            return super().mark_acked(up_to_seq)

        def prune(self, now=None):
            self._phase("prune")
            return super().prune(now)

    device = load_device_bundle(args.bundle)
    rng = random.Random(args.seed)
    receipts = ReceiptLog(args.receipts)
    if vfs is not None:
        vfs.phase = "open"
    outbox = _PhaseOutbox(
        OutboxConfig(args.data / "outbox.sqlite3", reserve_bytes=0, retention_s=0),
        device.device_id,
        device.sealing_public,
        device.sealing_key_id,
    )
    opening = time.monotonic()
    try:
        outbox.open()
    except OutboxError as e:
        print(json.dumps({"error": type(e).__name__}), flush=True)
        return EXIT_NOT_STARTED
    opened = time.monotonic()
    # Said at once: a run cut later still reports how long its start (recovery) took.
    print(
        json.dumps({"start_s": round(opened - started, 4), "open_s": round(opened - opening, 4)}),
        flush=True,
    )
    if args.durability_off:
        outbox._conn().execute("PRAGMA synchronous=OFF")
    agent = Agent(
        fast_agent_config(device.central_endpoint, device.central_curve_public),
        outbox,
        device.device_id,
        device.curve_public,
        device.curve_secret,
        device.signing_key,
    ).start()
    from madoguchi.faults.workload import KINDS

    try:
        for i in range(args.records):
            kind = KINDS[rng.randrange(len(KINDS))]
            body = resident_body(kind, rng)
            if vfs is not None:
                vfs.phase = "submit"
            result = outbox.append(kind, body)
            receipts.write(device.device_id, result.seq, result.record_id, kind, body)
            if args.prune_every and i % args.prune_every == args.prune_every - 1:
                outbox.prune()
            if rng.random() < 0.5:  # residents arrive at their own pace: let the agent send
                time.sleep(rng.uniform(0.0, 0.03))
        drained = True
        if args.drain:
            deadline = time.monotonic() + args.drain_timeout
            while outbox.stats().last_acked_seq < outbox.head()[0]:
                if time.monotonic() > deadline:
                    drained = False
                    break
                time.sleep(0.02)
            outbox.prune()
    finally:
        agent.stop()
    done = time.monotonic()
    outbox.close()
    print(
        json.dumps(
            {
                "ops": vfs.ops if vfs else None,
                "syncs": vfs.syncs if vfs else None,
                "run_s": round(done - started, 4),
                "drained": drained,
            }
        ),
        flush=True,
    )
    return 0 if drained else EXIT_NOT_DRAINED


if __name__ == "__main__":
    sys.exit(main())
