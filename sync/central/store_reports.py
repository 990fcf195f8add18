"""Read-only reports of the central store (lag, gaps and chain breaks, quarantine, counts, opened
records for consumers such as the forwarder and the dashboard). Mixed into `Store`; uses only the
backend hooks `_execute`, `_commit`, `_guard` (and `placeholder`, for `_q`).

Invariant: reports return ids, seqs, reasons, counts and (for `opened`) the opened body JSON that
the central consumers need; they never log.
"""

from __future__ import annotations

import time

from sync.central.store_schema import KIND_TABLES

__all__ = ["StoreReports"]


class StoreReports:
    placeholder = "?"  # the backend's parameter marker; SQL here is written with `?`

    def _q(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def lag(self) -> tuple[int, float]:
        """(records waiting to be opened, age in seconds of the oldest of them)."""
        with self._guard("lag"):
            rows = self._execute("SELECT COUNT(*), MIN(received_at) FROM records WHERE state = 0")
            self._commit()
        count, oldest = rows[0]
        return int(count), (time.time() - float(oldest)) if oldest is not None else 0.0

    def events(self, device_id: str | None = None) -> list[tuple[str, str, int, int, str]]:
        """Gaps and chain breaks: (device_id, kind, first_seq, last_seq, detail), oldest first."""
        sql = "SELECT device_id, kind, first_seq, last_seq, detail FROM events"
        params: tuple = ()
        if device_id is not None:
            sql, params = sql + " WHERE device_id = ?", (device_id,)
        with self._guard("events"):
            rows = self._execute(self._q(sql + " ORDER BY id"), params)
            self._commit()
        return [(d, k, int(a), int(b), t) for d, k, a, b, t in rows]

    def quarantined(self) -> list[tuple[str, int, str]]:
        """(device_id, seq, reason) of every quarantined record."""
        with self._guard("quarantined"):
            rows = self._execute("SELECT device_id, seq, reason FROM quarantine ORDER BY id")
            self._commit()
        return [(d, int(s), r) for d, s, r in rows]

    def quarantine_counts(self) -> list[tuple[str, str, int, int]]:
        """(device_id, reason, records, bytes of header and ciphertext) per device and reason."""
        with self._guard("quarantine_counts"):
            rows = self._execute(
                "SELECT device_id, reason, COUNT(*), "
                "COALESCE(SUM(LENGTH(header) + LENGTH(ciphertext)), 0) FROM quarantine "
                "GROUP BY device_id, reason ORDER BY device_id, reason"
            )
            self._commit()
        return [(d, r, int(n), int(b)) for d, r, n, b in rows]

    def quarantined_bytes(self, device_id: str) -> int:
        """Bytes (header and ciphertext) one device put in quarantine on the ack path (refused
        batches, conflicts, chain breaks): its quota's use. Records the processing stage could
        not open are not counted: they were accepted into the chain and are held in `records`."""
        with self._guard("quarantined_bytes"):
            rows = self._execute(
                self._q(
                    "SELECT COALESCE(SUM(LENGTH(header) + LENGTH(ciphertext)), 0) FROM quarantine "
                    "WHERE device_id = ? AND (SUBSTR(reason, 1, 8) = 'refused_' "
                    "OR reason IN ('conflict', 'chain_break', 'no_join'))"
                ),
                (device_id,),
            )
            self._commit()
        return int(rows[0][0])

    def count(self, table: str = "records", device_id: str | None = None) -> int:
        if table not in {"records", "quarantine", "events", *KIND_TABLES.values()}:
            raise ValueError(f"unknown table {table}")
        sql, params = f"SELECT COUNT(*) FROM {table}", ()
        if device_id is not None:
            sql, params = sql + " WHERE device_id = ?", (device_id,)
        with self._guard("count"):
            rows = self._execute(self._q(sql), params)
            self._commit()
        return int(rows[0][0])

    def opened(self, kind: str, after_id: int = 0, limit: int = 100) -> list[tuple]:
        """Opened records of `kind`: (id, device_id, seq, record_id, created_at, body_json),
        ordered by a per-table increasing id (a consumer such as the forwarder keeps a cursor)."""
        table = KIND_TABLES[kind]
        with self._guard("opened"):
            rows = self._execute(
                self._q(
                    f"SELECT id, device_id, seq, record_id, created_at, body FROM {table} "
                    "WHERE id > ? ORDER BY id LIMIT ?"
                ),
                (after_id, limit),
            )
            self._commit()
        return [(int(i), d, int(s), r, int(c), b) for i, d, s, r, c, b in rows]

    def devices(self) -> list[tuple[str, int, int, float]]:
        """(device_id, committed_seq, max_seq, last_seen) of every device heard from."""
        with self._guard("devices"):
            rows = self._execute(
                "SELECT device_id, committed_seq, max_seq, last_seen FROM devices ORDER BY device_id"
            )
            self._commit()
        return [(d, int(c), int(m), float(s)) for d, c, m, s in rows]
