"""The receiver's commit thread: every write of the ack path, off the socket loop.

Invariants:
- Items are committed in arrival order, as many together as fit `group_records` in ONE
  transaction (one fsync): verified batches (`identity` set: their ACK, or a
  `store_unavailable` ERROR, goes back to the loop through `results`) and refused batches kept
  in quarantine (`refused` set: no reply, the loop already answered ERROR).
- If a group's transaction fails, each item is retried alone, so one bad item cannot hold back
  the others. The thread survives any exception; agents resend what was not acknowledged.
- A hostile device's refused batches cost the loop nothing but a queue put: their quarantine
  write shares the next group commit with the honest batches.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import zmq

from sync.central.store import Store, StoredRecord, StoreHandle
from sync.errors import RecordFormatError
from sync.protocol import Ack, ErrorMessage

__all__ = ["CommitItem", "CommitWriter", "refused_item"]

log = logging.getLogger("sync.central.receiver")


@dataclass(frozen=True, slots=True)
class CommitItem:
    """`rows`: StoredRecords of a verified batch, or (StoredRecord, reason) of a refused one."""

    identity: bytes | None
    batch_id: int
    device_id: str
    rows: Sequence
    refused: tuple[str, str] | None = None  # (event, detail) of a batch kept in quarantine


def refused_item(device_id: str, batch_id: int, first_seq: int, records, code: str) -> CommitItem:
    """The quarantine item of a refused batch of `SealedRecord`s: each record under the seq it
    claims (or its position in the batch when its header cannot be read)."""
    rows = []
    for i, r in enumerate(records):
        seq = first_seq + i
        try:
            seq = r.header.seq if r.header.device_id == device_id else seq
        except RecordFormatError:
            pass  # unparseable header: keep it under its position in the batch
        stored = StoredRecord(seq, r.record_hash, b"", "", "", 0, r.header_bytes, r.ciphertext)
        rows.append((stored, f"refused_{code}"))
    return CommitItem(None, batch_id, device_id, rows, (code, f"batch {batch_id} refused"))


class CommitWriter:
    """`put(item)` from the loop; `run()` is the thread; `put(None)` ends it. Results are
    `(identity, message, device_id, quarantined_bytes)` on `results`, then a wake-up is sent to
    `signal` (an inproc PULL bound by the loop)."""

    def __init__(
        self,
        store_factory: Callable[[], Store],
        ctx: zmq.Context,
        signal: str,
        group_records: int,
        stats: dict,
    ) -> None:
        self._store_factory = store_factory
        self._ctx, self._signal = ctx, signal
        self._group_records = group_records
        self.stats = stats  # the receiver's counters; this thread alone writes its keys
        self._items: queue.SimpleQueue = queue.SimpleQueue()
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self.queued_in = self.queued_out = 0  # records; each counter has ONE writing thread

    def put(self, item: CommitItem | None) -> None:
        if item is not None:
            self.queued_in += len(item.rows)
        self._items.put(item)

    @property
    def backlog(self) -> int:
        return self.queued_in - self.queued_out

    def run(self) -> None:
        store = StoreHandle(self._store_factory)
        wake = self._ctx.socket(zmq.PUSH)
        wake.linger = 0
        wake.connect(self._signal)
        try:
            stop = False
            while not stop:
                item = self._items.get()
                if item is None:
                    break
                group, size = [item], len(item.rows)
                while size < self._group_records:
                    try:
                        nxt = self._items.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    group.append(nxt)
                    size += len(nxt.rows)
                self._commit_group(store, group)
                self.queued_out += size
                wake.send(b"", flags=zmq.NOBLOCK)
        finally:
            wake.close(linger=0)
            store.close()

    def _commit_group(self, store: StoreHandle, group: list[CommitItem]) -> None:
        batches = [g for g in group if g.refused is None]
        refused = [g for g in group if g.refused is not None]
        try:
            results = store.get().commit_batches(
                [(g.device_id, g.rows) for g in batches],
                refused=[(g.device_id, g.rows, *g.refused) for g in refused],  # type: ignore[misc]
            )
        except Exception as e:  # noqa: BLE001 - the writer must survive anything; agents resend
            store.reset()
            if len(group) > 1:
                for item in group:
                    self._commit_group(store, [item])
                return
            item = group[0]
            reason = getattr(e, "reason", type(e).__name__)
            log.error("commit failed for %s: %s", item.device_id, reason)
            if item.identity is not None:
                error = ErrorMessage("store_unavailable", "", item.batch_id, 1000)
                self.results.put((item.identity, error, item.device_id, 0))
            return
        for item, result in zip(batches, results, strict=True):
            self.stats["batches"] += 1
            self.stats["records_stored"] += result.stored
            self.stats["duplicates"] += result.duplicates
            self.stats["rejected"] += len(result.rejections)
            for event in result.events:
                first, last = item.rows[0].seq, item.rows[-1].seq
                log.warning("%s reported for %s (seq %d-%d)", event, item.device_id, first, last)
            ack = Ack(item.batch_id, result.committed_seq, result.rejections)
            self.results.put((item.identity, ack, item.device_id, result.quarantined_bytes))
