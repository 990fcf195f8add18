"""Local state: JSON values by key and per-day counters, durable, atomic across threads and
processes, in a file separate from the outbox."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from sync.errors import LocalStateError
from sync.localstate import LocalState


@pytest.fixture
def state(tmp_path):
    with LocalState(tmp_path / "local.db") as s:
        yield s


def test_values_round_trip_and_persist(tmp_path):
    path = tmp_path / "local.db"
    with LocalState(path) as s:
        assert s.get("catalog.version") is None
        assert s.get("catalog.version", 0) == 0
        s.set("catalog.version", 41)
        s.set("catalog.version", 42)
        s.set("sync.last", {"ok": True, "at": 1767225600, "pending": 3})
        s.set("ui/text-size", "large")
        s.delete("ui/text-size")
    with LocalState(path) as s:
        assert s.get("catalog.version") == 42
        assert s.get("sync.last") == {"ok": True, "at": 1767225600, "pending": 3}
        assert s.get("ui/text-size") is None


def test_counters_per_day(state):
    assert state.counter("queue", "2026-11-22") == 0
    assert [state.next_counter("queue", "2026-11-22") for _ in range(3)] == [1, 2, 3]
    assert state.next_counter("queue", "2026-11-23") == 1
    assert state.next_counter("reprint", "2026-11-22") == 1
    assert state.counter("queue", "2026-11-22") == 3


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("get", ("",)),
        ("get", ("has space",)),
        ("set", ("ok", object())),
        ("set", ("ok", float("nan"))),
        ("set", ("k" * 200, 1)),
        ("next_counter", ("queue", "22/11/2026")),
        ("next_counter", ("queue", 20261122)),
        ("next_counter", ("", "2026-11-22")),
    ],
    ids=["empty key", "space", "object", "nan", "long key", "bad day", "int day", "empty name"],
)
def test_bad_input_is_refused(state, call, args):
    with pytest.raises((ValueError, LocalStateError)):
        getattr(state, call)(*args)


def test_counter_is_atomic_across_threads(state):
    got: list[int] = []
    lock = threading.Lock()

    def work():
        for _ in range(20):
            n = state.next_counter("queue", "2026-11-22")
            with lock:
                got.append(n)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(got) == list(range(1, 81))


_BUMP = """
import sys
from sync.localstate import LocalState
with LocalState(sys.argv[1]) as s:
    print(" ".join(str(s.next_counter("queue", "2026-11-22")) for _ in range(25)))
"""


def test_counter_is_atomic_across_processes(tmp_path):
    path = tmp_path / "local.db"
    LocalState(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _BUMP, str(path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    numbers = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        numbers += [int(x) for x in out.split()]
    assert sorted(numbers) == list(range(1, 76))


def test_unreadable_file_is_an_error(tmp_path):
    path = tmp_path / "local.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(LocalStateError):
        LocalState(path)
