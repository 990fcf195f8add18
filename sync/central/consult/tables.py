"""The consult tables on the central store (migration 0006_consult_tables), on either backend.

Works through a `Store`'s own transaction helpers, so SQLite and PostgreSQL behave alike and
several receivers and console processes sharing one store share one queue.

Invariants:
- A waiting request is taken by at most one staff member: `accept` is one conditional UPDATE
  (`state = 'waiting'`), re-checked by PostgreSQL after a concurrent writer commits.
- `end` is idempotent and deletes the call's signaling messages in the same transaction: SDP and
  control messages do not outlive the call; the consultation row (the record) stays, and it
  never holds media, chat or anything the resident typed.
- Nothing here logs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sync.central.consult.accounts import Staff, can_accept
from sync.central.store import Store

__all__ = ["Consultation", "ConsultTables", "Signal"]

_COLUMNS = (
    "id, device_id, center, topic, language, state, created_at, queued_at, polled_at, accepted_at, "
    "ended_at, accepted_by, accepted_role, ended_by, outcome, handovers, handover_topics, roles"
)


@dataclass(frozen=True)
class Consultation:
    id: str
    device_id: str
    center: str
    topic: str
    language: str
    state: str  # waiting | accepted | handover (waiting for the terminal's new offer) | ended
    created_at: float
    queued_at: float
    polled_at: float
    accepted_at: float | None
    ended_at: float | None
    accepted_by: str | None
    accepted_role: str | None
    ended_by: str | None
    outcome: str | None
    handovers: int
    handover_topics: str  # "general>tax": the topics the request was in, in order
    roles: str  # "front_desk specialist": the role of each staff member who took it, in order


@dataclass(frozen=True)
class Signal:
    id: int
    sender: str  # terminal | console
    type: str  # offer | answer
    body: str


class ConsultTables:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _tx(self, operation: str):
        return self.store._transaction(operation)

    def _x(self, sql: str, params=()) -> list[tuple]:
        return self.store._execute(self.store._q(sql), params)

    def _read(self, operation: str, sql: str, params=()) -> list[tuple]:
        return self.store._read(operation, sql, params)

    # --- staff ----------------------------------------------------------------------------
    def add_staff(
        self, username: str, password_hash: str, roles, display_name: str, now=None
    ) -> bool:
        """False when the username exists already (nothing changed)."""
        with self._tx("consult add staff"):
            if self._x("SELECT 1 FROM consult_staff WHERE username = ?", (username,)):
                return False
            self._x(
                "INSERT INTO consult_staff (username, password_hash, roles, display_name, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (username, password_hash, " ".join(roles), display_name, now or time.time()),
            )
        return True

    def staff(self, username: str) -> tuple[Staff, str] | None:
        """(account, password hash) of an enabled account, or None."""
        rows = self._read(
            "consult staff",
            "SELECT username, roles, display_name, password_hash FROM consult_staff "
            "WHERE username = ? AND disabled = 0",
            (username,),
        )
        if not rows:
            return None
        name, roles, display, digest = rows[0]
        return Staff(name, tuple(roles.split()), display), digest

    def display_name(self, username: str) -> str:
        """The name a resident sees in the call's caption ("" if the account is gone)."""
        rows = self._read(
            "consult display name",
            "SELECT display_name FROM consult_staff WHERE username = ?",
            (username,),
        )
        return rows[0][0] if rows else ""

    def seen(self, username: str, now: float) -> bool:
        """Record that `username`'s console is open; False if the account is disabled or gone."""
        with self._tx("consult staff seen"):
            rows = self._x(
                "UPDATE consult_staff SET seen_at = ? WHERE username = ? AND disabled = 0 "
                "RETURNING username",
                (now, username),
            )
        return bool(rows)

    def set_disabled(self, username: str, disabled: bool) -> bool:
        """False if there is no such account."""
        with self._tx("consult staff disable"):
            rows = self._x(
                "UPDATE consult_staff SET disabled = ? WHERE username = ? RETURNING username",
                (1 if disabled else 0, username),
            )
        return bool(rows)

    def accepting_staff_seen(self, since: float) -> int:
        """How many enabled accounts that may accept had a console open since `since`."""
        rows = self._read(
            "consult staff present",
            "SELECT roles FROM consult_staff WHERE disabled = 0 AND seen_at >= ?",
            (since,),
        )
        return sum(can_accept(r[0].split()) for r in rows)

    def staff_list(self) -> list[Staff]:
        rows = self._read(
            "consult staff list",
            "SELECT username, roles, display_name FROM consult_staff ORDER BY username",
        )
        return [Staff(u, tuple(r.split()), d) for u, r, d in rows]

    # --- the queue ------------------------------------------------------------------------
    def open(
        self,
        consultation_id: str,
        device_id: str,
        center: str,
        topic: str,
        language: str,
        offer: str,
        now: float,
    ) -> None:
        with self._tx("consult open"):
            self._x(
                "INSERT INTO consultations (id, device_id, center, topic, language, state, "
                "created_at, queued_at, polled_at) VALUES (?, ?, ?, ?, ?, 'waiting', ?, ?, ?)",
                (consultation_id, device_id, center, topic, language, now, now, now),
            )
            self._signal(consultation_id, "terminal", "offer", offer, now)

    def get(self, consultation_id: str) -> Consultation | None:
        rows = self._read(
            "consult get",
            f"SELECT {_COLUMNS} FROM consultations WHERE id = ?",
            (consultation_id,),
        )
        return Consultation(*rows[0]) if rows else None

    def polled(self, consultation_id: str, now: float) -> None:
        with self._tx("consult polled"):
            self._x("UPDATE consultations SET polled_at = ? WHERE id = ?", (now, consultation_id))

    def waiting(self, now: float, stale_s: float) -> list[Consultation]:
        """The queue, oldest first. A waiting request whose terminal stopped polling for
        `stale_s` (switched off, network gone) is ended first ("network", "dropped")."""
        with self._tx("consult waiting"):
            stale = self._x(
                "SELECT id FROM consultations WHERE state IN ('waiting', 'handover') "
                "AND polled_at < ?",
                (now - stale_s,),
            )
            for (cid,) in stale:
                self._x(
                    "UPDATE consultations SET state = 'ended', ended_at = ?, ended_by = 'network',"
                    " outcome = 'dropped' WHERE id = ? AND state IN ('waiting', 'handover')",
                    (now, cid),
                )
                self._x("DELETE FROM consult_signals WHERE consultation_id = ?", (cid,))
            rows = self._x(
                f"SELECT {_COLUMNS} FROM consultations WHERE state = 'waiting' "
                "ORDER BY queued_at, id"
            )
        return [Consultation(*r) for r in rows]

    def position(self, c: Consultation) -> int:
        """1 for the first in its topic's queue."""
        rows = self._read(
            "consult position",
            "SELECT COUNT(*) FROM consultations WHERE state = 'waiting' AND topic = ? "
            "AND (queued_at < ? OR (queued_at = ? AND id < ?))",
            (c.topic, c.queued_at, c.queued_at, c.id),
        )
        return int(rows[0][0]) + 1

    def typical_wait_s(self, topic: str, recent: int = 20) -> float | None:
        """The median wait (queued → accepted) of the topic's `recent` last accepted requests,
        or None without history: an honest estimate, or none at all."""
        rows = self._read(
            "consult typical wait",
            "SELECT accepted_at - queued_at FROM consultations WHERE topic = ? AND "
            "accepted_at IS NOT NULL AND accepted_at >= queued_at ORDER BY accepted_at DESC LIMIT ?",
            (topic, recent),
        )
        if not rows:
            return None
        waits = sorted(float(r[0]) for r in rows)
        mid = len(waits) // 2
        return waits[mid] if len(waits) % 2 else (waits[mid - 1] + waits[mid]) / 2

    def accept(self, consultation_id: str, staff: Staff, role: str, now: float) -> str | None:
        """The terminal's offer if this request was waiting and is now `staff`'s, else None."""
        with self._tx("consult accept"):
            taken = self._x(
                "UPDATE consultations SET state = 'accepted', accepted_at = ?, accepted_by = ?, "
                "accepted_role = ?, roles = TRIM(roles || ' ' || ?) "
                "WHERE id = ? AND state = 'waiting' RETURNING id",
                (now, staff.username, role, role, consultation_id),
            )
            if not taken:
                return None
            rows = self._x(
                "SELECT body FROM consult_signals WHERE consultation_id = ? AND sender = "
                "'terminal' AND type = 'offer' ORDER BY id DESC LIMIT 1",
                (consultation_id,),
            )
        return rows[0][0] if rows else None

    def take_note(self, consultation_id: str, username: str) -> str:
        """The hand-over note for the staff member who now holds the call, removed from the
        store as it is handed to them (it lives on only in their page, until the call ends)."""
        with self._tx("consult take note"):
            rows = self._x(
                "DELETE FROM consult_signals WHERE consultation_id = ? AND type = 'note' AND "
                "EXISTS (SELECT 1 FROM consultations WHERE id = ? AND accepted_by = ?) "
                "RETURNING body",
                (consultation_id, consultation_id, username),
            )
        return rows[0][0] if rows else ""

    def end(self, consultation_id: str, by: str, outcome: str, now: float) -> bool:
        """True if this call ended it (False: it had ended already)."""
        with self._tx("consult end"):
            done = self._x(
                "UPDATE consultations SET state = 'ended', ended_at = ?, ended_by = ?, "
                "outcome = ? WHERE id = ? AND state <> 'ended' RETURNING id",
                (now, by, outcome, consultation_id),
            )
            self._x("DELETE FROM consult_signals WHERE consultation_id = ?", (consultation_id,))
        return bool(done)

    def handover(
        self, consultation_id: str, username: str, topic: str, now: float, note: str = ""
    ) -> bool:
        """The call `username` holds goes back to the queue of `topic` once the terminal has made
        a new offer (`reoffer`); its old SDP is deleted. `note` (申し送り, checked by the caller)
        waits for the next taker in `consult_signals`: it goes with the first `take_note`, with
        the end of the call, or with the next hand-over, whichever comes first. False if it is
        not their call now."""
        with self._tx("consult handover"):
            done = self._x(
                "UPDATE consultations SET state = 'handover', handovers = handovers + 1, "
                "handover_topics = CASE WHEN handover_topics = '' THEN topic "
                "ELSE handover_topics END || '>' || ?, topic = ?, accepted_by = NULL "
                "WHERE id = ? AND state = 'accepted' AND accepted_by = ? RETURNING id",
                (topic, topic, consultation_id, username),
            )
            if done:
                self._x("DELETE FROM consult_signals WHERE consultation_id = ?", (consultation_id,))
                if note:
                    self._signal(consultation_id, "console", "note", note, now)
        return bool(done)

    def reoffer(self, consultation_id: str, offer: str, now: float) -> bool:
        """The terminal's new offer after a hand-over: the request waits in its new queue."""
        with self._tx("consult reoffer"):
            done = self._x(
                "UPDATE consultations SET state = 'waiting', queued_at = ?, polled_at = ? "
                "WHERE id = ? AND state = 'handover' RETURNING id",
                (now, now, consultation_id),
            )
            if done:
                self._signal(consultation_id, "terminal", "offer", offer, now)
        return bool(done)

    # --- signaling messages ---------------------------------------------------------------
    def _signal(self, consultation_id: str, sender: str, type_: str, body: str, now: float):
        self._x(
            "INSERT INTO consult_signals (consultation_id, sender, type, body, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (consultation_id, sender, type_, body, now),
        )

    def add_signal(
        self, consultation_id: str, sender: str, type_: str, body: str, now: float
    ) -> bool:
        """False when the call is not in progress any more (nothing stored)."""
        with self._tx("consult signal"):
            live = self._x(
                "SELECT 1 FROM consultations WHERE id = ? AND state = 'accepted'",
                (consultation_id,),
            )
            if live:
                self._signal(consultation_id, sender, type_, body, now)
        return bool(live)

    def signals(self, consultation_id: str, sender: str) -> list[Signal]:
        rows = self._read(
            "consult signals",
            "SELECT id, sender, type, body FROM consult_signals WHERE consultation_id = ? "
            "AND sender = ? ORDER BY id",
            (consultation_id, sender),
        )
        return [Signal(*r) for r in rows]

    # --- more parties (a VideoRoom): invitations and who joined -----------------------------
    def invite(self, consultation_id: str, username: str, role: str, now: float) -> bool:
        """The holder `username` invites someone with `role` into the call (kept as a control
        message: gone with the call or a hand-over). False if it is not their call now."""
        with self._tx("consult invite"):
            live = self._x(
                "SELECT 1 FROM consultations WHERE id = ? AND state = 'accepted' "
                "AND accepted_by = ?",
                (consultation_id, username),
            )
            if live:
                self._signal(consultation_id, "console", "invite", role, now)
        return bool(live)

    def invitations(self) -> list[tuple[Consultation, str, tuple[str, ...]]]:
        """Calls in progress with an open invitation: (call, invited role, who joined)."""
        rows = self._read(
            "consult invitations",
            f"SELECT {', '.join('c.' + x.strip() for x in _COLUMNS.split(','))}, s.type, s.body "
            "FROM consultations c JOIN consult_signals s ON s.consultation_id = c.id "
            "WHERE c.state = 'accepted' AND s.type IN ('invite', 'joined') ORDER BY s.id",
        )
        calls: dict[str, list] = {}
        for r in rows:
            c, kind, body = Consultation(*r[:-2]), r[-2], r[-1]
            entry = calls.setdefault(c.id, [c, [], []])
            (entry[1] if kind == "invite" else entry[2]).append(body)
        out = []
        for c, roles, joined in calls.values():
            for role in dict.fromkeys(roles):
                out.append((c, role, tuple(joined)))
        return out

    def join(self, consultation_id: str, username: str, role: str, now: float) -> bool:
        """`username` joins the call in `role`, which the holder invited; the role is added to
        the record's participants (`roles`). False if there is no such open invitation."""
        with self._tx("consult join"):
            ok = self._x(
                "SELECT 1 FROM consultations c JOIN consult_signals s ON s.consultation_id = c.id"
                " WHERE c.id = ? AND c.state = 'accepted' AND s.type = 'invite' AND s.body = ?",
                (consultation_id, role),
            )
            if not ok:
                return False
            if username not in self._joined(consultation_id):
                self._signal(consultation_id, "console", "joined", username, now)
                self._x(
                    "UPDATE consultations SET roles = TRIM(roles || ' ' || ?) WHERE id = ?",
                    (role, consultation_id),
                )
        return True

    def _joined(self, consultation_id: str) -> list[str]:
        rows = self._x(
            "SELECT body FROM consult_signals WHERE consultation_id = ? AND type = 'joined'",
            (consultation_id,),
        )
        return [r[0] for r in rows]

    def participants(self, consultation_id: str) -> list[str]:
        """The staff in the call now: the holder first, then who joined."""
        c = self.get(consultation_id)
        if c is None or c.state != "accepted" or not c.accepted_by:
            return []
        rows = self._read(
            "consult participants",
            "SELECT body FROM consult_signals WHERE consultation_id = ? AND type = 'joined' "
            "ORDER BY id",
            (consultation_id,),
        )
        return [c.accepted_by, *(r[0] for r in rows if r[0] != c.accepted_by)]

    def records(self, since: float = 0.0) -> list[Consultation]:
        rows = self._read(
            "consult records",
            f"SELECT {_COLUMNS} FROM consultations WHERE created_at >= ? ORDER BY created_at",
            (since,),
        )
        return [Consultation(*r) for r in rows]
