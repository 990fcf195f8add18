"""The central store of sealed records, one SQL schema over two backends (SQLite, PostgreSQL).

Invariants:
- A record is keyed by (device_id, seq) and inserted if absent: resending a batch never duplicates.
- `commit_batches` stores one or several batches in ONE transaction (group commit), serialized
  per device (SQLite: BEGIN IMMEDIATE; PostgreSQL: device rows locked FOR UPDATE in sorted
  order), so several receivers may share one PostgreSQL. When it returns, the records are
  durable; only then may the receiver ACK.
- `committed_seq` of a device is the highest seq such that every seq ≤ it is held centrally, in
  `records` or in `quarantine`. It never decreases.
- Nothing is dropped: a record that conflicts with a stored one, breaks the chain (on either
  side: a gap fill must also join the record held after it), fails its signature or cannot be
  opened goes to `quarantine` (insert-if-absent on device, seq, hash). Gaps and chain breaks are
  written to `events`.
- A commit's cost does not grow with the records held past a gap (`store_chain.held_runs`).
- Schema changes are named migrations applied in one transaction and recorded in
  `schema_migrations`.

The pure part (what to insert where) lives in `store_chain._plan_batch`; backends only run SQL.
Opening a store (`open_store`, picking the backend) is `sync.central.stores`'s, above the backends.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sync.central.store_chain import StoreChain, _plan_batch
from sync.central.store_records import (
    CommitResult,
    DeviceState,
    PendingRecord,
    StoredRecord,
    body_json,
)
from sync.central.store_reports import StoreReports
from sync.central.store_schema import KIND_TABLES
from sync.central.store_tables import StoreTables
from sync.sealing import GENESIS_HASH

__all__ = [
    "KIND_TABLES",
    "CommitResult",
    "DeviceState",
    "PendingRecord",
    "Store",
    "StoreHandle",
    "StoredRecord",
    "body_json",
]


class Store(StoreChain, StoreReports, StoreTables):
    """Common SQL for both backends. One instance = one connection = one thread. The issuer's,
    forwarder's and retention's SQL is in `StoreTables` (store_tables.py)."""

    # --- backend hooks ----------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence = ()) -> list[tuple]:
        raise NotImplementedError

    def _executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        raise NotImplementedError

    def _ensure_device(self, device_id: str) -> None:
        """Inside a transaction: make sure the device row exists (the lock is taken by
        `_locked_state`)."""
        self._execute(
            self._q(
                "INSERT INTO devices (device_id, committed_hash) VALUES (?, ?) "
                "ON CONFLICT (device_id) DO NOTHING"
            ),
            (device_id, GENESIS_HASH),
        )

    def _begin(self) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _guard(self, operation: str):
        """Context translating the backend's exceptions into StoreError."""
        raise NotImplementedError

    # --- ack path ---------------------------------------------------------------------------
    def device_state(self, device_id: str) -> DeviceState:
        with self._guard("device_state"):
            rows = self._execute(
                self._q(
                    "SELECT committed_seq, committed_hash, max_seq FROM devices WHERE device_id = ?"
                ),
                (device_id,),
            )
            self._commit()
        if not rows:
            return DeviceState(device_id, 0, GENESIS_HASH, 0)
        seq, head, max_seq = rows[0]
        return DeviceState(device_id, int(seq), bytes(head), int(max_seq))

    def mark_seen(self, device_id: str, now: float | None = None) -> None:
        """The device spoke (HELLO, heartbeat): `last_seen` moves forward, nothing else. A
        quiet center stays "seen" on the dashboard while it is connected with nothing to send."""
        now = time.time() if now is None else now
        with self._guard("mark_seen"):
            self._begin()
            try:
                self._ensure_device(device_id)
                self._execute(
                    self._q(
                        "UPDATE devices SET last_seen = ? WHERE device_id = ? AND last_seen < ?"
                    ),
                    (now, device_id, now),
                )
                self._commit()
            except BaseException:
                self._rollback()
                raise

    def commit_batch(self, device_id: str, rows: Sequence[StoredRecord]) -> CommitResult:
        """Store one verified batch durably (see module invariants); returns what the ACK says."""
        return self.commit_batches([(device_id, rows)])[0]

    def commit_batches(
        self,
        batches: Sequence[tuple[str, Sequence[StoredRecord]]],
        refused: Sequence[tuple[str, Sequence[tuple[StoredRecord, str]], str, str]] = (),
    ) -> list[CommitResult]:
        """Store several verified batches in ONE transaction (group commit: one fsync for all);
        results in the order given. Devices are locked in sorted order (no deadlock between
        receivers sharing PostgreSQL); a device's batches keep their relative order. `refused`
        batches `(device_id, rows, event, detail)` are kept in quarantine in the same
        transaction (as `quarantine_batch` does), without touching committed_seq."""
        if any(not rows for _, rows in batches):
            raise ValueError("empty batch")
        order = sorted(range(len(batches)), key=lambda i: batches[i][0])
        results: list[CommitResult | None] = [None] * len(batches)
        now = time.time()
        with self._guard("commit_batch"):
            try:
                self._begin()
                for i in order:
                    device_id, rows = batches[i]
                    results[i] = self._commit_one(device_id, rows, now)
                for device_id, quarantined, event, detail in refused:
                    self._keep_refused(device_id, quarantined, event, detail, now)
                self._commit()
            except BaseException:
                self._rollback()
                raise
        return results  # type: ignore[return-value]

    def _commit_one(self, device_id: str, rows: Sequence[StoredRecord], now: float) -> CommitResult:
        first, last = rows[0].seq, rows[-1].seq
        self._ensure_device(device_id)
        st = self._locked_state(device_id)
        prev = self._prev_hash(st, first)
        stored = {}
        if first <= st.max_seq:
            stored = {
                int(s): bytes(h)
                for s, h in self._execute(
                    self._q(
                        "SELECT seq, record_hash FROM records "
                        "WHERE device_id = ? AND seq BETWEEN ? AND ?"
                    ),
                    (device_id, first, last),
                )
            }
        plan = _plan_batch(st, rows, prev, stored, self._after_prev(st, last))
        if plan.quarantine and self._refused_again(device_id, plan):
            plan.events.clear()  # the same refused batch again: reported once is enough
        if plan.insert:
            self._executemany(
                self._q(
                    "INSERT INTO records (device_id, seq, record_hash, prev_hash, "
                    "record_id, kind, created_at, header, ciphertext, received_at, state) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
                    "ON CONFLICT (device_id, seq) DO NOTHING"
                ),
                [
                    (
                        device_id,
                        r.seq,
                        r.record_hash,
                        r.prev_hash,
                        r.record_id,
                        r.kind,
                        r.created_at,
                        r.header,
                        r.ciphertext,
                        now,
                    )
                    for r in plan.insert
                ],
            )
        if plan.quarantine:
            self._quarantine_rows(device_id, plan.quarantine, now)
        for kind, a, b, detail in plan.events:
            self._event(device_id, kind, a, b, detail, now)
        committed, head = st.committed_seq, st.committed_hash
        if plan.joins:  # a fill that does not join is not held: its seqs are asked for again
            committed, head = self._advance(st, first, last, rows[-1].record_hash)
        self._execute(
            self._q(
                "UPDATE devices SET committed_seq = ?, committed_hash = ?, "
                "max_seq = ?, last_seen = ? WHERE device_id = ?"
            ),
            (committed, head, max(st.max_seq, last), now, device_id),
        )
        return CommitResult(
            committed_seq=committed,
            stored=len(plan.insert),
            duplicates=plan.duplicates,
            rejections=tuple(plan.rejections),
            events=tuple(e[0] for e in plan.events),
            quarantined_bytes=sum(len(r.header) + len(r.ciphertext) for r, _ in plan.quarantine),
        )

    def _locked_state(self, device_id: str) -> DeviceState:
        rows = self._execute(
            self._q(
                "SELECT committed_seq, committed_hash, max_seq FROM devices WHERE device_id = ?"
                + self._for_update()
            ),
            (device_id,),
        )
        seq, head, max_seq = rows[0]
        return DeviceState(device_id, int(seq), bytes(head), int(max_seq))

    def _quarantine_rows(
        self, device_id: str, rows: Sequence[tuple[StoredRecord, str]], now: float
    ) -> None:
        self._executemany(
            self._q(
                "INSERT INTO quarantine (device_id, seq, record_hash, reason, header, "
                "ciphertext, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (device_id, seq, record_hash, reason) DO NOTHING"
            ),
            [
                (device_id, r.seq, r.record_hash, reason, r.header, r.ciphertext, now)
                for r, reason in rows
            ],
        )

    def _event(self, device_id: str, kind: str, a: int, b: int, detail: str, now: float) -> None:
        self._execute(
            self._q(
                "INSERT INTO events (device_id, kind, first_seq, last_seq, detail, at) "
                "VALUES (?, ?, ?, ?, ?, ?)"
            ),
            (device_id, kind, a, b, detail, now),
        )

    def _keep_refused(
        self,
        device_id: str,
        rows: Sequence[tuple[StoredRecord, str]],
        event: str,
        detail: str,
        now: float,
    ) -> None:
        self._quarantine_rows(device_id, rows, now)
        if rows:
            self._event(device_id, event, rows[0][0].seq, rows[-1][0].seq, detail, now)

    def quarantine_batch(
        self, device_id: str, rows: Sequence[tuple[StoredRecord, str]], event: str, detail: str
    ) -> None:
        """Keep a refused batch (bad signature, broken chain) without touching committed_seq."""
        now = time.time()
        with self._guard("quarantine_batch"):
            try:
                self._begin()
                self._keep_refused(device_id, rows, event, detail, now)
                self._commit()
            except BaseException:
                self._rollback()
                raise

    # --- processing stage ------------------------------------------------------------------
    def pending(self, limit: int) -> list[PendingRecord]:
        """Stored records not yet opened, oldest first (PostgreSQL: rows are claimed by this
        transaction with SKIP LOCKED until `finish_processing` commits)."""
        with self._guard("pending"):
            rows = self._execute(
                self._q(
                    "SELECT device_id, seq, record_hash, header, ciphertext, received_at "
                    "FROM records WHERE state = 0 ORDER BY received_at, device_id, seq LIMIT ?"
                    + self._skip_locked()
                ),
                (limit,),
            )
            self._end_read_for_processing()
        return [
            PendingRecord(d, int(s), bytes(h), bytes(hd), bytes(c), float(at))
            for d, s, h, hd, c, at in rows
        ]

    def _skip_locked(self) -> str:
        return ""

    def _end_read_for_processing(self) -> None:
        """SQLite: end the read (one processor per file); PostgreSQL keeps the claim open."""
        self._commit()

    def _begin_processing_write(self) -> None:
        self._begin()

    def _for_update(self) -> str:
        return ""

    def finish_processing(
        self,
        opened: Sequence[tuple[PendingRecord, str, int, str, str]],
        failed: Sequence[tuple[PendingRecord, str]],
    ) -> None:
        """Commit the processing of records claimed by `pending`: `opened` rows are
        (record, kind, created_at, record_id, body_json) into the typed tables; `failed` rows go
        to quarantine with their reason. Both are marked processed in the same transaction."""
        now = time.time()
        with self._guard("finish_processing"):
            try:
                self._begin_processing_write()
                by_table: dict[str, list[tuple]] = {}
                for rec, kind, created_at, record_id, body in opened:
                    by_table.setdefault(KIND_TABLES[kind], []).append(
                        (rec.device_id, rec.seq, record_id, created_at, now, body)
                    )
                for table, values in by_table.items():
                    self._executemany(
                        self._q(
                            f"INSERT INTO {table} (device_id, seq, record_id, created_at, "
                            "opened_at, body) VALUES (?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (device_id, seq) DO NOTHING"
                        ),
                        values,
                    )
                if failed:
                    self._executemany(
                        self._q(
                            "INSERT INTO quarantine (device_id, seq, record_hash, reason, header, "
                            "ciphertext, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (device_id, seq, record_hash, reason) DO NOTHING"
                        ),
                        [
                            (r.device_id, r.seq, r.record_hash, why, r.header, r.ciphertext, now)
                            for r, why in failed
                        ],
                    )
                done = [(1, r.device_id, r.seq) for r, *_ in opened]
                done += [(2, r.device_id, r.seq) for r, _ in failed]
                self._executemany(
                    self._q("UPDATE records SET state = ? WHERE device_id = ? AND seq = ?"), done
                )
                self._commit()
            except BaseException:
                self._rollback()
                raise

    def release(self) -> None:
        """End a `pending` transaction that will not be finished (nothing was claimed for good)."""
        with self._guard("release"):
            self._rollback()


class StoreHandle:
    """A store opened on first use and reopened after a failure (e.g. PostgreSQL restarted):
    `get()` (may raise StoreError), `reset()` after a StoreError, `close()`."""

    def __init__(self, factory) -> None:
        self._factory = factory
        self._store: Store | None = None

    def get(self) -> Store:
        if self._store is None:
            self._store = self._factory()
        return self._store

    def reset(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    close = reset
