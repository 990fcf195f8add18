"""Staff open and close consultation booking slots for a day (from the center's staff console,
through the queue host terminal's online requests): the slots every kiosk's booking screen lists.

Online request kinds (payloads are JSON objects; replies `{"ok": true, ...}` or
`{"ok": false, "reason": <code>}`):
- `consultation.slots_day` {date: "YYYY-MM-DD"}: every slot of that day, all topics, with its
  capacity and how many are booked (numbers only, no resident data).
- `consultation.slot_open` {topic, start: "YYYY-MM-DDTHH:MM" (local time), minutes, capacity}:
  a new slot (id `staff-<topic>-<start>`), or the same slot opened again with this capacity.
- `consultation.slot_close` {slot}: no more bookings (capacity = what is booked); the bookings
  it holds stay, and the reply says how many, so staff can call those residents.

Guarantees:
- Only central's store changes the slots, in one statement each; capacity never drops below the
  places already booked, so closing or reopening never takes a resident's booking away, and
  `Store.book_slot` (one conditional UPDATE) still never books past capacity.
- Bad input is refused with a reason and changes nothing: an unknown topic, a start that is not
  a local date-time, in the past or more than a year ahead, minutes outside 5..240, capacity
  outside 1..50, an unknown slot.
- Each change is logged with the device that asked and the slot id (no personal data exists
  here). Central trusts an enrolled terminal for these as it does for bookings: the queue host
  sends them only for a staff member logged in on its console.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import time
from collections.abc import Callable
from typing import Any

__all__ = ["SLOT_REASONS", "slot_admin_handlers"]

log = logging.getLogger("sync.central.slot_admin")

SLOT_REASONS = ("bad_request", "unknown_topic", "bad_start", "slot_past", "too_far",
                "bad_minutes", "bad_capacity", "unknown_slot")  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_START = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
_SLOT = re.compile(r"^[A-Za-z0-9._:-]{1,80}$")


class _No(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _int(payload: dict, key: str, low: int, high: int, reason: str) -> int:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _No(reason)
    return value


def _date(text: Any, reason: str, pattern: re.Pattern[str], fmt: str) -> _dt.datetime:
    if not isinstance(text, str) or not pattern.match(text):
        raise _No(reason)
    try:
        return _dt.datetime.strptime(text, fmt)
    except ValueError:
        raise _No(reason) from None


def slot_admin_handlers(
    store: Callable[[], Any],
    *,
    topics: tuple[str, ...],
    utc_offset_minutes: int = 540,
    clock: Callable[[], float] = time.time,
) -> dict[str, Callable[[str, dict], dict]]:
    """The three request handlers over `store()` (a central `Store`, closed after each call)."""
    tz = _dt.timezone(_dt.timedelta(minutes=utc_offset_minutes))

    def now_local() -> _dt.datetime:
        return _dt.datetime.fromtimestamp(clock(), tz).replace(tzinfo=None)

    def guarded(fn: Callable[[Any, str, dict], dict]) -> Callable[[str, dict], dict]:
        def handle(device_id: str, payload: dict) -> dict:
            if not isinstance(payload, dict):
                return {"ok": False, "reason": "bad_request"}
            st = store()
            try:
                return {"ok": True, **fn(st, device_id, payload)}
            except _No as e:
                return {"ok": False, "reason": e.reason}
            finally:
                st.close()

        return handle

    def day(st: Any, device_id: str, payload: dict) -> dict:
        date = _date(payload.get("date"), "bad_request", _DATE, "%Y-%m-%d").date().isoformat()
        rows = st._read(
            "slots_day",
            "SELECT id, topic, start, minutes, capacity, booked FROM consultation_slots "
            "WHERE start >= ? AND start < ? ORDER BY start, topic, id",
            (f"{date}T00:00", f"{date}T99"),
        )
        slots = [
            {"id": i, "topic": t, "start": s, "minutes": int(m), "capacity": int(c),
             "booked": int(b), "open": int(b) < int(c)}
            for i, t, s, m, c, b in rows
        ]  # fmt: skip
        return {"date": date, "slots": slots}

    def open_(st: Any, device_id: str, payload: dict) -> dict:
        topic = payload.get("topic")
        if topic not in topics:
            raise _No("unknown_topic")
        start = _date(payload.get("start"), "bad_start", _START, "%Y-%m-%dT%H:%M")
        now = now_local()
        if start <= now:
            raise _No("slot_past")
        if start > now + _dt.timedelta(days=366):
            raise _No("too_far")
        minutes = _int(payload, "minutes", 5, 240, "bad_minutes")
        capacity = _int(payload, "capacity", 1, 50, "bad_capacity")
        text = start.strftime("%Y-%m-%dT%H:%M")
        slot_id = f"staff-{topic}-{text}"
        with st._transaction("slot_open"):
            # Reopening never goes below what is booked (a resident keeps their place).
            st._execute(
                st._q(
                    "INSERT INTO consultation_slots (id, topic, start, minutes, capacity) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                    "minutes = excluded.minutes, capacity = CASE WHEN excluded.capacity > "
                    "consultation_slots.booked THEN excluded.capacity "
                    "ELSE consultation_slots.booked END"
                ),
                (slot_id, topic, text, minutes, capacity),
            )
        log.info("slot %s opened by device %s", slot_id, device_id)
        return {"slot": _one(st, slot_id)}

    def close(st: Any, device_id: str, payload: dict) -> dict:
        slot_id = payload.get("slot")
        if not isinstance(slot_id, str) or not _SLOT.match(slot_id):
            raise _No("unknown_slot")
        with st._transaction("slot_close"):
            done = st._execute(
                st._q("UPDATE consultation_slots SET capacity = booked WHERE id = ? RETURNING id"),
                (slot_id,),
            )
        if not done:
            raise _No("unknown_slot")
        log.info("slot %s closed by device %s", slot_id, device_id)
        return {"slot": _one(st, slot_id)}

    return {
        "consultation.slots_day": guarded(day),
        "consultation.slot_open": guarded(open_),
        "consultation.slot_close": guarded(close),
    }


def _one(st: Any, slot_id: str) -> dict[str, Any]:
    [(i, t, s, m, c, b)] = st._read(
        "slot",
        "SELECT id, topic, start, minutes, capacity, booked FROM consultation_slots WHERE id = ?",
        (slot_id,),
    )
    return {"id": i, "topic": t, "start": s, "minutes": int(m), "capacity": int(c),
            "booked": int(b), "open": int(b) < int(c)}  # fmt: skip
