"""Bookings that hold: central applies the bookings that came as records (made offline at a
terminal, a provisional slip in the resident's hand) to the slots it owns.

Guarantees:
- Central owns the slots (`consultation_slots`); a place is taken only through
  `Store.book_slot`, one conditional UPDATE, so no slot is ever booked past its capacity, online
  or offline, whichever receiver applies it (several receivers may share one PostgreSQL).
- One booking per request: the request id is the one the terminal first tried online (kept in
  the record's body), else the record id; a booking already made for it (say the online reply
  was lost) is the answer, never a second place.
- The rule for a slot that is full, past or gone: the nearest later open slot of the same topic
  (`moved`), else `callback` (staff call the resident back). A callback request stays `callback`.
- One outcome per record (`booking_outcomes`, keyed by device and seq, inserted with ON CONFLICT
  DO NOTHING): two receivers deciding the same record at once end with one row and one place.
- The outcome is found by the reference on the provisional slip (`outcome_for_reference`), for
  the terminal (at the resident's next visit: reprint) and for staff; nothing personal is read
  except the fields needed (slot, topic, request id); the callback phone is never copied.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "BookingApplier",
    "booking_conflicts_handler",
    "booking_status_handler",
    "kiosk_reference",
    "outcome_for_reference",
]

log = logging.getLogger("sync.central.bookings")


def kiosk_reference(device_id: str, seq: int) -> str:
    """The reference the terminal printed (kiosk.session._base._reference: same arithmetic)."""
    core = f"{device_id}-{seq:06d}"
    check = sum((i + 1) * b for i, b in enumerate(core.encode())) % 10
    return f"{core}-{check}"


class BookingApplier:
    """`run_once()` decides up to `chunk` booking records without an outcome; returns how many."""

    def __init__(
        self,
        store: Callable[[], Any],
        *,
        chunk: int = 200,
        clock: Callable[[], float] = time.time,
        local_now: Callable[[], str] | None = None,
    ) -> None:
        self._store_factory = store
        self._store: Any = None
        self.chunk = chunk
        self._clock = clock
        self._local_now = local_now or (
            lambda: _dt.datetime.fromtimestamp(self._clock()).strftime("%Y-%m-%dT%H:%M")
        )
        self.decided: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, idle_s: float = 2.0) -> BookingApplier:
        """Decide in a thread (its own store connection) until `stop()`."""

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    busy = self.run_once() > 0
                except Exception as e:  # noqa: BLE001 - the store may be away: try again
                    log.error("booking applier: %s", type(e).__name__)
                    self.close()
                    busy = False
                if not busy:
                    self._stop.wait(idle_s)
            self.close()

        self._thread = threading.Thread(target=loop, name="booking-applier", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def store(self) -> Any:
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def run_once(self) -> int:
        st = self.store
        rows = st._read(
            "bookings_undecided",
            "SELECT b.device_id, b.seq, b.record_id, b.body FROM bookings b "
            "LEFT JOIN booking_outcomes o ON o.device_id = b.device_id AND o.seq = b.seq "
            "WHERE o.device_id IS NULL ORDER BY b.id LIMIT ?",
            (self.chunk,),
        )
        for device_id, seq, record_id, body in rows:
            try:
                self._decide(st, device_id, int(seq), record_id, json.loads(body))
            except Exception as e:  # noqa: BLE001 - one record never stops the others
                log.error("booking %s/%s not decided: %s", device_id, seq, type(e).__name__)
        return len(rows)

    def drain(self) -> int:
        total = 0
        while (n := self.run_once()) > 0:
            total += n
        return total

    def _decide(self, st: Any, device_id: str, seq: int, record_id: str, body: dict) -> None:
        reference = kiosk_reference(device_id, seq)
        topic = str(body.get("topic", ""))
        wanted = body.get("slot")
        request_id = str(body.get("request_id") or record_id)
        now, now_local = self._clock(), self._local_now()
        outcome, slot = "callback", None
        if isinstance(wanted, str) and wanted:
            result, row = st.book_slot(device_id, request_id, wanted, reference, now_local, now)
            if result == "booked":
                slot = row
                outcome = "confirmed" if row[1] == wanted else "moved"
            else:
                slot = self._nearest_later(st, device_id, request_id, reference, topic, body)
                outcome = "moved" if slot else "callback"
        row = (
            device_id,
            seq,
            reference,
            topic,
            wanted if isinstance(wanted, str) else None,
            outcome,
            slot[1] if slot else None,
            slot[3] if slot else None,
            now,
        )
        with st._transaction("booking_outcome"):
            st._execute(
                st._q(
                    "INSERT INTO booking_outcomes (device_id, seq, reference, topic, "
                    "requested_slot, outcome, slot_id, start, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq) DO NOTHING"
                ),
                row,
            )
        self.decided[outcome] = self.decided.get(outcome, 0) + 1

    def _nearest_later(
        self, st: Any, device_id: str, request_id: str, reference: str, topic: str, body: dict
    ) -> tuple | None:
        after = max(str(body.get("start") or ""), self._local_now())
        for slot_id, *_ in st.open_slots(topic, after, 20):
            result, row = st.book_slot(
                device_id, request_id, slot_id, reference, self._local_now(), self._clock()
            )
            if result == "booked":
                return row
        return None


_REFERENCE = re.compile(r"^([A-Za-z0-9._:-]{1,64})-[0-9]{6,}-[0-9]$")
# A booking confirmed online (`consultation.book`): "B" and 8 hex digits (sync.central.issuer)
_ONLINE_REFERENCE = re.compile(r"^B[0-9A-F]{8}$")


def booking_status_handler(
    store: Callable[[], Any], center_of: Callable[[str], str | None] | None = None
) -> Callable[[str, dict], dict]:
    """The online request `consultation.booking_status` {reference}: a terminal asks what
    became of a provisional booking (the resident's next visit; staff). Only the terminal that
    made the booking may ask (the reference starts with its device id), or, with `center_of`
    (device id -> its center in the registry), a terminal of the same center: the center's
    queue host, for staff who look up or reprint a slip on the console. A slip of a booking
    confirmed online ("B" and 8 hex digits) is answered from the booking itself, `confirmed`
    with its slot, under the same rule (the terminal that booked it, or its center's)."""

    def same_center(device_id: str, owner: str) -> bool:
        if center_of is None:
            return False
        mine, theirs = center_of(device_id), center_of(owner)
        return bool(mine) and mine == theirs

    def handle(device_id: str, payload: dict) -> dict:
        reference = payload.get("reference") if isinstance(payload, dict) else None
        if isinstance(reference, str) and _ONLINE_REFERENCE.match(reference.upper()):
            return online(device_id, reference.upper())
        match = _REFERENCE.match(reference) if isinstance(reference, str) else None
        if match is None:
            return {"ok": False, "reason": "bad_reference"}
        owner = match.group(1)
        if owner != device_id and not same_center(device_id, owner):
            return {"ok": False, "reason": "not_yours"}
        st = store()
        try:
            outcome = outcome_for_reference(st, reference)
        finally:
            st.close()
        if outcome is None:
            return {"ok": True, "outcome": "pending"}
        return {"ok": True, **outcome}

    def online(device_id: str, reference: str) -> dict:
        """A slip of a booking confirmed online: confirmed as booked, for the terminal that
        booked it or one of its center (an unknown number: `not_found`)."""
        st = store()
        try:
            rows = st._read(
                "booking_online",
                "SELECT b.device_id, s.id, s.topic, s.start FROM consultation_bookings b "
                "JOIN consultation_slots s ON s.id = b.slot_id WHERE b.reference = ?",
                (reference,),
            )
        finally:
            st.close()
        if not rows:
            return {"ok": False, "reason": "not_found"}
        owner, slot_id, topic, start = rows[0]
        if owner != device_id and not same_center(device_id, owner):
            return {"ok": False, "reason": "not_yours"}
        return {
            "ok": True,
            "outcome": "confirmed",
            "topic": topic,
            "requested_slot": slot_id,
            "slot": slot_id,
            "start": start,
        }

    return handle


def booking_conflicts_handler(
    store: Callable[[], Any], center_of: Callable[[str], str | None]
) -> Callable[[str, dict], dict]:
    """The online request `consultation.booking_conflicts` {since (Unix seconds)}: the bookings
    of the asking terminal's center that central could not confirm as asked (`moved`,
    `callback`) decided since then, newest first, at most 50: reference, outcome, topic, the
    new start. For the center's staff console (staff reprint the slip or call the resident);
    no personal data (the callback phone stays in the record)."""

    def handle(device_id: str, payload: dict) -> dict:
        since = payload.get("since", 0) if isinstance(payload, dict) else None
        if isinstance(since, bool) or not isinstance(since, int | float) or since < 0:
            return {"ok": False, "reason": "bad_request"}
        center = center_of(device_id)
        if not center:
            return {"ok": False, "reason": "no_center"}
        st = store()
        try:
            rows = st._read(
                "booking_conflicts",
                "SELECT device_id, reference, outcome, topic, start, at FROM booking_outcomes "
                "WHERE outcome IN ('moved', 'callback') AND at >= ? ORDER BY at DESC LIMIT 500",
                (float(since),),
            )
        finally:
            st.close()
        conflicts = [
            {"reference": r, "outcome": o, "topic": t, "start": s, "at": float(a)}
            for d, r, o, t, s, a in rows
            if center_of(d) == center
        ][:50]
        return {"ok": True, "conflicts": conflicts}

    return handle


def outcome_for_reference(store: Any, reference: str) -> dict[str, Any] | None:
    """What central decided for the booking with this slip reference, or None (not yet)."""
    rows = store._read(
        "booking_outcome",
        "SELECT outcome, topic, requested_slot, slot_id, start FROM booking_outcomes "
        "WHERE reference = ?",
        (reference,),
    )
    if not rows:
        return None
    outcome, topic, requested, slot_id, start = rows[0]
    return {
        "outcome": outcome,
        "topic": topic,
        "requested_slot": requested,
        "slot": slot_id,
        "start": start,
    }
