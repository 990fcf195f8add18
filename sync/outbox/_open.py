"""Opening the outbox file: integrity check, replacing a damaged or lost file, creation, pragmas,
migrations and the chain row.

Invariants: a damaged file is moved aside, never deleted, and only by the process that may
append (`can_replace`: it holds the sealing key); a new file's chain base is noted in the seqmark
side file before the file exists, so neither an interrupted creation nor a lost file ever makes a
sequence number be handed out twice; the connection returned is in WAL mode with synchronous=FULL.
New files are owner-only, or group read-write in a setgid directory (the image's
/var/lib/madoguchi, shared by the kiosk and the sync agent users: `_recovery.file_mode`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from madoguchi.core.durable import fsync_dir
from sync.errors import OutboxCorruptError, OutboxError
from sync.outbox import _recovery
from sync.outbox._config import OutboxConfig, RecoveryReport
from sync.outbox._schema import migrate
from sync.sealing import GENESIS_HASH

__all__ = ["open_outbox"]

_log = logging.getLogger("sync.outbox")
_WAL_LIMIT = 4 * 1024 * 1024  # after a checkpoint, the WAL shrinks back to this (small SD card)

Base = tuple[int, bytes, bool]  # (base seq, base hash, chain restarted)


def _connect(path: Path, config: OutboxConfig) -> sqlite3.Connection:
    timeout = config.busy_timeout_ms / 1000.0
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
    try:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise OutboxError(f"outbox needs WAL mode, got {mode}")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
        db.execute(f"PRAGMA busy_timeout={int(config.busy_timeout_ms)}")
        if config.max_db_bytes is not None:
            page = db.execute("PRAGMA page_size").fetchone()[0]
            db.execute(f"PRAGMA max_page_count={int(config.max_db_bytes) // int(page)}")
    except BaseException:
        db.close()
        raise
    return db


def _lost(
    config: OutboxConfig, mark, reason: str, can_replace: bool
) -> tuple[Base, RecoveryReport]:
    """A used outbox is gone (vanished or emptied): continue past every seq it may have used."""
    if not can_replace:
        raise OutboxCorruptError(f"{reason} (the appending process recreates it)")
    base = _recovery.base_for(None, mark, config.seqmark_every)
    _log.warning("%s: continuing after seq %d", reason, base[0])
    return base, RecoveryReport(
        moved_to="", reason=reason, salvaged_seq=base[0], chain_restarted=True
    )


def _check_and_replace(config: OutboxConfig, can_replace: bool):
    """(base, report) after moving a damaged file aside, or (None, None) if it is sound."""
    path = config.path
    reason = _recovery.check_file(path, config.busy_timeout_ms / 1000.0)
    if reason is None:
        return None, None
    if not can_replace:
        # Only the appending process replaces the file: two processes never start two outboxes.
        raise OutboxCorruptError(reason)
    salvaged = _recovery.salvage_head(path)
    moved = _recovery.move_aside(path)
    base = _recovery.base_for(salvaged, _recovery.read_seqmark(path), config.seqmark_every)
    _log.warning(
        "outbox recovered: new file continues after seq %d (chain restarted: %s)", base[0], base[2]
    )
    return base, RecoveryReport(
        moved_to=str(moved), reason=reason, salvaged_seq=base[0], chain_restarted=base[2]
    )


def _init_chain(db, config, device_id, base, report, can_replace):
    """Migrate and make sure the chain row exists; returns the (possibly new) recovery report."""
    migrate(db)
    has_chain = db.execute("SELECT 1 FROM chain WHERE id = 1").fetchone() is not None
    if base is None and not has_chain:
        mark = _recovery.read_seqmark(config.path)
        if mark is not None and not mark[2]:  # an emptied file where a used outbox was
            base, report = _lost(config, mark, "outbox file empty", can_replace)
        elif mark is not None:  # an interrupted creation: the pending mark is its base
            base = (mark[0], mark[1], False)
    base_seq, base_hash, _ = base or (0, GENESIS_HASH, False)
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT device_id FROM chain WHERE id = 1").fetchone()
        if row is None:
            db.execute(
                "INSERT INTO chain (id, device_id, base_seq, base_hash, head_seq, head_hash,"
                " last_acked_seq, recovered_from) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                (
                    device_id,
                    base_seq,
                    base_hash,
                    base_seq,
                    base_hash,
                    base_seq,
                    report.moved_to if report else None,
                ),
            )
        elif row[0] != device_id:
            raise OutboxError(f"outbox belongs to device {row[0]}, not {device_id}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return report


def open_outbox(
    config: OutboxConfig, device_id: str, can_replace: bool
) -> tuple[sqlite3.Connection, RecoveryReport | None]:
    """Open (creating or replacing as needed) and return (connection, recovery report or None)."""
    path = config.path
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        exists = path.exists()  # a directory this user may not search raises here
    except OSError as e:
        raise OutboxError(f"cannot open outbox: {type(e).__name__}") from e
    base: Base | None = None
    report: RecoveryReport | None = None
    if exists and config.quick_check:
        base, report = _check_and_replace(config, can_replace)
    created = not path.exists()
    if created:
        if base is None:
            mark = _recovery.read_seqmark(path)
            if mark is not None and mark[2]:  # an interrupted creation: nothing handed out since
                base = (mark[0], mark[1], False)
            elif mark is not None:  # the file vanished
                base, report = _lost(config, mark, "outbox file missing", can_replace)
            else:  # the first outbox of this device
                base = (0, GENESIS_HASH, False)
        try:
            # Noted before the file exists, so an interrupted creation resumes exactly.
            _recovery.write_seqmark(path, base[0], base[1], pending=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, _recovery.file_mode(path.parent)))
        except OSError as e:
            raise OutboxError(f"cannot create outbox: {type(e).__name__}") from e
    try:
        db = _connect(path, config)
    except sqlite3.Error as e:
        raise OutboxError(f"cannot open outbox: {e}") from e
    try:
        report = _init_chain(db, config, device_id, base, report, can_replace)
        if created:
            fsync_dir(path.parent)
            head = db.execute("SELECT head_seq, head_hash FROM chain WHERE id = 1").fetchone()
            _recovery.write_seqmark(path, head[0], head[1])
    except OSError as e:
        db.close()
        raise OutboxError(f"cannot create outbox: {type(e).__name__}") from e
    except BaseException:
        db.close()
        raise
    return db, report
