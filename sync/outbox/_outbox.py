"""The outbox: sealed, hash-chained records in SQLite (WAL, synchronous=FULL), pending → sent → acked.

Invariants:
- `append` seals the body, takes the next seq, links the chain and commits in ONE transaction;
  it returns only after the commit is durable (WAL fsync). If it raises, nothing was written.
- Sequence numbers have no gaps and are never reused: the next seq and prev hash come from the
  single `chain` row updated in the same transaction as the insert.
- The file holds headers (no personal data) and ciphertext only; plaintext bodies never reach
  SQLite, and nothing logged names content.
- Free space is checked before a record is accepted (`OutboxFullError`, nothing written); SQLite's
  own "disk full" is translated to the same error after its rollback.
- One `Outbox` per process, safe across threads (one connection behind a lock). Several processes
  (kiosk UI appends, sync agent sends/acks) open the same path: WAL with a busy timeout; only the
  kiosk process needs the sealing key. Only an Outbox holding the sealing key moves a damaged file
  aside; one without it (the agent) gets `OutboxCorruptError` and should retry later, and checks
  `file_replaced()` to reopen after the kiosk replaced the file.
- Each append seals to ONE key, named by the header's `kid`: the `key_source`'s current key
  (a config bundle's announcement after a central rotation, see `_keys`) or, when it has none,
  the key the outbox was opened with. Records already sealed are never touched.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from sync.errors import (
    OutboxCorruptError,
    OutboxError,
    OutboxFullError,
    RecordFormatError,
    RecordPrunedError,
    SealError,
)
from sync.outbox import _recovery
from sync.outbox._config import (
    _STATE_ACKED,
    _STATE_PENDING,
    _STATE_SENT,
    AppendResult,
    Clock,
    OutboxConfig,
    OutboxStats,
    RecoveryReport,
    system_clock,
)
from sync.outbox._keys import SealingKey, SealingKeySource
from sync.outbox._open import open_outbox
from sync.outbox._verify import verify_rows
from sync.sealing import (
    FORMAT_VERSION,
    RecordHeader,
    SealedRecord,
    seal,
)

__all__ = ["Outbox"]

_log = logging.getLogger("sync.outbox")
_WAL_SLACK = 64 * 1024  # WAL frames and index pages a commit may add beyond the record itself


class Outbox:
    """The device's outbox. `open()` (or `with Outbox(...) as ob:`) before use."""

    def __init__(
        self,
        config: OutboxConfig,
        device_id: str,
        sealing_public_key: X25519PublicKey | None,
        key_id: str,
        clock: Clock = system_clock,
        *,
        key_source: SealingKeySource | None = None,
    ) -> None:
        self.config = config
        self.device_id = device_id
        self._key = sealing_public_key
        self._key_id = key_id
        self._key_source = key_source if sealing_public_key is not None else None
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._inode = 0
        self._lock = threading.RLock()
        self.recovery: RecoveryReport | None = None  # set by open() when a damaged file was moved

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Outbox:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> Outbox:
        """Open (creating if needed), check integrity, migrate. Idempotent.

        A damaged or lost file is replaced only by an Outbox holding the sealing key (the
        appending process); `self.recovery` then says what happened.
        """
        with self._lock:
            if self._db is not None:
                return self
            db, report = open_outbox(self.config, self.device_id, self._key is not None)
            if report is not None:
                self.recovery = report
            self._db = db
            self._inode = os.stat(self.config.path).st_ino
            _log.info("outbox open: last seq %d", self._head(db)[0])
        return self

    def file_replaced(self) -> bool:
        """True if the file at the configured path is no longer the one this Outbox has open
        (the appending process moved a damaged file aside): close and open again."""
        with self._lock:
            if self._db is None:
                return False
            try:
                return os.stat(self.config.path).st_ino != self._inode
            except FileNotFoundError:
                return True

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise OutboxError("outbox is not open")
        return self._db

    @staticmethod
    def _head(db: sqlite3.Connection) -> tuple[int, bytes]:
        row = db.execute("SELECT head_seq, head_hash FROM chain WHERE id = 1").fetchone()
        if row is None:
            raise OutboxCorruptError("chain row missing")
        return row[0], row[1]

    def _free_bytes(self) -> int:
        st = os.statvfs(self.config.path.parent)
        return st.f_bavail * st.f_frsize

    def _write(self, fn, *args):
        """Run fn(db, *args) in one IMMEDIATE transaction; translate SQLite errors."""
        with self._lock:
            db = self._conn()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(db, *args)
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise self._translate(e) from e
            return result

    def _translate(self, e: sqlite3.Error) -> OutboxError:
        code = getattr(e, "sqlite_errorcode", 0) & 0xFF
        if code == sqlite3.SQLITE_FULL:
            return OutboxFullError(self._free_bytes(), self.config.reserve_bytes)
        if _recovery.is_damage(e):
            return OutboxCorruptError(str(e))
        return OutboxError(f"outbox database error: {e}")

    # --- appending ---------------------------------------------------------------------------

    def sealing_key(self) -> SealingKey | None:
        """The key the next record will be sealed to (None on the agent side)."""
        if self._key is None:
            return None
        announced = self._key_source.current() if self._key_source is not None else None
        return announced or SealingKey(self._key, self._key_id)

    @property
    def key_id(self) -> str:
        """Key id of the next record's header (the enrolled one on the agent side)."""
        key = self.sealing_key()
        return key.key_id if key is not None else self._key_id

    def append(self, kind: str, body: Mapping) -> AppendResult:
        """Seal `body`, give it the next seq, link it and durably commit; then return."""
        (result,) = self.append_many([(kind, body)])
        return result

    def append_many(self, items: Iterable[tuple[str, Mapping]]) -> list[AppendResult]:
        """Append several (kind, body) records in ONE durable transaction: all or none.

        For bulk imports, benchmarks and tests; the kiosk appends one submission at a time.
        """
        key = self.sealing_key()
        if key is None:
            raise SealError("this outbox was opened without the sealing key (agent side)")
        items = list(items)
        if not items:
            return []
        now, synced = self._clock()

        def insert(db: sqlite3.Connection) -> list[AppendResult]:
            seq, prev = self._head(db)
            rows, results, total = [], [], 0
            for kind, body in items:
                seq += 1
                header, rec = self._seal_one(key, seq, prev, kind, body, int(now), bool(synced))
                size = len(rec.header_bytes) + len(rec.ciphertext)
                total += size
                prev = rec.record_hash
                rows.append(
                    (
                        seq,
                        rec.header_bytes,
                        rec.ciphertext,
                        prev,
                        _STATE_PENDING,
                        header.created_at,
                        size,
                    )
                )
                results.append(AppendResult(seq, header.record_id, prev))
            free = self._free_bytes()
            if free - 2 * total - _WAL_SLACK < self.config.reserve_bytes:
                raise OutboxFullError(free, self.config.reserve_bytes)
            db.executemany(
                "INSERT INTO records (seq, header, ciphertext, record_hash, state, created_at,"
                " size) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.execute("UPDATE chain SET head_seq = ?, head_hash = ? WHERE id = 1", (seq, prev))
            return results

        results = self._write(insert)
        _log.debug("outbox append: seq %d..%d", results[0].seq, results[-1].seq)
        every = self.config.seqmark_every
        if results[-1].seq // every != (results[0].seq - 1) // every:
            try:
                _recovery.write_seqmark(self.config.path, results[-1].seq, results[-1].record_hash)
            except OSError as e:  # the records are committed; the mark is only a recovery aid
                _log.warning("seqmark not written: %s", type(e).__name__)
        return results

    def _seal_one(
        self,
        key: SealingKey,
        seq: int,
        prev: bytes,
        kind: str,
        body: Mapping,
        now: int,
        synced: bool,
    ) -> tuple[RecordHeader, SealedRecord]:
        header = RecordHeader(
            version=FORMAT_VERSION,
            device_id=self.device_id,
            seq=seq,
            record_id=str(uuid.uuid4()),
            kind=kind,
            created_at=max(0, now),
            clock_synced=synced,
            key_id=key.key_id,
            prev_hash=prev,
        )
        try:
            rec = seal(header, body, key.public)
        except RecordFormatError as e:
            raise SealError(str(e)) from e
        size = len(rec.header_bytes) + len(rec.ciphertext)
        if size > self.config.max_body_bytes:
            raise SealError(f"record of {size} bytes exceeds {self.config.max_body_bytes}")
        return header, rec

    # --- reading for the agent -----------------------------------------------------------------

    def _select(self, where: str, args: tuple, max_count: int, max_bytes: int) -> list:
        if max_count < 1 or max_bytes < 1:
            raise ValueError("max_count and max_bytes must be >= 1")
        with self._lock:
            try:
                rows = (
                    self._conn()
                    .execute(
                        "SELECT seq, header, ciphertext, size FROM records WHERE "
                        + where
                        + " ORDER BY seq LIMIT ?",
                        (*args, max_count),
                    )
                    .fetchall()
                )
            except sqlite3.Error as e:
                raise self._translate(e) from e
        out, total = [], 0
        for seq, header, ciphertext, size in rows:
            if out and total + size > max_bytes:
                break
            if ciphertext is None:
                raise RecordPrunedError(seq, self._first_available(seq))
            out.append(SealedRecord(bytes(header), bytes(ciphertext)))
            total += size
        return out

    def pending_batch(
        self, max_count: int, max_bytes: int, after_seq: int | None = None
    ) -> list[SealedRecord]:
        """Pending records in seq order, at most `max_count` and `max_bytes` (but at least one)."""
        return self._select(
            "state = ? AND seq > ?", (_STATE_PENDING, after_seq or 0), max_count, max_bytes
        )

    def records_from(self, seq: int, max_count: int, max_bytes: int) -> list[SealedRecord]:
        """Records with seq >= `seq` whatever their state (resume from the central's commit).

        Raises RecordPrunedError for a record whose ciphertext is gone or lives in an earlier
        (moved-aside) file; its `next_seq` says where sending can resume.
        """
        with self._lock:
            base = self._conn().execute("SELECT base_seq FROM chain WHERE id = 1").fetchone()[0]
        if seq <= base:
            raise RecordPrunedError(seq, self._first_available(base))
        return self._select("seq >= ?", (seq,), max_count, max_bytes)

    def _first_available(self, after: int) -> int | None:
        """The first seq > `after` whose ciphertext is still here (None: nothing left to send)."""
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT min(seq) FROM records WHERE seq > ? AND ciphertext IS NOT NULL",
                    (after,),
                )
                .fetchone()
            )
        return row[0] if row else None

    def head(self) -> tuple[int, bytes]:
        """(last seq, last record hash): what the agent signs as the chain head."""
        with self._lock:
            return self._head(self._conn())

    # --- state transitions ---------------------------------------------------------------------

    def mark_sent(self, seqs: Iterable[int] | None = None, *, up_to: int | None = None) -> int:
        """Pending → sent for the given seqs, or for every seq <= `up_to`; returns rows changed."""
        if (seqs is None) == (up_to is None):
            raise ValueError("give either seqs or up_to")

        def update(db: sqlite3.Connection) -> int:
            if up_to is not None:
                cur = db.execute(
                    "UPDATE records SET state = ? WHERE state = ? AND seq <= ?",
                    (_STATE_SENT, _STATE_PENDING, up_to),
                )
                return cur.rowcount
            cur = db.executemany(
                "UPDATE records SET state = ? WHERE state = ? AND seq = ?",
                [(_STATE_SENT, _STATE_PENDING, int(s)) for s in seqs],
            )
            return cur.rowcount

        return self._write(update)

    def requeue_sent(self) -> int:
        """Sent → pending (after a reconnect, unacknowledged records go again)."""
        return self._write(
            lambda db: (
                db.execute(
                    "UPDATE records SET state = ? WHERE state = ?", (_STATE_PENDING, _STATE_SENT)
                ).rowcount
            )
        )

    def mark_acked(self, up_to_seq: int) -> int:
        """Every record with seq <= `up_to_seq` is acked (the central committed it)."""
        now = self._clock()[0]

        def update(db: sqlite3.Connection) -> int:
            head_seq, _ = self._head(db)
            top = min(int(up_to_seq), head_seq)
            if up_to_seq > head_seq:
                _log.warning("ack for seq %d beyond last seq %d", up_to_seq, head_seq)
            cur = db.execute(
                "UPDATE records SET state = ?, acked_at = ? WHERE state < ? AND seq <= ?",
                (_STATE_ACKED, now, _STATE_ACKED, top),
            )
            db.execute(
                "UPDATE chain SET last_acked_seq = max(last_acked_seq, ?) WHERE id = 1", (top,)
            )
            return cur.rowcount

        return self._write(update)

    def prune(self, now: float | None = None) -> int:
        """Drop ciphertext of records acked more than `retention_s` ago; keep headers and hashes."""
        cutoff = (self._clock()[0] if now is None else now) - self.config.retention_s
        n = self._write(
            lambda db: (
                db.execute(
                    "UPDATE records SET ciphertext = NULL WHERE state = ? AND acked_at <= ?"
                    " AND ciphertext IS NOT NULL",
                    (_STATE_ACKED, cutoff),
                ).rowcount
            )
        )
        if n:
            _log.info("outbox pruned %d acked records", n)
        return n

    # --- reporting and verification ------------------------------------------------------------

    def stats(self) -> OutboxStats:
        """Counts and seqs only; never content."""
        with self._lock:
            db = self._conn()
            try:
                counts = dict(
                    db.execute("SELECT state, count(*) FROM records GROUP BY state").fetchall()
                )
                base_seq, head_seq, last_acked = db.execute(
                    "SELECT base_seq, head_seq, last_acked_seq FROM chain WHERE id = 1"
                ).fetchone()
                oldest = db.execute(
                    "SELECT created_at FROM records WHERE state = ? ORDER BY seq LIMIT 1",
                    (_STATE_PENDING,),
                ).fetchone()
                pruned = db.execute(
                    "SELECT count(*) FROM records WHERE ciphertext IS NULL"
                ).fetchone()[0]
            except sqlite3.Error as e:
                raise self._translate(e) from e
        return OutboxStats(
            pending=counts.get(_STATE_PENDING, 0),
            sent=counts.get(_STATE_SENT, 0),
            acked=counts.get(_STATE_ACKED, 0),
            last_seq=head_seq,
            last_acked_seq=last_acked,
            oldest_pending_created_at=oldest[0] if oldest else None,
            pruned=pruned,
            base_seq=base_seq,
        )

    def verify(self) -> tuple[int, bytes]:
        """Walk the whole stored chain; return (last seq, last hash) or raise ChainError/GapError.

        Checks each row's seq against its header, recomputes each hash that still has its
        ciphertext, links every header to its predecessor and ends at the recorded head.
        """
        with self._lock:
            db = self._conn()
            try:
                base_seq, base_hash, head_seq, head_hash = db.execute(
                    "SELECT base_seq, base_hash, head_seq, head_hash FROM chain WHERE id = 1"
                ).fetchone()
                return verify_rows(
                    db.execute(
                        "SELECT seq, header, ciphertext, record_hash FROM records ORDER BY seq"
                    ),
                    device_id=self.device_id,
                    base_seq=base_seq,
                    base_hash=base_hash,
                    head_seq=head_seq,
                    head_hash=head_hash,
                )
            except sqlite3.Error as e:
                raise self._translate(e) from e
