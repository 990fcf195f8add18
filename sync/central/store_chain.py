"""The chain side of a commit: what a verified batch does to a device's chain, and how far
`committed_seq` moves. Mixed into `Store`; uses only `_execute` and `_q`.

Invariants:
- A batch must link on both sides. Before: its first record's prev hash is the hash held at
  first-1; if not, its new rows go to quarantine as `chain_break` and still count as held (the
  device's own history diverged: it goes on after the break, reported). After (a gap fill): the
  record held at last+1 must name the batch's last record as its prev; if not, its new rows go
  to quarantine as `no_join` and are NOT held: `committed_seq` does not move into or past the
  fill, so the device is asked for those seqs again and a fill that joins is still accepted
  (a forged fill cannot push out the real records). Either is rejected per record and written
  as a `chain_break` event, once: a batch whose every quarantined row is already kept (the
  same refused batch sent again) adds no event.
- `held_runs` lists the maximal runs of seqs above `committed_seq` that are held (in `records`,
  or in quarantine as `chain_break`). `committed_seq` only moves when a batch covers the
  frontier (committed_seq+1), and then up to the end of the runs it touches.
- Cost per commit is independent of how many records lie past a gap: a few index probes and
  the runs the batch itself overlaps or touches (at most one per seq of the batch, plus two),
  never a walk over the records after the gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.central.store_records import DeviceState, StoredRecord
from sync.protocol import Rejection
from sync.sealing import GENESIS_HASH

__all__ = ["StoreChain"]


@dataclass
class _Plan:
    insert: list[StoredRecord] = field(default_factory=list)
    quarantine: list[tuple[StoredRecord, str]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    events: list[tuple[str, int, int, str]] = field(default_factory=list)
    duplicates: int = 0
    joins: bool = True  # False: the batch does not link to the record held after it


def _plan_batch(
    state: DeviceState,
    rows: Sequence[StoredRecord],
    prev: bytes | None,
    stored: dict[int, bytes],
    after: bytes | None = None,
) -> _Plan:
    """Decide, without I/O, what a verified batch does to the store.

    `prev`: the stored hash at rows[0].seq - 1 (None: not held, a gap); `stored`: hashes already
    held in `records` for the batch's seqs; `after`: the prev hash named by the record held at
    rows[-1].seq + 1 (None: none held). The rows are internally chained and signed already.
    """
    plan = _Plan()
    first, last = rows[0].seq, rows[-1].seq
    if prev is None and first - 1 > state.committed_seq:
        plan.events.append(("gap", state.committed_seq + 1, first - 1, "records missing"))
    link_ok = prev is None or prev == rows[0].prev_hash
    if not link_ok:
        plan.events.append(("chain_break", first, last, "does not link to stored chain"))
    # a gap fill must join what is held after it (unless its last record is that held one)
    plan.joins = after is None or after == rows[-1].record_hash or stored.get(last) is not None
    if not plan.joins:
        detail = "gap fill does not join the records after it"
        plan.events.append(("chain_break", first, last, detail))
    conflict_logged = False
    for row in rows:
        held = stored.get(row.seq)
        if held == row.record_hash:
            plan.duplicates += 1
        elif held is not None:
            plan.quarantine.append((row, "conflict"))
            plan.rejections.append(Rejection(row.seq, "conflict"))
            if not conflict_logged:
                plan.events.append(("chain_break", row.seq, last, "conflicts with stored"))
                conflict_logged = True
        elif not plan.joins:
            plan.quarantine.append((row, "no_join"))
            plan.rejections.append(Rejection(row.seq, "no_join"))
        elif not link_ok:
            plan.quarantine.append((row, "chain_break"))
            plan.rejections.append(Rejection(row.seq, "chain_break"))
        else:
            plan.insert.append(row)
    return plan


class StoreChain:
    """Chain queries of one commit (inside the writer's transaction, device row locked)."""

    def _hash_at(self, device_id: str, seq: int) -> bytes | None:
        for sql in (
            "SELECT record_hash FROM records WHERE device_id = ? AND seq = ?",
            "SELECT record_hash FROM quarantine WHERE device_id = ? AND seq = ? "
            "AND reason = 'chain_break' ORDER BY id LIMIT 1",
        ):
            rows = self._execute(self._q(sql), (device_id, seq))
            if rows:
                return bytes(rows[0][0])
        return None

    def _prev_hash(self, st: DeviceState, first: int) -> bytes | None:
        if first == 1:
            return GENESIS_HASH
        if first == st.committed_seq + 1:
            return st.committed_hash
        return self._hash_at(st.device_id, first - 1)

    def _after_prev(self, st: DeviceState, last: int) -> bytes | None:
        """The prev hash named by the record held in `records` at last+1, if any."""
        if last >= st.max_seq:
            return None
        rows = self._execute(
            self._q("SELECT prev_hash FROM records WHERE device_id = ? AND seq = ?"),
            (st.device_id, last + 1),
        )
        return bytes(rows[0][0]) if rows else None

    def _refused_again(self, device_id: str, plan: _Plan) -> bool:
        """True if every row the plan would quarantine is already there with the same reason:
        the same refused batch sent again, which must not add events at every resend."""
        seqs = [r.seq for r, _ in plan.quarantine]
        if not seqs:
            return False
        kept = self._execute(
            self._q(
                "SELECT seq, record_hash, reason FROM quarantine WHERE device_id = ? "
                "AND seq BETWEEN ? AND ?"
            ),
            (device_id, min(seqs), max(seqs)),
        )
        have = {(int(s), bytes(h), str(why)) for s, h, why in kept}
        return all((r.seq, r.record_hash, why) in have for r, why in plan.quarantine)

    def _advance(
        self, st: DeviceState, first: int, last: int, last_hash: bytes
    ) -> tuple[int, bytes]:
        """Record [first, last] as held and return the new (committed_seq, committed_hash)."""
        committed, head = st.committed_seq, st.committed_hash
        if last <= committed:
            return committed, head
        device_id = st.device_id
        lo = max(first, committed + 1)
        touching = self._execute(
            self._q(
                "SELECT first_seq, last_seq FROM held_runs WHERE device_id = ? AND first_seq < ? "
                "ORDER BY first_seq DESC LIMIT 1"
            ),
            (device_id, lo),
        )
        touching = [r for r in touching if int(r[1]) >= lo - 1]
        touching += self._execute(
            self._q(
                "SELECT first_seq, last_seq FROM held_runs WHERE device_id = ? "
                "AND first_seq BETWEEN ? AND ?"
            ),
            (device_id, lo, last + 1),
        )
        merge = [(int(a), int(b)) for a, b in touching]
        if merge:
            self._executemany(
                self._q("DELETE FROM held_runs WHERE device_id = ? AND first_seq = ?"),
                [(device_id, a) for a, _ in merge],
            )
        run_lo = min([lo, *(a for a, _ in merge)])
        run_hi = max([last, *(b for _, b in merge)])
        if first <= committed + 1:  # the batch covers the frontier: it moves
            head = last_hash if run_hi == last else (self._hash_at(device_id, run_hi) or head)
            return run_hi, head
        self._execute(
            self._q("INSERT INTO held_runs (device_id, first_seq, last_seq) VALUES (?, ?, ?)"),
            (device_id, run_lo, run_hi),
        )
        return committed, head
