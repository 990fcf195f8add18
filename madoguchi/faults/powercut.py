"""Power cuts for SQLite: a VFS that records every write and sync and can "lose power".

`PowerCutVfs.install(root, ...)` registers, as the process's default SQLite VFS, a thin shim over
SQLite's own "unix" VFS (through ctypes, on the libsqlite3 this Python's `sqlite3` module links
to; no extension is built). Files under `root` are tracked: every xWrite and xTruncate is kept in
a per-file list of operations not yet durable, and every xSync makes that file's list durable (it
is applied to an in-memory image of what the disk holds). Reads and locking go straight to the
unix VFS, so SQLite behaves exactly as usual while the process lives.

At the `cut_at`-th tracked operation the shim writes, for each tracked file, the image a power
cut would leave (the durable image plus a random prefix of that file's unsynced operations, the
last one possibly torn at a 512-byte boundary: as SQLite's own crash tests model a disk) into
`image_dir`, then ends the process at once (`os._exit`): nothing later reaches the disk.
`restore_images` puts those images in place of the live files and removes the -shm files (RAM
content, gone with the power).

Guarantees and limits: the shim never changes what SQLite reads or writes while the process
runs; file creation and deletion are taken as durable at once (directory fsyncs are not
modelled); files written outside SQLite (the outbox's seqmark, local state) are not tracked. The
image left by a cut is always one a real disk could leave under that model.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
import shutil
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from madoguchi.faults.errors import PowerCutError

__all__ = ["CUT_EXIT_CODE", "PowerCutVfs", "restore_images"]

CUT_EXIT_CODE = 86  # the exit code of a process whose power was cut
_SECTOR = 512
_SQLITE_IOERR = 10
_VFS_NAME = b"madoguchi-powercut"

_p = ctypes.c_void_p
_i64 = ctypes.c_int64


class _IoMethods(ctypes.Structure):
    _fields_ = [("iVersion", ctypes.c_int)] + [
        (name, _p)
        for name in (
            "xClose",
            "xRead",
            "xWrite",
            "xTruncate",
            "xSync",
            "xFileSize",
            "xLock",
            "xUnlock",
            "xCheckReservedLock",
            "xFileControl",
            "xSectorSize",
            "xDeviceCharacteristics",
            "xShmMap",
            "xShmLock",
            "xShmBarrier",
            "xShmUnmap",
            "xFetch",
            "xUnfetch",
        )
    ]


class _Vfs(ctypes.Structure):
    _fields_ = [
        ("iVersion", ctypes.c_int),
        ("szOsFile", ctypes.c_int),
        ("mxPathname", ctypes.c_int),
        ("pNext", _p),
        ("zName", ctypes.c_char_p),
        ("pAppData", _p),
    ] + [
        (name, _p)
        for name in (
            "xOpen",
            "xDelete",
            "xAccess",
            "xFullPathname",
            "xDlOpen",
            "xDlError",
            "xDlSym",
            "xDlClose",
            "xRandomness",
            "xSleep",
            "xCurrentTime",
            "xGetLastError",
            "xCurrentTimeInt64",
            "xSetSystemCall",
            "xGetSystemCall",
            "xNextSystemCall",
        )
    ]


_OPEN = ctypes.CFUNCTYPE(ctypes.c_int, _p, _p, _p, ctypes.c_int, ctypes.POINTER(ctypes.c_int))
_DELETE = ctypes.CFUNCTYPE(ctypes.c_int, _p, ctypes.c_char_p, ctypes.c_int)
_CLOSE = ctypes.CFUNCTYPE(ctypes.c_int, _p)
_WRITE = ctypes.CFUNCTYPE(ctypes.c_int, _p, _p, ctypes.c_int, _i64)
_TRUNCATE = ctypes.CFUNCTYPE(ctypes.c_int, _p, _i64)
_SYNC = ctypes.CFUNCTYPE(ctypes.c_int, _p, ctypes.c_int)


def _libsqlite() -> ctypes.CDLL:
    """The libsqlite3 the `sqlite3` module uses (the same library instance, so a VFS registered
    here is the one `sqlite3.connect` sees)."""
    import _sqlite3

    try:
        lib = ctypes.CDLL(_sqlite3.__file__)
        lib.sqlite3_vfs_find  # noqa: B018 - a statically linked module exports it
        return lib
    except (OSError, AttributeError):
        pass
    name = ctypes.util.find_library("sqlite3") or "libsqlite3.so.0"
    lib = ctypes.CDLL(name)
    if lib.sqlite3_libversion_number() != sqlite3.sqlite_version_info[0] * 1000000 + (
        sqlite3.sqlite_version_info[1] * 1000 + sqlite3.sqlite_version_info[2]
    ):
        raise PowerCutError("the sqlite3 module does not use the system libsqlite3")
    return lib


@dataclass
class _Track:
    durable: bytearray
    pending: list[tuple[int, bytes | None, int]] = field(default_factory=list)  # (ofs, data, size)


class PowerCutVfs:
    """The recording VFS of this process (at most one; `install` registers it as default)."""

    _installed: PowerCutVfs | None = None

    def __init__(self, root: Path, cut_at: int | None, image_dir: Path, seed: int) -> None:
        self.root = str(Path(root).resolve())
        self.cut_at = cut_at
        self.image_dir = Path(image_dir)
        self.rng = random.Random(seed)
        self.ops = 0
        self.syncs = 0
        self.phase = "start"  # what the process was doing (set by the workload), for reports
        self._lock = threading.RLock()
        self._files: dict[int, str] = {}  # sqlite3_file* -> tracked path
        self._tracks: dict[str, _Track] = {}
        self._wrapped: dict[int, _IoMethods] = {}  # base io_methods* -> our copy
        self._base_io: dict[int, tuple] = {}  # our io_methods* -> the base's (close, write, ...)
        self._keep: list[object] = []

    # --- registration --------------------------------------------------------------------------
    @classmethod
    def install(
        cls, root: Path, *, cut_at: int | None, image_dir: Path, seed: int = 0
    ) -> PowerCutVfs:
        if cls._installed is not None:
            raise PowerCutError("a power-cut VFS is already installed in this process")
        self = cls(root, cut_at, image_dir, seed)
        lib = _libsqlite()
        lib.sqlite3_vfs_find.restype = _p
        lib.sqlite3_vfs_find.argtypes = [ctypes.c_char_p]
        base_ptr = lib.sqlite3_vfs_find(b"unix")
        if not base_ptr:
            raise PowerCutError("SQLite has no unix VFS")
        base = _Vfs.from_address(base_ptr)
        self._base_open = _OPEN(base.xOpen)
        self._base_delete = _DELETE(base.xDelete)
        vfs = _Vfs()
        ctypes.memmove(ctypes.byref(vfs), base_ptr, ctypes.sizeof(_Vfs))
        vfs.pNext = None
        vfs.zName = _VFS_NAME
        self._open_cb = _OPEN(self._x_open)
        self._delete_cb = _DELETE(self._x_delete)
        self._close_cb = _CLOSE(self._x_close)
        self._write_cb = _WRITE(self._x_write)
        self._truncate_cb = _TRUNCATE(self._x_truncate)
        self._sync_cb = _SYNC(self._x_sync)
        vfs.xOpen = ctypes.cast(self._open_cb, _p)
        vfs.xDelete = ctypes.cast(self._delete_cb, _p)
        self._vfs = vfs
        lib.sqlite3_vfs_register.argtypes = [_p, ctypes.c_int]
        rc = lib.sqlite3_vfs_register(ctypes.addressof(vfs), 1)
        if rc != 0:
            raise PowerCutError(f"sqlite3_vfs_register failed: {rc}")
        cls._installed = self
        return self

    # --- callbacks (called by SQLite, any thread) -----------------------------------------------
    def _tracked(self, name: str) -> bool:
        return name == self.root or name.startswith(self.root + os.sep)

    def _x_open(self, vfs, zname, pfile, flags, pout) -> int:
        rc = self._base_open(vfs, zname, pfile, flags, pout)
        if rc != 0 or not zname:
            return rc
        name = ctypes.string_at(zname).decode("utf-8", "surrogateescape")
        if not self._tracked(name):
            return rc
        with self._lock:
            methods_ptr = ctypes.c_void_p.from_address(pfile)
            base_methods = methods_ptr.value
            if not base_methods:
                return rc
            ours = self._wrapped.get(base_methods)
            if ours is None:
                ours = _IoMethods()
                ctypes.memmove(ctypes.byref(ours), base_methods, ctypes.sizeof(_IoMethods))
                self._keep.append(
                    (
                        _CLOSE(ours.xClose),
                        _WRITE(ours.xWrite),
                        _TRUNCATE(ours.xTruncate),
                        _SYNC(ours.xSync),
                    )
                )
                ours.xClose = ctypes.cast(self._close_cb, _p)
                ours.xWrite = ctypes.cast(self._write_cb, _p)
                ours.xTruncate = ctypes.cast(self._truncate_cb, _p)
                ours.xSync = ctypes.cast(self._sync_cb, _p)
                self._wrapped[base_methods] = ours
                self._base_io[ctypes.addressof(ours)] = self._keep[-1]
            methods_ptr.value = ctypes.addressof(ours)
            self._files[pfile] = name
            if name not in self._tracks:
                try:
                    data = Path(name).read_bytes()
                except OSError:
                    data = b""
                self._tracks[name] = _Track(bytearray(data))
        return rc

    def _base(self, pfile):
        return self._base_io[ctypes.c_void_p.from_address(pfile).value]

    def _x_close(self, pfile) -> int:
        with self._lock:
            close = self._base(pfile)[0]
            self._files.pop(pfile, None)
        return close(pfile)

    # A callback that raised would return 0 (success) to SQLite: answer SQLITE_IOERR instead.
    def _x_write(self, pfile, buf, amount, offset) -> int:
        try:
            with self._lock:
                self._op(self._files.get(pfile), (offset, ctypes.string_at(buf, amount), 0))
                return self._base(pfile)[1](pfile, buf, amount, offset)
        except Exception:  # noqa: BLE001 - a ctypes callback must answer SQLite, never raise
            return _SQLITE_IOERR

    def _x_truncate(self, pfile, size) -> int:
        try:
            with self._lock:
                self._op(self._files.get(pfile), (size, None, 0))
                return self._base(pfile)[2](pfile, size)
        except Exception:  # noqa: BLE001 - a ctypes callback must answer SQLite, never raise
            return _SQLITE_IOERR

    def _x_sync(self, pfile, flags) -> int:
        try:
            with self._lock:
                name = self._files.get(pfile)
                self._op(name, None)
                rc = self._base(pfile)[3](pfile, flags)
                if rc == 0 and name is not None:
                    track = self._tracks[name]
                    for op in track.pending:
                        _apply(track.durable, op)
                    track.pending.clear()
                    self.syncs += 1
                return rc
        except Exception:  # noqa: BLE001 - a ctypes callback must answer SQLite, never raise
            return _SQLITE_IOERR

    def _x_delete(self, vfs, zname, syncdir) -> int:
        name = zname.decode("utf-8", "surrogateescape") if zname else ""
        with self._lock:
            self._tracks.pop(name, None)
        return self._base_delete(vfs, zname, syncdir)

    # --- the cut --------------------------------------------------------------------------------
    def _op(self, name: str | None, op) -> None:
        """Count one tracked operation (before it happens); cut the power at `cut_at`."""
        if name is None:
            return
        self.ops += 1
        if op is not None:
            self._tracks[name].pending.append(op)
            if self.cut_at is not None and self.ops >= self.cut_at:
                self._tracks[name].pending.pop()  # this write never reached the disk
                self.cut()
        elif self.cut_at is not None and self.ops >= self.cut_at:
            self.cut()

    def cut(self) -> None:
        """Write the images a power cut leaves now and end the process at once."""
        with self._lock:
            self.image_dir.mkdir(parents=True, exist_ok=True)
            manifest = []
            for name, track in self._tracks.items():
                image = bytearray(track.durable)
                keep = self.rng.randint(0, len(track.pending))
                for op in track.pending[:keep]:
                    _apply(image, op)
                if keep < len(track.pending) and track.pending[keep][1] is not None:
                    ofs, data, _ = track.pending[keep]
                    torn = self.rng.randrange(0, len(data) + 1, _SECTOR)
                    if torn:
                        _apply(image, (ofs, data[:torn], 0))
                rel = os.path.relpath(name, self.root)
                target = self.image_dir / "files" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(image)
                manifest.append(f"{rel}\t{keep}\t{len(track.pending)}")
            (self.image_dir / "cut.txt").write_text(
                f"ops\t{self.ops}\nphase\t{self.phase}\n"
                f"thread\t{threading.current_thread().name}\n" + "\n".join(manifest) + "\n"
            )
        os._exit(CUT_EXIT_CODE)


def _apply(image: bytearray, op) -> None:
    ofs, data, _ = op
    if data is None:  # truncate
        del image[ofs:]
        return
    end = ofs + len(data)
    if len(image) < ofs:
        image.extend(b"\0" * (ofs - len(image)))
    image[ofs:end] = data


def restore_images(root: Path, image_dir: Path) -> dict[str, str]:
    """Replace the live SQLite files under `root` by the images a cut left in `image_dir`;
    remove every -shm (shared memory does not survive a power cut). Returns the cut's notes."""
    files = Path(image_dir) / "files"
    notes: dict[str, str] = {}
    cut = Path(image_dir) / "cut.txt"
    if not cut.exists():
        raise PowerCutError(f"no power cut recorded in {image_dir}")
    for line in cut.read_text().splitlines():
        key, _, value = line.partition("\t")
        notes.setdefault(key, value)
    for image in files.rglob("*"):
        if image.is_file():
            target = Path(root) / image.relative_to(files)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(image, target)
    for shm in Path(root).rglob("*-shm"):
        shm.unlink()
    shutil.rmtree(image_dir)
    return notes
