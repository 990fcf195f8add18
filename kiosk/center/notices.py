"""Notices on the calling display, the staff console and their printout: only from staff of the
center or signed by city hall.

Guarantees:
- A notice comes from one of two places, and says which: `staff` (posted on the staff console by
  a logged-in staff member with the session's CSRF token; kept in the queue host's SQLite file,
  table `center_notices`, until staff withdraw it or its end time passes) or `city` (the signed
  config bundle's `notices` entry, `city_notices`; taken only from a bundle that verified with
  the pinned key, see `kiosk.services.ConfigBundleView.notices`). The public display has no way
  to add one, and neither has a terminal token.
- Text is checked before it is kept or shown: 1..300 characters of Japanese (the language every
  resident's display shows first), an optional English line, no control characters, a known
  kind (`KINDS`: 給水, 食事, 入浴, お知らせ); at most `MAX_STAFF` staff notices at once. A bad one
  is `QueueInputError` (the host answers 400) and nothing changes; a bad city entry leaves the
  last good city notices (logged by class name by the caller).
- Notices carry no personal data: staff are told so on the console, and the display shows
  exactly the text posted.
"""

from __future__ import annotations

import datetime as _dt
import re
import secrets
from collections.abc import Callable
from typing import Any

from kiosk.center.errors import QueueInputError

__all__ = ["KINDS", "MAX_STAFF", "MAX_TEXT", "NoticeBoard", "city_notices"]

KINDS = {"water": "給水", "food": "食事", "bath": "入浴", "general": "お知らせ"}
MAX_TEXT = 300
MAX_STAFF = 20
MAX_CITY = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CITY_KEYS = frozenset({"id", "kind", "ja", "en", "posted", "until", "centers"})
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _text(value: Any, field: str, *, required: bool) -> str:
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise QueueInputError(f"bad_{field}")
    text = value.strip()
    if len(text) > MAX_TEXT or _CONTROL.search(text):
        raise QueueInputError(f"bad_{field}")
    return text


def _kind(value: Any) -> str:
    if value not in KINDS:
        raise QueueInputError("bad_kind")
    return value


def _until(value: Any, field: str = "until") -> float | None:
    """An end (or posting) time: an ISO date-time with its offset (city notices), or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise QueueInputError(f"bad_{field}")
    try:
        when = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise QueueInputError(f"bad_{field}") from None
    if when.tzinfo is None:
        raise QueueInputError(f"bad_{field}")
    return when.timestamp()


def city_notices(entry: Any, center: str, published: float | None = None) -> list[dict[str, Any]]:
    """The signed config bundle's `notices` for `center`: a list of {"id", "kind", "ja", "en"?,
    "posted"? (when city hall wrote it), "until"? (ISO date-times with offset), "centers"?
    (center ids; absent: every center)}. Each comes out with `at` (the posting time, a Unix
    time, or None) and `published` (the bundle's `issued_at` when given: the notice went out by
    then; residents are shown its date where `posted` is missing).
    Raises ValueError for a malformed entry (the caller keeps the last good ones)."""
    if entry is None:
        return []
    if not isinstance(entry, list) or len(entry) > MAX_CITY:
        raise ValueError(f"notices must be a list of at most {MAX_CITY}")
    out = []
    for raw in entry:
        if not isinstance(raw, dict) or set(raw) - _CITY_KEYS:
            raise ValueError("a notice takes id, kind, ja, en, posted, until, centers")
        centers = raw.get("centers")
        if centers is not None and (
            not isinstance(centers, list) or not all(isinstance(c, str) for c in centers)
        ):
            raise ValueError("notice centers must be a list of center ids")
        if not isinstance(raw.get("id"), str) or not _ID.match(raw["id"]):
            raise ValueError("notice id must be 1-40 letters, digits, _ or -")
        try:
            notice = {
                "id": "city-" + raw["id"],
                "source": "city",
                "kind": _kind(raw.get("kind")),
                "ja": _text(raw.get("ja"), "ja", required=True),
                "en": _text(raw.get("en"), "en", required=False),
                "until": _until(raw.get("until")),
                "at": _until(raw.get("posted"), "posted"),
                "published": published,
            }
        except QueueInputError as e:
            raise ValueError(f"notice {raw['id']}: {e.code}") from None
        if centers is None or center in centers:
            out.append(notice)
    return out


class NoticeBoard:
    """Staff notices in the queue host's SQLite file, and the city's from the config bundle."""

    def __init__(self, queue: Any, city: Callable[[], list[dict[str, Any]]] | None = None) -> None:
        self.queue = queue
        self._city = city
        with queue._lock:
            queue._db.execute(
                """CREATE TABLE IF NOT EXISTS center_notices (
                id TEXT PRIMARY KEY, kind TEXT NOT NULL, ja TEXT NOT NULL, en TEXT NOT NULL,
                posted_at REAL NOT NULL, until REAL, withdrawn_at REAL)"""
            )

    def post(self, kind: Any, ja: Any, en: Any = None, hours: Any = None) -> dict[str, Any]:
        """A staff notice, shown until withdrawn or for `hours` (1..168) if given."""
        kind, ja, en = _kind(kind), _text(ja, "ja", required=True), _text(en, "en", required=False)
        if hours not in (None, "") and (
            isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 168
        ):
            raise QueueInputError("bad_hours")
        q = self.queue
        now = q._clock()
        until = now + hours * 3600 if hours not in (None, "") else None
        notice_id = "staff-" + secrets.token_hex(4)
        with q._lock, q._tx():
            (live,) = q._db.execute(
                "SELECT COUNT(*) FROM center_notices WHERE withdrawn_at IS NULL "
                "AND (until IS NULL OR until > ?)",
                (now,),
            ).fetchone()
            if live >= MAX_STAFF:
                raise QueueInputError("too_many_notices")
            q._db.execute(
                "INSERT INTO center_notices (id, kind, ja, en, posted_at, until) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (notice_id, kind, ja, en, now, until),
            )
        return {"id": notice_id, "source": "staff", "kind": kind, "ja": ja, "en": en,
                "until": until, "at": now}  # fmt: skip

    def withdraw(self, notice_id: Any) -> dict[str, Any]:
        if not isinstance(notice_id, str) or not notice_id.startswith("staff-"):
            raise QueueInputError("bad_notice")  # a city notice is withdrawn by city hall
        q = self.queue
        with q._lock, q._tx():
            cur = q._db.execute(
                "UPDATE center_notices SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
                (q._clock(), notice_id),
            )
            if cur.rowcount != 1:
                raise QueueInputError("unknown_notice")
        return {"id": notice_id, "withdrawn": True}

    def current(self) -> list[dict[str, Any]]:
        """What the display shows now: city notices first, then staff ones, newest first."""
        now = self.queue._clock()
        city = []
        if self._city is not None:
            city = [dict(n) for n in self._city() if n.get("until") is None or n["until"] > now]
        with self.queue._lock:
            rows = self.queue._db.execute(
                "SELECT id, kind, ja, en, posted_at, until FROM center_notices "
                "WHERE withdrawn_at IS NULL AND (until IS NULL OR until > ?) "
                "ORDER BY posted_at DESC, id",
                (now,),
            ).fetchall()
        staff = [
            {"id": i, "source": "staff", "kind": k, "ja": ja, "en": en, "at": at, "until": until}
            for i, k, ja, en, at, until in rows
        ]
        return [*city, *staff]
