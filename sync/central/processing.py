"""The processing stage: opens stored sealed bodies into typed tables, off the ack path.

Invariants:
- It never touches the ack path: it reads `records` rows in state 0 and, in one transaction per
  chunk, writes the typed rows (`applications`, `certificate_requests`, ...) and marks the
  records processed. Re-running it is idempotent (typed rows are keyed by device id and seq).
- A record that cannot be opened, parsed or bounded goes to `quarantine` with its reason and
  processing goes on with the next one; it is never dropped and never blocks the records after it
  (so a restart does not stop on it either). Reasons: `unknown_key`, `undecryptable` (altered or
  wrong key), `bad_header`, `bad_body` (authenticated but not bounded plain CBOR: tags such as
  28/29 value sharing, cycles, too deep, too many items; or not convertible to JSON),
  `body_too_large` (JSON over `max_body_chars`), `unknown_kind`, `unprocessable` (anything else).
- Each record opens with the private key of its header's key id; keys are never dropped, so
  records sealed before a rotation still open. With `key_loader`, a key id not yet known (a
  rotation made while this stage runs) reloads the keys once for that chunk before the record
  is quarantined as `unknown_key`.
- Lag (records waiting, age of the oldest) is available from `lag()` at any time.
- Bodies are personal data: they are never logged; only counts, device ids and seqs are.
- After each chunk with opened records the dashboard's per-day summaries catch up
  (`sync.central.dashboard.summaries`, its own transaction); a failure there is logged and
  retried with the next chunk, never blocks processing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.central.errors import StoreError
from sync.central.store import KIND_TABLES, Store, body_json
from sync.central.store_summaries import DailySummaries
from sync.errors import CborError, OpenError, RecordFormatError
from sync.sealing import SealedRecord, open_record

__all__ = ["ProcessingConfig", "Processor"]

log = logging.getLogger("sync.central.processing")


@dataclass(frozen=True)
class ProcessingConfig:
    chunk: int = 500
    idle_sleep_s: float = 0.2
    max_body_chars: int = 2 * 1024 * 1024  # an opened body's JSON; larger is quarantined


class Processor:
    """`run_once()` processes one chunk and returns how many records it handled;
    `start()`/`stop()` run it in a thread with its own store connection."""

    def __init__(
        self,
        store: Callable[[], Store],
        sealing_keys: Mapping[str, X25519PrivateKey],
        config: ProcessingConfig = ProcessingConfig(),
        *,
        key_loader: Callable[[], Mapping[str, X25519PrivateKey]] | None = None,
    ) -> None:
        self._store_factory = store
        self._store: Store | None = None
        self.sealing_keys = dict(sealing_keys)
        self._key_loader = key_loader  # e.g. lambda: load_central_keys(dir).sealing_keys
        self.config = config
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.opened = 0
        self.quarantined = 0
        self._reloaded = False  # keys reloaded once per chunk at most
        self.summaries = DailySummaries()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    def run_once(self) -> int:
        store = self.store
        pending = store.pending(self.config.chunk)
        if not pending:
            store.release()
            return 0
        opened, failed = [], []
        self._reloaded = False
        for rec in pending:
            try:
                outcome = self._open(rec)
            except Exception as e:  # noqa: BLE001 - one record must never stop the stage
                log.error(
                    "record %s/%d unprocessable: %s", rec.device_id, rec.seq, type(e).__name__
                )
                outcome = "unprocessable"
            if isinstance(outcome, str):
                failed.append((rec, outcome))
            else:
                opened.append((rec, *outcome))
        store.finish_processing(opened, failed)
        if opened:
            self._summarize(store)
        self.opened += len(opened)
        self.quarantined += len(failed)
        if failed:
            log.warning("quarantined %d record(s) that could not be opened", len(failed))
        return len(pending)

    def _open(self, rec) -> str | tuple[str, int, str, str]:
        """(kind, created_at, record_id, body_json) of an opened record, or a quarantine reason."""
        record = SealedRecord(rec.header, rec.ciphertext)
        try:
            header = record.header
        except RecordFormatError:
            return "bad_header"
        key = self.sealing_keys.get(header.key_id)
        if key is None and not self._reloaded:
            self._reloaded = True
            key = self._reload_keys().get(header.key_id)
        if key is None:
            return "unknown_key"
        try:
            body = open_record(record, key)
        except OpenError as e:
            return "bad_body" if isinstance(e.__cause__, CborError) else "undecryptable"
        if header.kind not in KIND_TABLES:
            return "unknown_kind"
        try:
            text = body_json(body)
        except (TypeError, ValueError, RecursionError):  # e.g. byte-string map keys
            return "bad_body"
        if len(text) > self.config.max_body_chars:
            return "body_too_large"
        return header.kind, _event_time(header, rec.received_at), header.record_id, text

    def _summarize(self, store: Store) -> None:
        try:
            self.summaries.after_chunk(store)
        except Exception as e:  # noqa: BLE001 - the summaries catch up with the next chunk
            log.error("dashboard summaries not updated: %s", type(e).__name__)

    def _reload_keys(self) -> Mapping[str, X25519PrivateKey]:
        if self._key_loader is None:
            return self.sealing_keys
        try:
            keys = dict(self._key_loader())
        except Exception as e:  # noqa: BLE001 - keep the keys we have; the record is quarantined
            log.error("sealing keys not reloaded: %s", type(e).__name__)
            return self.sealing_keys
        self.sealing_keys = {**self.sealing_keys, **keys}  # never forget a key
        return self.sealing_keys

    def drain(self) -> int:
        """Process until nothing is waiting; returns the number handled."""
        total = 0
        while (n := self.run_once()) > 0:
            total += n
        return total

    def lag(self) -> tuple[int, float]:
        return self.store.lag()

    def start(self) -> Processor:
        self._thread = threading.Thread(target=self._run, name="central-processing", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    handled = self.run_once()
                except StoreError as e:
                    log.error("processing failed: %s", e.reason)
                    handled = 0
                except Exception as e:  # noqa: BLE001 - keep the stage alive; retried next turn
                    log.error("processing failed: %s", type(e).__name__)
                    handled = 0
                    if self._store is not None:  # reopen next turn (e.g. database restarted)
                        self._store.close()
                        self._store = None
                if not handled:
                    self._stop.wait(self.config.idle_sleep_s)
        finally:
            if self._store is not None:
                self._store.close()
                self._store = None


# A time before this software existed, or a day past its arrival, is not the resident's.
_EARLIEST_PLAUSIBLE = 1_704_067_200  # 2024-01-01 UTC
_FUTURE_SLACK_S = 86_400


def _event_time(header, received_at: float) -> int:
    """When the resident acted, for the typed tables and the dashboard. A Pi has no real-time
    clock: before NTP answers it may run from 1970, or from the last saved time. The device's
    time is kept when its clock was synchronized, or when, unsynchronized, it is plausible (not
    before 2024, not a day after the record reached us); otherwise the time central received
    the record stands in (a late but true bound). The stored header keeps the device's own."""
    created = header.created_at
    if header.clock_synced:
        return created
    if _EARLIEST_PLAUSIBLE <= created <= received_at + _FUTURE_SLACK_S:
        return created
    return int(received_at)
