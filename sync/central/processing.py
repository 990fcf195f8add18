"""The processing stage: opens stored sealed bodies into typed tables, off the ack path.

Invariants:
- It never touches the ack path: it reads `records` rows in state 0 and, in one transaction per
  chunk, writes the typed rows (`applications`, `certificate_requests`, ...) and marks the
  records processed. Re-running it is idempotent (typed rows are keyed by device id and seq).
- A record that cannot be opened (unknown key id, altered or undecryptable, bad header, body of an
  unknown kind) goes to `quarantine` with its reason; it is never dropped.
- Each record opens with the private key of its header's key id; keys are never dropped, so
  records sealed before a rotation still open. With `key_loader`, a key id not yet known (a
  rotation made while this stage runs) reloads the keys once for that chunk before the record
  is quarantined as `unknown_key`.
- Lag (records waiting, age of the oldest) is available from `lag()` at any time.
- Bodies are personal data: they are never logged; only counts, device ids and seqs are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.central.store import KIND_TABLES, Store, body_json
from sync.errors import OpenError, RecordFormatError
from sync.protocol_errors import StoreError
from sync.sealing import SealedRecord, open_record

__all__ = ["ProcessingConfig", "Processor"]

log = logging.getLogger("sync.central.processing")


@dataclass(frozen=True)
class ProcessingConfig:
    chunk: int = 500
    idle_sleep_s: float = 0.2


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
        reloaded = False
        for rec in pending:
            record = SealedRecord(rec.header, rec.ciphertext)
            try:
                header = record.header
                key = self.sealing_keys.get(header.key_id)
                if key is None and not reloaded:
                    reloaded = True
                    key = self._reload_keys().get(header.key_id)
                if key is None:
                    failed.append((rec, "unknown_key"))
                    continue
                body = open_record(record, key)
            except RecordFormatError:
                failed.append((rec, "bad_header"))
                continue
            except OpenError:
                failed.append((rec, "undecryptable"))
                continue
            if header.kind not in KIND_TABLES:
                failed.append((rec, "unknown_kind"))
                continue
            opened.append((rec, header.kind, header.created_at, header.record_id, body_json(body)))
        store.finish_processing(opened, failed)
        self.opened += len(opened)
        self.quarantined += len(failed)
        if failed:
            log.warning("quarantined %d record(s) that could not be opened", len(failed))
        return len(pending)

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
                    if self._store is not None:  # reopen next turn (e.g. database restarted)
                        self._store.close()
                        self._store = None
                if not handled:
                    self._stop.wait(self.config.idle_sleep_s)
        finally:
            if self._store is not None:
                self._store.close()
                self._store = None
