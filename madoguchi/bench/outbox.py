"""`madoguchi bench outbox`: seal + durable append latency of the real outbox (SQLite WAL,
synchronous=FULL, one fsync'd commit per record), with a raw durable SQLite insert of the same size
measured in the same run as the baseline.

Metrics: `append_ms_p50`, `append_ms_p99`, `append_ms_max`, `records_per_s`, `seal_ms_p50`,
`raw_commit_ms_p50`, `raw_commit_ms_p99` (the baseline runs interleaved in blocks of 50, so both see
the same disk), `verify_ms_per_1000`; ratio `append_p99_vs_raw_commit_p99`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from madoguchi.bench import emit, percentile, progress
from sync.outbox import Outbox, OutboxConfig
from sync.sealing import GENESIS_HASH, RecordHeader, seal

_WARMUP = 50


def _body(i: int, body_bytes: int) -> dict:
    """An application-like body; the padding brings it to about `body_bytes`."""
    form = {
        "procedure": "moving-in",
        "lang": "ja",
        "fields": {
            "name": "山田 太郎",
            "kana": "ヤマダ タロウ",
            "address": "東京都千代田区千代田一丁目1番1号",
            "birth": "19800401",
            "household": [{"relation": "spouse", "birth": "19820712"}],
        },
        "n": i,
    }
    form["pad"] = "x" * max(0, body_bytes - 300)
    return form


class _RawTable:
    """The floor: one durable WAL commit of a blob of the record's size, nothing else."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, b BLOB NOT NULL)")

    def commit_ms(self, blob: bytes) -> float:
        t0 = time.perf_counter()
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO t (b) VALUES (?)", (blob,))
        self.db.execute("COMMIT")
        return (time.perf_counter() - t0) * 1000


@click.command("outbox")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the contract).")
@click.option("--records", default=2000, show_default=True, help="Records to append.")
@click.option("--body-bytes", default=1024, show_default=True, help="Approximate body size.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for the outbox file (default: a fresh temp dir, removed afterwards).",
)
def command(as_json: bool, records: int, body_bytes: int, directory: Path | None) -> None:
    """Seal + durable append latency and throughput of the outbox."""
    if records < 10:
        raise click.BadParameter("at least 10 records", param_hint="--records")
    own_dir = directory is None
    work = Path(tempfile.mkdtemp(prefix="madoguchi-bench-outbox-")) if own_dir else directory
    work.mkdir(parents=True, exist_ok=True)
    central = X25519PrivateKey.generate()
    try:
        progress(f"sealing {min(records, 1000)} bodies (no I/O)")
        seal_ms = []
        for i in range(min(records, 1000)):
            h = RecordHeader(
                1, "bench-01", i + 1, str(uuid.uuid4()), "application", 0, True, "k", GENESIS_HASH
            )
            t0 = time.perf_counter()
            rec = seal(h, _body(i, body_bytes), central.public_key())
            seal_ms.append((time.perf_counter() - t0) * 1000)
        record_size = len(rec.header_bytes) + len(rec.ciphertext)

        progress(f"appending {records} records to {work}, interleaved with raw commits")
        cfg = OutboxConfig(work / "outbox.db", reserve_bytes=0)
        raw = _RawTable(work / "raw.db")
        append_ms: list[float] = []
        raw_ms: list[float] = []
        elapsed = 0.0
        with Outbox(cfg, "bench-01", central.public_key(), "seal-bench") as ob:
            for i in range(_WARMUP):
                ob.append("application", _body(i, body_bytes))
                raw.commit_ms(os.urandom(record_size))
            # Blocks of 50 alternate between the outbox and the raw baseline, so both see the
            # same disk conditions (the disk may be shared and busy).
            for block in range(0, records, 50):
                n = min(50, records - block)
                bodies = [_body(block + i, body_bytes) for i in range(n)]
                start = time.perf_counter()
                for body in bodies:
                    t0 = time.perf_counter()
                    ob.append("application", body)
                    append_ms.append((time.perf_counter() - t0) * 1000)
                elapsed += time.perf_counter() - start
                blobs = [os.urandom(record_size) for _ in range(n)]
                raw_ms += [raw.commit_ms(blob) for blob in blobs]
            progress("verifying the stored chain")
            t0 = time.perf_counter()
            last_seq, _ = ob.verify()
            verify_s = time.perf_counter() - t0
        raw.db.close()
    finally:
        if own_dir:
            shutil.rmtree(work, ignore_errors=True)

    p99 = percentile(append_ms, 99)
    raw_p99 = percentile(raw_ms, 99)
    metrics = {
        "records": records,
        "record_bytes": record_size,
        "append_ms_p50": round(percentile(append_ms, 50), 3),
        "append_ms_p99": round(p99, 3),
        "append_ms_max": round(max(append_ms), 3),
        "records_per_s": round(records / elapsed, 1),
        "seal_ms_p50": round(percentile(seal_ms, 50), 3),
        "raw_commit_ms_p50": round(percentile(raw_ms, 50), 3),
        "raw_commit_ms_p99": round(raw_p99, 3),
        "verify_ms_per_1000": round(verify_s * 1000 * 1000 / max(1, last_seq), 2),
    }
    ratios = {"append_p99_vs_raw_commit_p99": round(p99 / raw_p99, 2) if raw_p99 else None}
    emit("outbox", metrics, ratios, as_json=as_json)
