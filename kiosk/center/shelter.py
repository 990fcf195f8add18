"""The shelter register at the center's queue host: households in and out, fully offline.

Guarantees:
- A household is checked in with its member count, age groups (infant, child, adult, senior;
  they add up to the count) and needs (medical, allergy, care, language, pets) and gets a code
  (`S-` and 6 hex digits) printed on its ticket as a QR code; it is checked out by that code, or
  by the representative's name typed by staff: only a keyed hash of the name is kept (HMAC with
  the host's secret), never the name.
- Occupancy is members in − members out, from the register; every check-in and check-out is a
  record (`shelter_checkin` with `source: "center"`, `shelter_checkout`) written in the same
  transaction and handed to the outbox like the queue's events, so central counts the same.
- A household checks out once; a second check-out is refused (`already_out`), nothing changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from typing import Any

from kiosk.center.errors import QueueInputError
from kiosk.center.queue import CenterQueue

__all__ = ["AGE_GROUPS", "NEEDS", "ShelterRegister"]

AGE_GROUPS = ("infant", "child", "adult", "senior")
NEEDS = ("medical", "allergy", "care", "language", "pets")
_CODE = re.compile(r"^S-[0-9A-F]{6}$")
_MAX_MEMBERS = 30


class ShelterRegister:
    def __init__(self, queue: CenterQueue, name_key: bytes) -> None:
        if len(name_key) < 16:
            raise QueueInputError("bad_key", "the name key needs 16 bytes or more")
        self.queue = queue
        self._key = name_key
        with queue._lock:
            queue._db.execute(
                """CREATE TABLE IF NOT EXISTS shelter_households (
                code TEXT PRIMARY KEY, members INTEGER NOT NULL, ages TEXT NOT NULL,
                needs TEXT NOT NULL, name_mac TEXT, in_at REAL NOT NULL, out_at REAL)"""
            )

    def check_in(self, members: Any, ages: Any, needs: Any, name: Any = None) -> dict[str, Any]:
        count = _count(members)
        groups = _ages(ages, count)
        wanted = _needs(needs)
        mac = self._mac(name) if name not in (None, "") else None
        q = self.queue
        code, now = f"S-{secrets.token_hex(3).upper()}", q._clock()
        with q._lock, q._tx():
            q._db.execute(
                "INSERT INTO shelter_households (code, members, ages, needs, name_mac, in_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (code, count, json.dumps(groups), json.dumps(wanted), mac, now),
            )
            q.record(
                "shelter_checkin",
                {"source": "center", "shelter": q.center, "household": code, "members": count,
                 "ages": groups, "needs": wanted, "at": now},
            )  # fmt: skip
        return {"code": code, "members": count, "ages": groups, "needs": wanted, "in_at": now}

    def check_out(self, code: Any = None, name: Any = None) -> dict[str, Any]:
        q = self.queue
        with q._lock, q._tx():
            if code not in (None, ""):
                if not isinstance(code, str) or not _CODE.match(code.strip().upper()):
                    raise QueueInputError("bad_code")
                where, arg = "code = ?", code.strip().upper()
            elif name not in (None, ""):
                where, arg = "name_mac = ?", self._mac(name)
            else:
                raise QueueInputError("code_or_name")
            rows = q._db.execute(
                f"SELECT code, members, out_at FROM shelter_households WHERE {where} "
                "ORDER BY out_at IS NOT NULL, in_at DESC",
                (arg,),
            ).fetchall()
            if not rows:
                raise QueueInputError("unknown_household")
            present = [r for r in rows if r[2] is None]
            if not present:
                raise QueueInputError("already_out")
            if len(present) > 1:  # two households under one name: staff use the code
                raise QueueInputError("ambiguous_name")
            hh, members, _ = present[0]
            now = q._clock()
            q._db.execute("UPDATE shelter_households SET out_at = ? WHERE code = ?", (now, hh))
            q.record(
                "shelter_checkout",
                {"source": "center", "shelter": q.center, "household": hh, "members": members,
                 "at": now},
            )  # fmt: skip
        return {"code": hh, "members": members, "out_at": now}

    def present(self) -> dict[str, Any]:
        with self.queue._lock:
            rows = self.queue._db.execute(
                "SELECT code, members, ages, needs, in_at FROM shelter_households "
                "WHERE out_at IS NULL ORDER BY in_at"
            ).fetchall()
            out = self.queue._db.execute(
                "SELECT COALESCE(SUM(members), 0) FROM shelter_households WHERE out_at IS NOT NULL"
            ).fetchone()[0]
        households = [
            {"code": c, "members": m, "ages": json.loads(a), "needs": json.loads(n), "in_at": t}
            for c, m, a, n, t in rows
        ]
        occupancy = sum(h["members"] for h in households)
        needs = {k: sum(k in h["needs"] for h in households) for k in NEEDS}
        return {"occupancy": occupancy, "checked_out": out, "households": households,
                "needs": needs}  # fmt: skip

    def _mac(self, name: Any) -> str:
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 80:
            raise QueueInputError("bad_name")
        # NFKC + no spaces: 「山田 太郎」 and 「山田　太郎」 find the same household
        norm = "".join(unicodedata.normalize("NFKC", name).split()).casefold()
        return hmac.new(self._key, norm.encode(), hashlib.sha256).hexdigest()


def _count(members: Any) -> int:
    if isinstance(members, bool) or not isinstance(members, int):
        raise QueueInputError("bad_members")
    if not 1 <= members <= _MAX_MEMBERS:
        raise QueueInputError("bad_members", f"1-{_MAX_MEMBERS}")
    return members


def _ages(ages: Any, count: int) -> dict[str, int]:
    if not isinstance(ages, dict) or set(ages) - set(AGE_GROUPS):
        raise QueueInputError("bad_ages")
    groups = {}
    for k in AGE_GROUPS:
        v = ages.get(k, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise QueueInputError("bad_ages")
        groups[k] = v
    if sum(groups.values()) != count:
        raise QueueInputError("ages_do_not_add_up")
    return groups


def _needs(needs: Any) -> list[str]:
    if not isinstance(needs, list) or any(n not in NEEDS for n in needs):
        raise QueueInputError("bad_needs")
    return sorted(set(needs))
