"""Durable file writes shared by the outbox, the bundle store and provisioning.

`write_atomic` replaces a file so that a reader (or a reboot) sees either the old bytes or the new
ones, never a mix: write a temp file in the same directory, fsync it, rename it over the target,
then fsync the directory so the rename itself survives power loss. The temp file never follows a
symlink (random name, O_EXCL|O_NOFOLLOW). Only the standard library.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["fsync_dir", "write_atomic"]


def fsync_dir(directory: Path) -> None:
    """Make renames and file creations in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data` atomically and durably; the file ends with `mode`."""
    path = Path(path)
    # A fresh random name opened O_EXCL|O_NOFOLLOW: in a shared (group-writable) directory a
    # symlink planted at a predictable temp name would otherwise redirect the write.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
