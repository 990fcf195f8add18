"""Opening an outbox file safely: integrity check, salvage of the chain head, move aside.

Invariants: a damaged file is renamed (with its -wal and -shm) next to itself, never deleted or
rewritten; salvage only reads. "Damaged" means SQLite says so (quick_check not "ok", SQLITE_CORRUPT,
SQLITE_NOTADB); a busy or locked file is NOT damage and is reported as an ordinary error.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import time
from pathlib import Path

from madoguchi.core.durable import fsync_dir
from sync.errors import OutboxError
from sync.sealing import GENESIS_HASH

__all__ = [
    "base_for",
    "file_mode",
    "check_file",
    "is_damage",
    "move_aside",
    "quick_check",
    "read_seqmark",
    "salvage_head",
    "write_seqmark",
]


def file_mode(directory: Path) -> int:
    """Mode of new outbox files in `directory`: 0o660 in a setgid directory, else 0o600.

    On the image the kiosk (appends) and the sync agent (acks) are two users sharing only the
    group `madoguchi` of the setgid /var/lib/madoguchi (2770, UMask=0007 in both units): owner-only
    files there locked the agent out ("outbox error: OutboxError" in the boot check). Anywhere
    else (one user, tests, development) the files stay owner-only. The umask still applies.
    """
    try:
        shared = os.stat(directory).st_mode & stat.S_ISGID
    except OSError:
        shared = 0
    return 0o660 if shared else 0o600


_log = logging.getLogger("sync.outbox")
_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def is_damage(e: sqlite3.Error) -> bool:
    """True when the error means the file is damaged (not busy, not full, not permissions)."""
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _DAMAGE_CODES
    text = str(e).lower()
    return "malformed" in text or "not a database" in text


def quick_check(db: sqlite3.Connection) -> str | None:
    """None if the file is sound, else a short reason (SQLite's own words, no content)."""
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as e:
        if is_damage(e):
            return f"quick_check failed: {e}"
        raise
    if rows == [("ok",)]:
        return None
    return "quick_check: " + "; ".join(str(r[0]) for r in rows[:3])


def check_file(path: Path, timeout_s: float) -> str | None:
    """Open `path` and run quick_check: None if sound, else why it is damaged.

    Raises OutboxError when the file cannot be checked for another reason (busy, permissions).
    """
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=timeout_s)
    except sqlite3.Error as e:
        return f"cannot open: {e}"
    try:
        return quick_check(db)
    except sqlite3.Error as e:
        raise OutboxError(f"cannot check outbox: {e}") from e
    finally:
        db.close()


def salvage_head(path: Path) -> tuple[int, bytes] | None:
    """Best effort read of (last seq, last hash) from a damaged file; None if nothing readable."""
    best: tuple[int, bytes] | None = None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        queries = (
            "SELECT head_seq, head_hash FROM chain WHERE id = 1",
            "SELECT seq, record_hash FROM records ORDER BY seq DESC LIMIT 1",
        )
        for query in queries:
            try:
                row = db.execute(query).fetchone()
            except sqlite3.Error:
                continue
            if (
                row
                and type(row[0]) is int
                and type(row[1]) is bytes
                and len(row[1]) == 32
                and (best is None or row[0] > best[0])
            ):
                best = (row[0], row[1])
    finally:
        db.close()
    return best


def move_aside(path: Path) -> Path:
    """Rename the damaged file and its -wal/-shm to `<name>.damaged-<UTC time>`; return it."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    # The -wal holds committed records too: keep it with the main file so both open together.
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        with contextlib.suppress(FileNotFoundError):
            os.rename(side, Path(f"{target}{suffix}"))
    os.rename(path, target)
    fsync_dir(path.parent)
    _log.warning("outbox file damaged, moved aside to %s", target.name)
    return target


def _seqmark_path(path: Path) -> Path:
    return path.with_name(path.name + ".seqmark")


def write_seqmark(path: Path, seq: int, head_hash: bytes, *, pending: bool = False) -> None:
    """Durably note that the outbox at `path` has reached (seq, hash): atomic replace + fsync.

    `pending` marks a base noted just before its file is created: no seq past it was handed out.
    """
    mark = _seqmark_path(path)
    tmp = mark.with_name(mark.name + ".tmp")
    line = f"{int(seq)} {head_hash.hex()}" + (" pending" if pending else "") + "\n"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, file_mode(path.parent))
    try:
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, mark)
    fsync_dir(path.parent)


def read_seqmark(path: Path) -> tuple[int, bytes, bool] | None:
    """The last (seq, hash, pending) noted by `write_seqmark`, or None if absent or unreadable."""
    try:
        fields = _seqmark_path(path).read_text(encoding="ascii").split()
        seq, head_hash = int(fields[0]), bytes.fromhex(fields[1])
    except (OSError, UnicodeDecodeError, ValueError, IndexError):
        return None
    if seq < 0 or len(head_hash) != 32 or fields[2:] not in ([], ["pending"]):
        return None
    return seq, head_hash, fields[2:] == ["pending"]


def base_for(
    salvaged: tuple[int, bytes] | None,
    mark: tuple[int, bytes, bool] | None = None,
    every: int = 1,
) -> tuple[int, bytes, bool]:
    """(base_seq, base_hash, chain_restarted) for a new file replacing a damaged or lost one.

    With nothing salvaged, the sequence continues past the last seqmark plus the marking interval
    (the most seqs that can have been handed out since the mark), so no seq is ever reused; the
    skipped ones are reported by the central side as a gap, and the chain restarts at genesis.
    """
    if salvaged is not None:
        return salvaged[0], salvaged[1], False
    if mark is not None and mark[2]:  # a base noted before its file existed: exact
        return mark[0], mark[1], False
    if mark is not None:
        return mark[0] + every, GENESIS_HASH, True
    return 0, GENESIS_HASH, True
