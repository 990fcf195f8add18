"""The call's pictures between the call worker and the kiosk side (`kiosk.call._frames`):

- a malformed or oversized announcement of the frame buffer is refused plainly, table-driven,
  through `FrameReader.open` and through a real process speaking the worker's JSON lines to a
  real `CallPort` (the refusal is an `error` event; nothing is mapped);
- with the real worker (`CallRig`: namespaces, receiver, agent, the console in Debian's chromium
  with a fake camera): the buffer is the kiosk user's, 0600, announced before the call; the
  specialist's picture and the resident's own arrive scaled, many distinct frames; it is gone
  (zeroed, then unlinked) after a hang-up, and after the worker is killed mid-call.
The widget that draws them in the Kivy window: tests/kiosk/ui/test_consult_call_video.py."""

from __future__ import annotations

import json
import mmap
import os
import signal
import stat
import sys
from pathlib import Path

import pytest

from kiosk.call import CallPort
from kiosk.call._frames import MAX_BYTES, FrameReader, FrameWriter
from kiosk.call.errors import CallVideoError

PASSWORD = "correct horse battery"
needs_rig = [
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]
pytestmark = pytest.mark.timeout(150)


@pytest.fixture
def good(tmp_path):
    writer = FrameWriter(str(tmp_path))
    yield writer, writer.announcement()
    writer.close()


def _bad(a: dict, tmp_path: Path) -> list[tuple[str, object, str]]:
    """(case, announcement, code) — each must be refused."""
    streams = a["streams"]
    other = tmp_path / "elsewhere"
    other.mkdir()
    return [
        ("not an object", ["video"], "shape"),
        ("no path", {k: v for k, v in a.items() if k != "path"}, "shape"),
        ("size a string", {**a, "size": str(a["size"])}, "shape"),
        ("outside the directory", {**a, "path": str(other / Path(a["path"]).name)}, "path"),
        ("a traversal", {**a, "path": f"{tmp_path}/../{Path(a['path']).name}"}, "path"),
        ("another name", {**a, "path": str(tmp_path / "passwd")}, "path"),
        ("oversized", {**a, "size": MAX_BYTES + 1}, "too_large"),
        ("no stream", {**a, "streams": []}, "streams"),
        ("nine streams", {**a, "streams": streams + streams[:3]}, "streams"),
        (
            "a 4K picture",
            {**a, "streams": [{**streams[0], "width": 3840, "height": 2160}]},
            "too_large",
        ),  # fmt: skip
        (
            "width not ×4",
            {**a, "streams": [{**streams[0], "width": 638}, *streams[1:]]},
            "too_large",
        ),  # fmt: skip
        (
            "an unknown stream",
            {**a, "streams": [{**streams[0], "key": "../x"}, *streams[1:]]},
            "stream",
        ),  # fmt: skip
        ("a stream twice", {**a, "streams": [streams[0], streams[0], *streams[2:]]}, "stream"),
        (
            "width a bool",
            {**a, "streams": [{**streams[0], "width": True}, *streams[1:]]},
            "stream",
        ),  # fmt: skip
        (
            "offsets moved",
            {**a, "streams": [{**streams[0], "offset": 0}, *streams[1:]]},
            "layout",
        ),  # fmt: skip
        ("size not the layout's", {**a, "size": a["size"] - 1}, "layout"),
    ]


def test_a_malformed_announcement_is_refused_and_nothing_is_mapped(tmp_path, good):
    _writer, a = good
    for case, bad, code in _bad(a, tmp_path):
        with pytest.raises(CallVideoError) as e:
            FrameReader.open(bad, str(tmp_path))
        assert e.value.code == code, case
    reader = FrameReader.open(a, str(tmp_path))  # the same, well formed, is taken
    assert sorted(reader.streams) == sorted(s["key"] for s in a["streams"])
    reader.close()


def test_a_buffer_that_is_not_ours_to_trust_is_refused(tmp_path, good):
    writer, a = good
    os.chmod(a["path"], 0o644)  # readable by others: a frame there would be anyone's
    with pytest.raises(CallVideoError) as e:
        FrameReader.open(a, str(tmp_path))
    assert e.value.code == "open_mode"
    os.chmod(a["path"], 0o600)
    with open(a["path"], "r+b") as f:
        f.write(b"NOTFRAME")  # not a frame buffer (its header)
    with pytest.raises(CallVideoError) as e:
        FrameReader.open(a, str(tmp_path))
    assert e.value.code == "magic"
    link = tmp_path / "madoguchi-call-1-0123456789abcdef.frames"
    link.symlink_to(a["path"])  # a link planted where a buffer would be
    with pytest.raises(CallVideoError) as e:
        FrameReader.open({**a, "path": str(link)}, str(tmp_path))
    assert e.value.code == "unopenable"
    missing = {**a, "path": str(tmp_path / "madoguchi-call-2-0123456789abcdef.frames")}
    with pytest.raises(CallVideoError) as e:
        FrameReader.open(missing, str(tmp_path))
    assert e.value.code == "unopenable"


