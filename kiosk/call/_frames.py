"""The call's pictures, from the call worker to the kiosk UI: a shared-memory file of RGB frames.

The worker (`FrameWriter`, numpy allowed there) creates one file per call in `/dev/shm`
(`madoguchi-call-<pid>-<random>.frames`, mode 0600, the kiosk user's), announces it on its JSON
channel (`{"event": "video", "path", "size", "streams": [{"key", "offset", "width", "height"}]}`)
and writes each picture scaled to its stream's box: `main` (the specialist, 640×480),
`self` (the resident's own camera, small) and `party1`… (the other staff of a room, small). The
kiosk side (`FrameReader`, no numpy, no aiortc) checks the announcement against the file before
it maps anything, and hands out only frames it has not drawn yet.

Layout: a 64-byte file header (`MAGIC`), then per stream a 64-byte header (the latest complete
frame's sequence number) and two slots, each a 16-byte header (generation, width, height) and
width×height×3 bytes. The writer fills the slot the reader is not told about, and a slot's
generation is odd while it is being written, so a reader never draws a half-written frame.

Invariants:
- Frames are personal data: `FrameWriter.close()` zeroes the file and unlinks it; the kiosk side
  does the same if the worker died first (`wipe_file`, only for a file it had accepted); nothing
  else keeps a frame (the reader copies one frame at a time for the texture).
- A malformed or oversized announcement (a path elsewhere, a file not ours or readable by
  others, sizes that do not match the layout, more than `MAX_BYTES`) raises `CallVideoError` and
  nothing is mapped.
- No frame, no work: `read()` compares one sequence number when nothing new was written.
"""

from __future__ import annotations

import mmap
import os
import re
import secrets
import stat
import struct
from dataclasses import dataclass

from kiosk.call.errors import CallVideoError

__all__ = [
    "DEFAULT_DIR",
    "MAX_BYTES",
    "STREAMS",
    "Frame",
    "FrameReader",
    "FrameWriter",
    "fit",
    "wipe_file",
]

DEFAULT_DIR = "/dev/shm"
MAGIC = b"MDGCFRM1"
FILE_HEADER = 64
STREAM_HEADER = 64
SLOT_HEADER = 16
MAX_BYTES = 16 * 1024 * 1024  # the layout below is ~3.4 MB; more is not ours
MAX_STREAMS = 8
MAX_W, MAX_H = 1280, 720
MAX_PARTIES = 4  # other staff of a room drawn as tiles (more are named, not drawn)
# key → the box a picture is scaled into (the screen's large picture, the small ones)
STREAMS: dict[str, tuple[int, int]] = {
    "main": (640, 480),
    "self": (240, 180),
    **{f"party{i}": (240, 180) for i in range(1, MAX_PARTIES + 1)},
}
_NAME = re.compile(r"madoguchi-call-\d{1,10}-[0-9a-f]{16}\.frames")
_KEY = re.compile(r"(main|self|party[1-9])")


