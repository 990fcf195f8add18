"""The center's one queue, kept by its queue host in a SQLite file (see docs/center.md).

Guarantees:
- A ticket label is never handed out twice in a center on a day: the host issues `A-001`,
  `B-002`, ... from one counter per service in one transaction; a terminal cut off from the host
  issues from its own space `A<mark>-001` (its mark is unique in the center), and `adopt` takes
  those tickets in later, idempotently, by label.
- One calling order: waiting tickets are called by priority (予約あり first), then by the
  wall-clock time they were issued, then by label, whichever terminal issued them; a ticket
  transferred to a counter is called only there, one transferred to a service keeps its place.
- Every state change (issued, called, recalled, started, ended, no_show, transferred) is written
  in the same transaction as an event row; `flush(sink)` hands unsent events to the sink (the
  terminal's outbox, kind `queue_event`) and marks them sent only after the sink took them, so
  an outbox that is full loses nothing: the events wait for the next flush.
- Nothing personal is kept: a label, a service, a language code, counters and times.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import json
import logging
import math
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk.center._checks import (
    LABEL,
    SERVICES,
    Service,
    _check_counter,
    _check_language,
    _check_service,
)
from kiosk.center.errors import (
    CounterPausedError,
    QueueInputError,
    TicketStateError,
)

__all__ = [
    "SERVICES",
    "CenterQueue",
    "Service",
    "Ticket",
    "label_for",
]

log = logging.getLogger("kiosk.center")


MAX_PER_DAY = 9999


def label_for(service: str, number: int, mark: str = "") -> str:
    return f"{SERVICES[service].letter}{mark}-{number:03d}"


@dataclass(frozen=True)
class Ticket:
    label: str
    service: str
    priority: int
    issued_at: float
    origin: str  # "host", or the issuing terminal's mark while partitioned
    language: str
    state: str = "waiting"  # waiting, called, serving, done, no_show
    counter: str | None = None
    target_counter: str | None = None
    called_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None

    def public(self) -> dict[str, Any]:
        return asdict(self)


_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS tickets (
    day TEXT NOT NULL, label TEXT NOT NULL, service TEXT NOT NULL, priority INTEGER NOT NULL,
    issued_at REAL NOT NULL, origin TEXT NOT NULL, language TEXT NOT NULL,
    state TEXT NOT NULL, counter TEXT, target_counter TEXT,
    called_at REAL, started_at REAL, ended_at REAL,
    PRIMARY KEY (day, label))""",
    "CREATE TABLE IF NOT EXISTS numbers (day TEXT, service TEXT, last INTEGER, "
    "PRIMARY KEY (day, service))",
    "CREATE TABLE IF NOT EXISTS handed (day TEXT, label TEXT, PRIMARY KEY (day, label))",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, paused INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0)""",
]
_COLS = (
    "label, service, priority, issued_at, origin, language, state, counter, target_counter, "
    "called_at, started_at, ended_at"
)


def _ticket(row: tuple) -> Ticket:
    return Ticket(*row)


class CenterQueue:
    """The queue of one center on one host. Thread-safe (one lock, one connection)."""

    def __init__(
        self,
        path: Path | str,
        center: str,
        *,
        clock: Callable[[], float] = time.time,
        day: Callable[[], str] | None = None,
        mark: str = "",
    ) -> None:
        # `mark`: empty on the host; a terminal's own fallback queue issues `A<mark>-001`.
        if mark and not re.match(r"^[1-9]$", mark):
            raise QueueInputError("bad_mark", "one digit 1-9")
        self.mark = mark
        self.center = center
        self._clock = clock
        self._day = day or (lambda: _dt.date.fromtimestamp(self._clock()).isoformat())
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- issuing -------------------------------------------------------------------------

    def issue(self, service: str, language: str = "ja") -> tuple[Ticket, int]:
        """A new ticket from the host's own number space: (ticket, people waiting before it)."""
        _check_service(service)
        _check_language(language)
        with self._lock, self._tx():
            day = self._day()
            row = self._db.execute(
                "SELECT last FROM numbers WHERE day = ? AND service = ?", (day, service)
            ).fetchone()
            number = (row[0] if row else 0) + 1
            if number > MAX_PER_DAY:
                raise QueueInputError("day_full", service)
            self._db.execute(
                "INSERT OR REPLACE INTO numbers (day, service, last) VALUES (?, ?, ?)",
                (day, service, number),
            )
            ticket = Ticket(
                label_for(service, number, self.mark),
                service,
                SERVICES[service].priority,
                self._clock(),
                self.mark or "host",
                language,
            )
            before = self._ahead(day, ticket)
            self._insert(day, ticket)
            self._event("issued", ticket)
        return ticket, before

    def adopt(self, tickets: list[dict[str, Any]]) -> int:
        """Tickets a terminal issued while cut off from the host; already known labels are
        skipped (a terminal may send twice). Returns how many were new."""
        parsed = [_parse_offline(t) for t in tickets]  # all or nothing: validate first
        new = 0
        with self._lock, self._tx():
            for day, ticket in parsed:
                known = self._db.execute(
                    "SELECT 1 FROM tickets WHERE day = ? AND label = ?", (day, ticket.label)
                ).fetchone()
                if known:
                    continue
                self._insert(day, ticket)
                new += 1
        return new

    def unhanded(self) -> list[dict[str, Any]]:
        """On a terminal: the tickets it issued offline that the host has not yet taken."""
        with self._lock:
            rows = self._db.execute(
                "SELECT day, label, service, issued_at, language FROM tickets t WHERE NOT EXISTS "
                "(SELECT 1 FROM handed h WHERE h.day = t.day AND h.label = t.label) "
                "ORDER BY issued_at"
            ).fetchall()
        keys = ("day", "label", "service", "issued_at", "language")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def mark_handed(self, tickets: list[dict[str, Any]]) -> None:
        with self._lock, self._tx():
            self._db.executemany(
                "INSERT OR IGNORE INTO handed (day, label) VALUES (?, ?)",
                [(t["day"], t["label"]) for t in tickets],
            )

    # ---- staff actions -------------------------------------------------------------------

    def call_next(self, counter: str) -> Ticket | None:
        _check_counter(counter)
        with self._lock, self._tx():
            if self._paused(counter):
                raise CounterPausedError(counter)
            day = self._day()
            row = self._db.execute(
                f"SELECT {_COLS} FROM tickets WHERE day = ? AND state = 'waiting' "
                "AND (target_counter IS NULL OR target_counter = ?) "
                "ORDER BY priority DESC, issued_at, label LIMIT 1",
                (day, counter),
            ).fetchone()
            if row is None:
                return None
            ticket = _ticket(row)
            return self._move(day, ticket, "called", "called", counter=counter)

    def recall(self, label: str) -> Ticket:
        return self._step(label, ("called",), "called", "recalled")

    def no_show(self, label: str) -> Ticket:
        return self._step(label, ("called",), "no_show", "no_show")

    def start(self, label: str) -> Ticket:
        return self._step(label, ("called",), "serving", "started")

    def end(self, label: str) -> Ticket:
        return self._step(label, ("serving",), "done", "ended")

    def transfer(
        self, label: str, *, counter: str | None = None, service: str | None = None
    ) -> Ticket:
        """Back to waiting, for another counter (called only there) or another service (keeps
        its place in the calling order)."""
        if (counter is None) == (service is None):
            raise QueueInputError("transfer_target", "a counter or a service")
        if counter is not None:
            _check_counter(counter)
        if service is not None:
            _check_service(service)
        with self._lock, self._tx():
            day, ticket = self._get(label)
            if ticket.state not in ("called", "serving", "waiting"):
                raise TicketStateError(label, ticket.state, "transfer")
            self._db.execute(
                "UPDATE tickets SET state = 'waiting', target_counter = ?, service = ?, "
                "counter = NULL, called_at = NULL, started_at = NULL WHERE day = ? AND label = ?",
                (counter, service or ticket.service, day, label),
            )
            moved = self._fetch(day, label)
            self._event("transferred", moved, extra={"to_counter": counter, "to_service": service})
            return moved

    def pause(self, counter: str, paused: bool) -> None:
        _check_counter(counter)
        with self._lock, self._tx():
            self._db.execute(
                "INSERT OR REPLACE INTO counters (name, paused) VALUES (?, ?)",
                (counter, int(bool(paused))),
            )

    # ---- reading -------------------------------------------------------------------------

    def board(self, recent: int = 6, upcoming: int = 8) -> dict[str, Any]:
        """What the calling display and the console show: the tickets being called (newest
        first), the next ones in calling order, counters, counts. Numbers only."""
        with self._lock:
            day = self._day()
            calling = self._db.execute(
                f"SELECT {_COLS} FROM tickets WHERE day = ? AND state IN ('called', 'serving') "
                "ORDER BY called_at DESC LIMIT ?",
                (day, recent),
            ).fetchall()
            waiting = self.waiting_tickets(limit=upcoming)
            counters = dict(self._db.execute("SELECT name, paused FROM counters").fetchall())
            count = self._db.execute(
                "SELECT COUNT(*) FROM tickets WHERE day = ? AND state = 'waiting'", (day,)
            ).fetchone()[0]
        return {
            "day": day,
            # The host's wall clock (local time, like the day): the display shows it, so a screen
            # whose own clock or time zone is wrong still shows the center's time.
            "clock": _dt.datetime.fromtimestamp(self._clock()).strftime("%H:%M"),
            "calling": [_ticket(r).public() for r in calling],
            "next": [t.public() for t in waiting],
            "waiting": count,
            "paused": sorted(c for c, p in counters.items() if p),
        }

    def waiting_tickets(self, limit: int = 1000) -> list[Ticket]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLS} FROM tickets WHERE day = ? AND state = 'waiting' "
                "ORDER BY priority DESC, issued_at, label LIMIT ?",
                (self._day(), limit),
            ).fetchall()
        return [_ticket(r) for r in rows]

    def estimates(self, default_min: float = 6.0) -> dict[str, int]:
        """Minutes a ticket taken now would wait, per service (for the display and the kiosk)."""
        with self._lock:
            day = self._day()
            ahead = {
                sid: self._db.execute(
                    "SELECT COUNT(*) FROM tickets WHERE day = ? AND state = 'waiting' "
                    "AND priority >= ?",
                    (day, s.priority),
                ).fetchone()[0]
                for sid, s in SERVICES.items()
            }
        return {sid: self.estimate_wait_min(sid, n, default_min) for sid, n in ahead.items()}

    def all_tickets(self) -> list[Ticket]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLS} FROM tickets WHERE day = ? ORDER BY issued_at, label",
                (self._day(),),
            ).fetchall()
        return [_ticket(r) for r in rows]

    def waiting(self) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM tickets WHERE day = ? AND state = 'waiting'", (self._day(),)
            ).fetchone()[0]

    def estimate_wait_min(self, service: str, ahead: int, default_min: float = 6.0) -> int:
        """Minutes until a ticket with `ahead` people before it is called, by list scheduling:
        the counters open now (called someone in the last hour and not paused; at least 1) are
        free, or busy for what remains of their ticket's measured counter time; each waiting
        ticket ahead, in calling order, goes to the counter free first and keeps it for its
        service's measured counter time (call to end, the mean of the last 20 ended today;
        `default_min` until there are some); the new ticket waits until a counter is free.
        `service` is the new ticket's."""
        _check_service(service)
        with self._lock:
            day, now = self._day(), self._clock()
            means = {}
            for sid in SERVICES:
                rows = self._db.execute(
                    "SELECT ended_at - called_at FROM tickets WHERE day = ? AND service = ? "
                    "AND state = 'done' AND called_at IS NOT NULL "
                    "ORDER BY ended_at DESC LIMIT 20",
                    (day, sid),
                ).fetchall()
                means[sid] = sum(r[0] for r in rows) / len(rows) if rows else default_min * 60
            waiting = self._db.execute(
                "SELECT service FROM tickets WHERE day = ? AND state = 'waiting' "
                "ORDER BY priority DESC, issued_at, label LIMIT ?",
                (day, max(0, int(ahead))),
            ).fetchall()
            busy = self._db.execute(
                "SELECT counter, service, called_at FROM tickets WHERE day = ? "
                "AND state IN ('called', 'serving')",
                (day,),
            ).fetchall()
            paused = {r[0] for r in self._db.execute("SELECT name FROM counters WHERE paused = 1")}
            recent = {
                r[0]
                for r in self._db.execute(
                    "SELECT DISTINCT counter FROM tickets WHERE day = ? AND counter IS NOT NULL "
                    "AND called_at >= ?",
                    (day, now - 3600),
                )
            }
        free_at = {c: 0.0 for c in recent - paused}
        for counter, s, called in busy:
            if counter not in paused:
                free_at[counter] = max(0.0, means[s] - (now - called))
        counters = sorted(free_at.values()) or [0.0]
        heapq.heapify(counters)
        for (s,) in waiting:
            heapq.heappush(counters, heapq.heappop(counters) + means[s])
        return math.ceil(counters[0] / 60)

    # ---- events --------------------------------------------------------------------------

    def flush(self, sink: Callable[[str, dict[str, Any]], Any], limit: int = 200) -> int:
        """Hand unsent events to `sink(kind, body)` (e.g. `outbox.append`) in order; stops at the first the sink refuses (it
        raises): that one and the rest stay unsent. Returns how many went."""
        sent = 0
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, body FROM events WHERE sent = 0 ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
            for event_id, kind, body in rows:
                try:
                    sink(kind, json.loads(body))
                except Exception as e:  # noqa: BLE001 - kept for the next flush, never lost
                    log.warning("queue event %d kept for later: %s", event_id, type(e).__name__)
                    break
                self._db.execute("UPDATE events SET sent = 1 WHERE id = ?", (event_id,))
                sent += 1
        return sent

    def unsent_events(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM events WHERE sent = 0").fetchone()[0]

    # ---- internals -----------------------------------------------------------------------

    def _tx(self):
        return _Transaction(self._db)

    def _insert(self, day: str, t: Ticket) -> None:
        self._db.execute(
            f"INSERT INTO tickets (day, {_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (day, *asdict(t).values()),
        )

    def _ahead(self, day: str, t: Ticket) -> int:
        return self._db.execute(
            "SELECT COUNT(*) FROM tickets WHERE day = ? AND state = 'waiting' AND priority >= ?",
            (day, t.priority),
        ).fetchone()[0]

    def _paused(self, counter: str) -> bool:
        row = self._db.execute("SELECT paused FROM counters WHERE name = ?", (counter,)).fetchone()
        return bool(row and row[0])

    def _fetch(self, day: str, label: str) -> Ticket:
        row = self._db.execute(
            f"SELECT {_COLS} FROM tickets WHERE day = ? AND label = ?", (day, label)
        ).fetchone()
        if row is None:
            raise QueueInputError("unknown_ticket", label)
        return _ticket(row)

    def _get(self, label: str) -> tuple[str, Ticket]:
        if not isinstance(label, str) or not LABEL.match(label):
            raise QueueInputError("bad_ticket", "label")
        day = self._day()
        return day, self._fetch(day, label)

    def _step(self, label: str, from_states: tuple[str, ...], to: str, event: str) -> Ticket:
        with self._lock, self._tx():
            day, ticket = self._get(label)
            if ticket.state not in from_states:
                raise TicketStateError(label, ticket.state, event)
            return self._move(day, ticket, to, event)

    def _move(
        self, day: str, t: Ticket, to: str, event: str, *, counter: str | None = None
    ) -> Ticket:
        now = self._clock()
        column = {"called": "called_at", "recalled": "called_at", "started": "started_at"}.get(
            event, "ended_at"
        )
        self._db.execute(
            f"UPDATE tickets SET state = ?, counter = COALESCE(?, counter), {column} = ? "
            "WHERE day = ? AND label = ?",
            (to, counter, now, day, t.label),
        )
        moved = self._fetch(day, t.label)
        self._event(event, moved)
        return moved

    def _event(self, event: str, t: Ticket, extra: dict[str, Any] | None = None) -> None:
        body = {
            "center": self.center,
            "day": self._day(),
            "event": event,
            "ticket": t.label,
            "service": t.service,
            "priority": t.priority,
            "origin": t.origin,
            "language": t.language,
            "counter": t.counter,
            "issued_at": t.issued_at,
            "at": self._clock() if event != "issued" else t.issued_at,
            **(extra or {}),
        }
        self.record("queue_event", body)

    def record(self, kind: str, body: dict[str, Any]) -> None:
        """An event row for the outbox, in the caller's transaction when there is one."""
        with self._lock:
            self._db.execute(
                "INSERT INTO events (kind, body) VALUES (?, ?)", (kind, json.dumps(body))
            )


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _parse_offline(raw: Any) -> tuple[str, Ticket]:
    """One ticket a terminal sends for adoption: only offline labels (with a mark), only known
    services, numbers within bounds; the terminal's day and times as it recorded them."""
    if not isinstance(raw, dict):
        raise QueueInputError("bad_ticket", "not an object")
    label, service, day = raw.get("label"), raw.get("service"), raw.get("day")
    _check_service(service)
    _check_language(raw.get("language", "ja"))
    if not isinstance(label, str) or not LABEL.match(label) or "-" == label[1]:
        raise QueueInputError("bad_ticket", "label")
    if label[0] != SERVICES[service].letter:
        raise QueueInputError("bad_ticket", "label does not match service")
    if not isinstance(day, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", day):
        raise QueueInputError("bad_ticket", "day")
    issued_at = raw.get("issued_at")
    if isinstance(issued_at, bool) or not isinstance(issued_at, int | float):
        raise QueueInputError("bad_ticket", "issued_at")
    if not math.isfinite(issued_at):
        raise QueueInputError("bad_ticket", "issued_at")
    ticket = Ticket(
        label,
        service,
        SERVICES[service].priority,
        float(issued_at),
        label[1],
        raw.get("language", "ja"),
    )
    return day, ticket
