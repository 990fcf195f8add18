"""Staff calls (「係員を呼ぶ」) at the queue host: raised by a terminal, answered on the console.

Guarantees:
- A call carries the terminal's id and the screen's name only (nothing personal).
- State is honest: `calling` until a staff member answers (「向かいます」), then `answered`;
  `repeats` counts how many times the call has gone unanswered for `repeat_s` (the console
  sounds again, the terminal says the call is still waiting).
- Each call is recorded twice for the outbox (kind `staff_call`): when raised, and when
  answered with its response time in seconds; both in the same transaction as the state change.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from kiosk.center.errors import QueueInputError
from kiosk.center.queue import CenterQueue

__all__ = ["StaffCalls"]

_TERMINAL = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SCREEN = re.compile(r"^[a-z0-9_]{1,40}$")
_ID = re.compile(r"^[0-9a-f]{16}$")


class StaffCalls:
    def __init__(self, queue: CenterQueue, *, repeat_s: float = 60.0) -> None:
        self.queue = queue
        self.repeat_s = repeat_s
        with queue._lock:
            queue._db.execute(
                """CREATE TABLE IF NOT EXISTS staff_calls (
                id TEXT PRIMARY KEY, terminal TEXT NOT NULL, screen TEXT NOT NULL,
                at REAL NOT NULL, answered_at REAL, counter TEXT)"""
            )

    def raise_call(self, terminal: Any, screen: Any) -> str:
        if not isinstance(terminal, str) or not _TERMINAL.match(terminal):
            raise QueueInputError("bad_terminal")
        if not isinstance(screen, str) or not _SCREEN.match(screen):
            raise QueueInputError("bad_screen")
        q = self.queue
        call_id, now = secrets.token_hex(8), q._clock()
        with q._lock, q._tx():
            q._db.execute(
                "INSERT INTO staff_calls (id, terminal, screen, at) VALUES (?, ?, ?, ?)",
                (call_id, terminal, screen, now),
            )
            q.record(
                "staff_call",
                {"center": q.center, "event": "called", "call": call_id, "terminal": terminal,
                 "screen": screen, "at": now},
            )  # fmt: skip
        return call_id

    def answer(self, call_id: Any, counter: str | None = None) -> dict[str, Any]:
        q = self.queue
        with q._lock, q._tx():
            call = self._get(call_id)
            if call["answered_at"] is None:
                now = q._clock()
                q._db.execute(
                    "UPDATE staff_calls SET answered_at = ?, counter = ? WHERE id = ?",
                    (now, counter, call_id),
                )
                q.record(
                    "staff_call",
                    {"center": q.center, "event": "answered", "call": call_id,
                     "terminal": call["terminal"], "screen": call["screen"], "at": now,
                     "counter": counter, "response_s": round(now - call["at"], 1)},
                )  # fmt: skip
        return self.state(call_id)

    def state(self, call_id: Any) -> dict[str, Any]:
        with self.queue._lock:
            call = self._get(call_id)
        now = self.queue._clock()
        answered = call["answered_at"] is not None
        waited = (call["answered_at"] if answered else now) - call["at"]
        return {
            **call,
            "state": "answered" if answered else "calling",
            "repeats": 0 if answered else int(waited // self.repeat_s),
            "waited_s": round(waited, 1),
        }

    def open_calls(self) -> list[dict[str, Any]]:
        with self.queue._lock:
            ids = [
                r[0]
                for r in self.queue._db.execute(
                    "SELECT id FROM staff_calls WHERE answered_at IS NULL ORDER BY at"
                ).fetchall()
            ]
        return [self.state(i) for i in ids]

    def _get(self, call_id: Any) -> dict[str, Any]:
        if not isinstance(call_id, str) or not _ID.match(call_id):
            raise QueueInputError("bad_call")
        row = self.queue._db.execute(
            "SELECT id, terminal, screen, at, answered_at, counter FROM staff_calls WHERE id = ?",
            (call_id,),
        ).fetchone()
        if row is None:
            raise QueueInputError("unknown_call")
        keys = ("id", "terminal", "screen", "at", "answered_at", "counter")
        return dict(zip(keys, row, strict=True))