def fit(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest size of `width`×`height`'s shape inside the box: width a multiple of 4 (rows
    stay 4-byte aligned for the texture), height even."""
    if width <= 0 or height <= 0:
        return box_w, box_h
    scale = min(box_w / width, box_h / height)
    w = max(4, int(width * scale) // 4 * 4)
    h = max(2, int(height * scale) // 2 * 2)
    return min(w, box_w), min(h, box_h)


def _region(width: int, height: int) -> int:
    return STREAM_HEADER + 2 * (SLOT_HEADER + width * height * 3)


def _layout(streams: list[tuple[str, int, int]]) -> tuple[list[dict], int]:
    out, offset = [], FILE_HEADER
    for key, w, h in streams:
        out.append({"key": key, "offset": offset, "width": w, "height": h})
        offset += _region(w, h)
    return out, offset


@dataclass(frozen=True)
class Frame:
    seq: int
    width: int
    height: int
    data: bytes  # width*height*3 bytes, RGB, top row first


class FrameWriter:
    """The worker's side: create, write, zero and unlink."""

    def __init__(self, directory: str = DEFAULT_DIR, streams: dict | None = None) -> None:
        streams = STREAMS if streams is None else streams
        self.streams, self.size = _layout([(k, w, h) for k, (w, h) in streams.items()])
        self._by_key = {s["key"]: s for s in self.streams}
        name = f"madoguchi-call-{os.getpid()}-{secrets.token_hex(8)}.frames"
        self.path = os.path.join(directory, name)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.ftruncate(fd, self.size)
            self._mm = mmap.mmap(fd, self.size)
        except OSError:
            os.close(fd)
            os.unlink(self.path)
            raise
        os.close(fd)
        self._mm[: len(MAGIC)] = MAGIC
        self._seq = dict.fromkeys(self._by_key, 0)

    def announcement(self) -> dict:
        return {"event": "video", "path": self.path, "size": self.size, "streams": self.streams}

    def box(self, key: str) -> tuple[int, int]:
        s = self._by_key[key]
        return s["width"], s["height"]

    def write(self, key: str, width: int, height: int, rgb) -> int:
        """Publish one frame (`rgb`: width*height*3 bytes or a buffer of them) on stream `key`."""
        if self._mm is None:
            return 0
        s = self._by_key[key]
        if not (0 < width <= s["width"] and 0 < height <= s["height"]):
            raise ValueError("frame larger than its stream")
        seq = self._seq[key] + 1
        slot = (
            s["offset"] + STREAM_HEADER + (seq % 2) * (SLOT_HEADER + s["width"] * s["height"] * 3)
        )
        n = width * height * 3
        struct.pack_into("<QII", self._mm, slot, 2 * seq - 1, width, height)  # odd: being written
        self._mm[slot + SLOT_HEADER : slot + SLOT_HEADER + n] = memoryview(rgb).cast("B")[:n]
        struct.pack_into("<Q", self._mm, slot, 2 * seq)
        struct.pack_into("<Q", self._mm, s["offset"], seq)
        self._seq[key] = seq
        return seq

    def blank(self, key: str) -> None:
        """A party left: its tile is emptied (zeros) and shows nothing (sequence 0)."""
        if self._mm is None:
            return
        s = self._by_key[key]
        struct.pack_into("<Q", self._mm, s["offset"], 0)
        end = s["offset"] + _region(s["width"], s["height"])
        self._mm[s["offset"] + 8 : end] = bytes(end - s["offset"] - 8)
        self._seq[key] = 0

    def close(self) -> None:
        """Zero every byte, then unlink: no frame outlives the call."""
        if self._mm is None:
            return
        mm, self._mm = self._mm, None
        mm[:] = bytes(self.size)
        mm.flush()
        mm.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass  # the kiosk side wiped it already


