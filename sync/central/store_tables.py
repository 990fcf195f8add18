"""The issuer's, the forwarder's and retention's SQL on the central store (mixed into `Store`).

The tables are created by the store's recorded migrations (`store_schema`, 0004 and 0005), so on
SQLite and on PostgreSQL there is one schema owner and several receivers sharing one PostgreSQL
share one replay cache, one set of slot counts and one forwarding ledger. Uses only the backend
hooks (`_execute`, `_executemany`, `_begin`, `_commit`, `_rollback`, `_guard`, `_q`).

Invariants:
- A challenge is used at most once: `use_challenge` is one conditional UPDATE (`used_at IS
  NULL`), which PostgreSQL re-checks after a concurrent writer commits; the document is recorded
  in the same transaction.
- A slot is never booked past its capacity (one conditional UPDATE), and one (device,
  request_id) gets one booking: its row is inserted first (`ON CONFLICT DO NOTHING`), so a
  concurrent duplicate waits for it and then takes nothing.
- `purge_personal` replaces a typed row's body by the fields kept for reports plus the SHA-256
  of the full body, marks the row and empties its record's stored ciphertext (header and hash
  stay); it never deletes a row (counts stay right).
- Nothing here logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["BookOutcome", "StoreTables"]

# What `book_slot` answers: ("booked" | "unknown_slot" | "slot_past" | "slot_full", row or None)
BookOutcome = tuple[str, tuple | None]


class _Abort(Exception):
    """Leave a transaction with a rollback and a result (not an error)."""

    def __init__(self, result: object) -> None:
        self.result = result


class StoreTables:
    # --- helpers ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self, operation: str):
        with self._guard(operation):
            self._begin()
            try:
                yield
                self._commit()
            except BaseException:
                self._rollback()
                raise

    def _read(self, operation: str, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._guard(operation):
            rows = self._execute(self._q(sql), params)
            self._commit()
        return rows

    # --- issuer: challenges and documents ---------------------------------------------------
    def add_challenge(
        self,
        digest: bytes,
        device_id: str,
        certificate: str,
        copies: int,
        now: float,
        forget_before: float,
        *,
        open_since: float,
        max_open: int,
    ) -> bool:
        """Record a challenge central minted; forget challenges minted before `forget_before`
        (a late replay of one is then foreign: refused either way). False (nothing recorded)
        when the device already holds `max_open` unused challenges minted since `open_since`:
        a device cannot fill the table."""
        try:
            with self._transaction("add_challenge"):
                self._execute(
                    self._q("DELETE FROM issuer_challenges WHERE issued_at < ?"), (forget_before,)
                )
                held = self._execute(
                    self._q(
                        "SELECT COUNT(*) FROM issuer_challenges WHERE device_id = ? "
                        "AND used_at IS NULL AND issued_at >= ?"
                    ),
                    (device_id, open_since),
                )
                if int(held[0][0]) >= max_open:
                    raise _Abort(False)
                self._execute(
                    self._q(
                        "INSERT INTO issuer_challenges (digest, device_id, certificate, copies, "
                        "issued_at) VALUES (?, ?, ?, ?, ?)"
                    ),
                    (digest, device_id, certificate, copies, now),
                )
        except _Abort:
            return False
        return True

    def challenge(self, digest: bytes) -> tuple[str, str, int, float, float | None] | None:
        """(device_id, certificate, copies, issued_at, used_at) of a minted challenge."""
        rows = self._read(
            "challenge",
            "SELECT device_id, certificate, copies, issued_at, used_at FROM issuer_challenges "
            "WHERE digest = ?",
            (digest,),
        )
        if not rows:
            return None
        d, c, n, at, used = rows[0]
        return d, c, int(n), float(at), None if used is None else float(used)

    def use_challenge(self, digest: bytes, now: float, document: Sequence) -> bool:
        """Mark the challenge used and record the issued document, in one transaction; False
        (nothing written) if it was used already (by this or another receiver)."""
        try:
            with self._transaction("use_challenge"):
                taken = self._execute(
                    self._q(
                        "UPDATE issuer_challenges SET used_at = ? "
                        "WHERE digest = ? AND used_at IS NULL RETURNING digest"
                    ),
                    (now, digest),
                )
                if not taken:
                    raise _Abort(False)
                self._execute(
                    self._q(
                        "INSERT INTO issued_documents (document_id, type, verification_code, "
                        "issued_at, device_id, holder, copies) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    ),
                    tuple(document),
                )
        except _Abort as a:
            return bool(a.result)
        return True

    def issued_document(self, document_id: str) -> tuple[str, str, str] | None:
        """(type, issued_at, verification_code) of an issued document."""
        rows = self._read(
            "issued_document",
            "SELECT type, issued_at, verification_code FROM issued_documents WHERE document_id = ?",
            (document_id,),
        )
        return tuple(rows[0]) if rows else None  # type: ignore[return-value]

    # --- issuer: consultation slots and bookings ---------------------------------------------
    def sync_slots(self, slots: Iterable[tuple[str, str, str, int, int]]) -> None:
        """Upsert (id, topic, start, minutes, capacity) from config; booked counts persist."""
        rows = list(slots)
        if not rows:
            return
        with self._transaction("sync_slots"):
            self._executemany(
                self._q(
                    "INSERT INTO consultation_slots (id, topic, start, minutes, capacity) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                    "topic = excluded.topic, start = excluded.start, "
                    "minutes = excluded.minutes, capacity = excluded.capacity"
                ),
                rows,
            )

    def open_slots(self, topic: str, after: str, limit: int) -> list[tuple[str, str, int, int]]:
        """(id, start, minutes, remaining) of slots of `topic` starting after `after`."""
        rows = self._read(
            "open_slots",
            "SELECT id, start, minutes, capacity - booked FROM consultation_slots "
            "WHERE topic = ? AND start > ? AND booked < capacity ORDER BY start, id LIMIT ?",
            (topic, after, limit),
        )
        return [(i, s, int(m), int(r)) for i, s, m, r in rows]

    def book_slot(
        self, device_id: str, request_id: str, slot_id: str, reference: str, now_local: str,
        now: float,
    ) -> BookOutcome:  # fmt: skip
        """Book one place; the same (device, request_id) again answers the first booking."""
        done_sql = (
            "SELECT b.reference, s.id, s.topic, s.start, s.minutes FROM consultation_bookings b "
            "JOIN consultation_slots s ON s.id = b.slot_id "
            "WHERE b.device_id = ? AND b.request_id = ?"
        )
        try:
            with self._transaction("book_slot"):
                mine = self._execute(
                    self._q(
                        "INSERT INTO consultation_bookings (device_id, request_id, slot_id, "
                        "reference, at) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (device_id, request_id) DO NOTHING RETURNING reference"
                    ),
                    (device_id, request_id, slot_id, reference, now),
                )
                if not mine:  # booked before (maybe at another receiver): same answer
                    raise _Abort(("booked", None))
                slot = self._execute(
                    self._q(
                        "SELECT id, topic, start, minutes FROM consultation_slots WHERE id = ?"
                    ),
                    (slot_id,),
                )
                if not slot:
                    raise _Abort(("unknown_slot", None))
                if slot[0][2] <= now_local:
                    raise _Abort(("slot_past", None))
                taken = self._execute(
                    self._q(
                        "UPDATE consultation_slots SET booked = booked + 1 "
                        "WHERE id = ? AND booked < capacity RETURNING id"
                    ),
                    (slot_id,),
                )
                if not taken:
                    raise _Abort(("slot_full", None))
                i, topic, start, minutes = slot[0]
                return "booked", (reference, i, topic, start, int(minutes))
        except _Abort as a:
            outcome, _ = a.result  # type: ignore[misc]
            if outcome != "booked":
                return outcome, None
        rows = self._read("book_slot", done_sql, (device_id, request_id))
        if not rows:  # the first booking's slot row is gone (config changed): refuse clearly
            return "unknown_slot", None
        r, i, topic, start, minutes = rows[0]
        return "booked", (r, i, topic, start, int(minutes))

    # --- forwarder ledger ---------------------------------------------------------------------
    def forward_cursor(self, kind: str) -> int:
        rows = self._read(
            "forward_cursor", "SELECT after_id FROM forward_cursors WHERE kind = ?", (kind,)
        )
        return int(rows[0][0]) if rows else 0

    def set_forward_cursor(self, kind: str, after_id: int) -> None:
        """Move the cursor forward only (two forwarders sharing a database never move it back)."""
        with self._transaction("set_forward_cursor"):
            self._execute(
                self._q(
                    "INSERT INTO forward_cursors (kind, after_id) VALUES (?, ?) "
                    "ON CONFLICT (kind) DO UPDATE SET after_id = excluded.after_id "
                    "WHERE forward_cursors.after_id < excluded.after_id"
                ),
                (kind, after_id),
            )

    def forwarded_ids(self, record_ids: Sequence[str]) -> set[str]:
        done: set[str] = set()
        for i in range(0, len(record_ids), 500):
            chunk = list(record_ids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._read(
                "forwarded_ids",
                f"SELECT record_id FROM forwarded WHERE record_id IN ({marks})",
                chunk,
            )
            done.update(r[0] for r in rows)
        return done

    def mark_forwarded(self, record_id: str, kind: str, status: int, now: float) -> None:
        with self._transaction("mark_forwarded"):
            self._execute(
                self._q(
                    "INSERT INTO forwarded (record_id, kind, status, at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (record_id) DO NOTHING"
                ),
                (record_id, kind, status, now),
            )

    def forward_rejected(self) -> list[tuple[str, int]]:
        rows = self._read(
            "forward_rejected",
            "SELECT record_id, status FROM forwarded WHERE status NOT BETWEEN 200 AND 299 "
            "ORDER BY at, record_id",
        )
        return [(r, int(s)) for r, s in rows]

    def forwarded_count(self) -> int:
        return int(self._read("forwarded_count", "SELECT COUNT(*) FROM forwarded")[0][0])

    # --- retention ----------------------------------------------------------------------------
    def purge_personal(
        self,
        keep: Mapping[str, Sequence[str]],
        forwarded_first: Iterable[str],
        cutoff: float,
        now: float,
        limit: int = 500,
    ) -> int:
        """Remove the personal fields of typed rows opened before `cutoff`: per table in `keep`
        (table -> body fields the reports need), the body becomes those fields plus
        `"$purged": {"sha256": <hash of the full body>}`. Tables in `forwarded_first` are purged
        only once the row's record was forwarded (a 2xx). Returns rows purged."""
        must_forward = set(forwarded_first)
        sqlite = self.placeholder == "?"
        total = 0
        if sqlite:  # freed space is zeroed, so the old bodies do not stay in free pages
            with self._guard("purge_personal"):
                self._execute("PRAGMA secure_delete = ON")
        for table, fields in keep.items():
            sql = f"SELECT t.id, t.device_id, t.seq, t.body FROM {table} t "
            if table in must_forward:
                sql += (
                    "JOIN forwarded f ON f.record_id = t.record_id "
                    "AND f.status BETWEEN 200 AND 299 "
                )
            sql += "WHERE t.purged_at IS NULL AND t.opened_at < ? ORDER BY t.id LIMIT ?"
            while True:
                with self._transaction("purge_personal"):
                    rows = self._execute(self._q(sql), (cutoff, limit))
                    if rows:
                        self._executemany(
                            self._q(f"UPDATE {table} SET body = ?, purged_at = ? WHERE id = ?"),
                            [(_kept(body, fields), now, int(i)) for i, _, _, body in rows],
                        )
                        # the sealed body could be opened again with the central key
                        self._executemany(
                            self._q(
                                "UPDATE records SET ciphertext = ? WHERE device_id = ? AND seq = ?"
                            ),
                            [(b"", d, int(q)) for _, d, q, _ in rows],
                        )
                total += len(rows)
                if len(rows) < limit:
                    break
        if sqlite and total:  # the write-ahead log still holds the old pages: fold and empty it
            with self._guard("purge_personal"):
                self._execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return total


def _kept(body: object, fields: Sequence[str]) -> str:
    text = body if isinstance(body, str) else bytes(body).decode("utf-8")  # type: ignore[arg-type]
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    kept = {k: data[k] for k in fields if isinstance(data, dict) and k in data}
    kept["$purged"] = {"sha256": digest}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)