def test_the_port_refuses_a_bad_announcement_from_its_worker_plainly(tmp_path, good):
    """A real process on the port's pipes announces a buffer elsewhere, then an oversized one:
    each becomes an `error` event (`bad_video` and why), nothing is mapped, and the file the
    port never accepted is not touched when the worker exits."""
    _writer, a = good
    elsewhere = {**a, "path": "/etc/passwd"}
    oversized = {**a, "size": 1 << 40}
    script = (
        "import json, sys\n"
        f"for e in json.loads({json.dumps([elsewhere, oversized])!r}):\n"
        "    print(json.dumps(e), flush=True)\n"
        "sys.stdin.read()\n"
    )
    script_file = tmp_path / "fake_worker.py"
    script_file.write_text(script)
    port = CallPort(
        "ipc:///nonexistent",
        launcher=[sys.executable, str(script_file)],  # argv after it is ignored
        frames_dir=str(tmp_path),
    )
    try:
        first = port.wait_for("error", 10)
        second = port.wait_for("error", 10, after=port.events.index(first) + 1)
        assert (first["reason"], first["code"]) == ("bad_video", "path")
        assert (second["reason"], second["code"]) == ("bad_video", "too_large")
        assert port.video is None
    finally:
        port.close()
    assert Path(a["path"]).exists()  # the port wipes only a buffer it accepted


def _first(port, kind, timeout=30.0):
    return port.wait_for(kind, timeout)


def _accept(rig, port):
    """The call is queued, the specialist accepts in the console, the call connects."""
    port.wait_for("ready", 30)
    port.call("welfare", "ja")
    port.wait_for("queued", 30)
    page = rig.console_page("tanaka", PASSWORD)
    page.wait_for_selector("#queue tbody tr button.accept")
    page.click("#queue tbody tr button.accept")
    port.wait_for("connected", 30)
    return page


def _frames_seen(reader, key, wanted, deadline_s=30.0):
    """Distinct frames read from the buffer until `wanted` (bounded by a deadline)."""
    import time

    seen, seq, deadline = set(), 0, time.monotonic() + deadline_s
    while len(seen) < wanted and time.monotonic() < deadline:
        frame = reader.read(key, seq)
        if frame is not None:
            seq = frame.seq
            seen.add(frame.data)
        time.sleep(0.02)
    return seen, frame_size(reader, key)


def frame_size(reader, key):
    frame = reader.read(key, 0)
    return None if frame is None else (frame.width, frame.height)


@pytest.mark.parametrize("end", ["hangup", "crash"])
@needs_rig[0]
@needs_rig[1]
def test_the_worker_writes_the_pictures_and_the_buffer_goes_with_the_call(tmp_path, end):
    pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
    pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")
    from madoguchi.rig.call import CallRig

    with CallRig(tmp_path) as rig:
        rig.add_staff("tanaka", PASSWORD, "specialist")
        port = rig.call_port()
        page = _accept(rig, port)
        video = port.video
        assert video is not None and port.wait_for("video", 5)["streams"]
        path = Path(video.path)
        st = path.stat()
        assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.getuid()

        seen, size = _frames_seen(video, "main", 10)
        assert len(seen) >= 10 and size == (640, 480)  # chromium's fake camera, scaled
        assert any(b > 20 for b in next(iter(seen))[::997])  # a picture, not black
        mine, small = _frames_seen(video, "self", 5)
        assert len(mine) >= 5 and small == (240, 180)

        with open(path, "rb") as held:  # to look at what was there once it is unlinked
            if end == "hangup":
                page.click("#hangup")
                port.wait_for("ended", 15)
                assert not path.exists()  # the worker's own doing, at the end of the call
                assert port.close() == 0
            else:
                os.kill(port.pid, signal.SIGKILL)  # the worker dies mid-call
                assert port.wait_for("exited", 15)["code"] == -signal.SIGKILL
                port.close()
            assert not path.exists()
            assert video.closed and video.read("main") is None
            with mmap.mmap(held.fileno(), 0, prot=mmap.PROT_READ) as left:
                assert left[:] == bytes(len(left))  # zeroed before it was unlinked
        assert not [p for p in Path("/dev/shm").glob(f"madoguchi-call-{port.pid}-*")]
