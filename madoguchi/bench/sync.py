"""`madoguchi bench sync`: outbox drain through the real agent and receiver, side by side with a
raw pyzmq baseline and a naive HTTP baseline; `--devices D` adds a fan-in run.

- sync: N sealed ~1 KB records in a real outbox, one `Agent` (DEALER + CURVE) → `Receiver`
  (ROUTER + CURVE + ZAP) → SQLite store (WAL, synchronous=FULL). Timed from agent start until the
  outbox is fully acked (every ACK is after a COMMIT).
- raw: the same record bytes over plain pyzmq DEALER/ROUTER (no CURVE, no protocol, no
  verification), 500 per message, `executemany` into the same `records` table under the same
  pragmas, commit, then ack; records/s.
- http: one `requests.post` per record to a minimal `http.server` that inserts and commits per
  request into SQLite (same pragmas); time-boxed, its rate reported.
- fan-in (`--devices D`): D agents (threads in this process, one shared ZeroMQ context) with
  `--records` records each, all started at once against one receiver; every record must be
  stored exactly once.

The outbox is filled with `bulk_fill` (the same rows `Outbox.append` writes, one transaction
per chunk): filling is not what is measured.
"""

from __future__ import annotations

import sqlite3
import time
import uuid

from sync.sealing import FORMAT_VERSION, RecordHeader, seal


def bulk_fill(outbox, n: int, *, pad: int = 900, kind: str = "survey", chunk: int = 2000) -> None:
    """Append `n` sealed records like `Outbox.append` does, many per transaction (benchmarks
    and tests only: `append` is one durable transaction per record, ~1 ms each on an SD card)."""
    key = outbox._key
    now = int(time.time())
    done = 0
    while done < n:
        count = min(chunk, n - done)

        def insert(db: sqlite3.Connection, count: int = count) -> None:
            seq, prev = outbox._head(db)
            rows = []
            for _ in range(count):
                seq += 1
                header = RecordHeader(
                    FORMAT_VERSION,
                    outbox.device_id,
                    seq,
                    str(uuid.uuid4()),
                    kind,
                    now,
                    True,
                    outbox.key_id,
                    prev,
                )
                rec = seal(header, {"i": seq, "pad": "x" * pad}, key)
                prev = rec.record_hash
                size = len(rec.header_bytes) + len(rec.ciphertext)
                rows.append((seq, rec.header_bytes, rec.ciphertext, prev, 0, now, size))
            db.executemany(
                "INSERT INTO records (seq, header, ciphertext, record_hash, state, created_at,"
                " size) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.execute("UPDATE chain SET head_seq = ?, head_hash = ? WHERE id = 1", (seq, prev))

        outbox._write(insert)
        done += count