class FrameReader:
    """The kiosk side: `open(announcement)` checks it, then `read(key, after)` gives new frames."""

    def __init__(self, path: str, size: int, streams: list[dict], ident: tuple, mm) -> None:
        self.path, self.size, self._ident, self._mm = path, size, ident, mm
        self.streams = {s["key"]: s for s in streams}
        self.parties: dict[tuple[str, str], str] = {}  # (role, name) → stream of a room's party

    @classmethod
    def open(cls, announcement: object, directory: str = DEFAULT_DIR) -> FrameReader:
        path, size, streams = _checked(announcement, directory)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as e:
            raise CallVideoError("video buffer: cannot open it", code="unopenable") from e
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                raise CallVideoError("video buffer: not our file", code="not_ours")
            if st.st_mode & 0o077:
                raise CallVideoError("video buffer: readable by others", code="open_mode")
            if st.st_size != size:
                raise CallVideoError("video buffer: size differs from the file", code="size")
            mm = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        if mm[: len(MAGIC)] != MAGIC:
            mm.close()
            raise CallVideoError("video buffer: not a frame buffer", code="magic")
        return cls(path, size, streams, (st.st_dev, st.st_ino), mm)

    def seq(self, key: str) -> int:
        s, mm = self.streams.get(key), self._mm
        if s is None or mm is None:
            return 0
        try:
            return struct.unpack_from("<Q", mm, s["offset"])[0]
        except ValueError:  # closed meanwhile (the call ended on the port's thread)
            return 0

    def read(self, key: str, after: int = 0) -> Frame | None:
        """The latest complete frame of `key` if it is newer than `after`; else None."""
        seq, mm = self.seq(key), self._mm
        if seq == 0 or seq == after or mm is None:
            return None
        s = self.streams[key]
        slot = (
            s["offset"] + STREAM_HEADER + (seq % 2) * (SLOT_HEADER + s["width"] * s["height"] * 3)
        )
        try:
            gen, w, h = struct.unpack_from("<QII", mm, slot)
            if gen != 2 * seq or not (0 < w <= s["width"] and 0 < h <= s["height"]):
                return None  # being rewritten (the writer lapped us): the next tick has a newer one
            data = mm[slot + SLOT_HEADER : slot + SLOT_HEADER + w * h * 3]
            if struct.unpack_from("<Q", mm, slot)[0] != gen:
                return None  # torn while copying
        except ValueError:  # closed meanwhile
            return None
        return Frame(seq, w, h, data)

    def stream_of(self, role: str, name: str) -> str | None:
        return self.parties.get((role, name))

    def set_parties(self, staff: object) -> None:
        """From the worker's `participants` event: which stream shows whom."""
        parties = {}
        for p in staff if isinstance(staff, list) else []:
            if isinstance(p, dict) and p.get("stream") in self.streams:
                parties[(str(p.get("role", ""))[:40], str(p.get("name", ""))[:60])] = p["stream"]
        self.parties = parties

    def close(self) -> None:
        if self._mm is not None:
            mm, self._mm = self._mm, None
            mm.close()

    @property
    def closed(self) -> bool:
        return self._mm is None

    def wipe(self) -> bool:
        """The worker died before it could: zero and unlink the file we accepted (the same file:
        device and inode checked). True if there was one to wipe."""
        self.close()
        return wipe_file(self.path, self._ident)


def wipe_file(path: str, ident: tuple) -> bool:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        return False
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != ident:
            return False  # another file by now: not ours to touch
        size = st.st_size
        if size:
            with mmap.mmap(fd, size) as mm:
                mm[:] = bytes(size)
                mm.flush()
        os.unlink(path)
        return True
    finally:
        os.close(fd)


def _checked(a: object, directory: str) -> tuple[str, int, list[dict]]:
    """The announcement's path, size and streams, or CallVideoError with a code."""
    if not isinstance(a, dict):
        raise CallVideoError("video buffer: announcement is not an object", code="shape")
    path, size, streams = a.get("path"), a.get("size"), a.get("streams")
    if not isinstance(path, str) or not isinstance(size, int) or not isinstance(streams, list):
        raise CallVideoError("video buffer: path, size or streams missing", code="shape")
    if os.path.dirname(path) != directory or not _NAME.fullmatch(os.path.basename(path)):
        raise CallVideoError("video buffer: not in the frame directory", code="path")
    if not 0 < size <= MAX_BYTES:
        raise CallVideoError("video buffer: too large", code="too_large")
    if not 0 < len(streams) <= MAX_STREAMS:
        raise CallVideoError("video buffer: number of streams", code="streams")
    wanted = []
    for s in streams:
        if not isinstance(s, dict) or not all(
            isinstance(s.get(k), int) and not isinstance(s.get(k), bool)
            for k in ("offset", "width", "height")
        ):
            raise CallVideoError("video buffer: a stream is malformed", code="stream")
        key = s.get("key")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise CallVideoError("video buffer: unknown stream", code="stream")
        w, h = s["width"], s["height"]
        if not (0 < w <= MAX_W and 0 < h <= MAX_H and w % 4 == 0):
            raise CallVideoError("video buffer: a picture too large", code="too_large")
        wanted.append((key, w, h))
    layout, end = _layout(wanted)
    if len({k for k, _, _ in wanted}) != len(wanted):
        raise CallVideoError("video buffer: a stream twice", code="stream")
    if [s["offset"] for s in layout] != [s["offset"] for s in streams] or end != size:
        raise CallVideoError("video buffer: offsets do not match the layout", code="layout")
    return path, size, layout
