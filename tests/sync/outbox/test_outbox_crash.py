"""Crash safety: a child process appends in a loop and is SIGKILLed at random moments.

After every kill the outbox is reopened: every record whose `append` RETURNED (the child writes
its seq to a pipe only after the return) is present, opens with the central key, the sequence has
no gap and the chain verifies up to the recorded head. Kills also land while the file is being
created and migrated. Children are forked from the test process (already warm, so hundreds of
kills stay fast); a second test uses fresh interpreters (exec) to show nothing depends on fork.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync.outbox import Outbox, OutboxConfig
from sync.sealing import open_record

CENTRAL = X25519PrivateKey.generate()
DEVICE = "kiosk-01"


def _config(path) -> OutboxConfig:
    return OutboxConfig(path, reserve_bytes=0)


def _forked_appender(path, write_fd: int, child_no: int) -> None:
    """Runs in the forked child; never returns into pytest."""
    code = 0
    try:
        ob = Outbox(_config(path), DEVICE, CENTRAL.public_key(), "seal-1").open()
        os.write(write_fd, b"ready\n")
        n = 0
        while True:
            n += 1
            r = ob.append("shelter_checkin", {"child": child_no, "n": n, "pad": "x" * (n % 300)})
            os.write(write_fd, f"{r.seq} {child_no} {n}\n".encode())
    except BaseException:
        code = 3
    finally:
        os._exit(code)


def _read_lines(fd: int, deadline: float) -> list[tuple[int, int, int]]:
    """All complete lines until EOF (the child is dead, so EOF comes)."""
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    lines = data.split(b"\n")[:-1]  # a torn last line (killed mid-write) is not "returned"
    return [tuple(int(x) for x in line.split()) for line in lines if line != b"ready"]


def _wait_ready(fd: int) -> None:
    """Consume the child's "ready" line (outbox open) byte by byte, leaving later lines."""
    first = b""
    deadline = time.monotonic() + 30
    while not first.endswith(b"\n") and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            chunk = os.read(fd, 1)
            if not chunk:
                break
            first += chunk
    assert first == b"ready\n", first


def _check_after_crash(path, returned: dict[int, tuple[int, int]], new: list[int]) -> int:
    with Outbox(_config(path), DEVICE, None, "seal-1") as ob:
        assert ob.recovery is None, ob.recovery
        last_seq, _ = ob.verify()  # no gaps, chain intact up to the recorded head
        if returned:
            assert last_seq >= max(returned)
        # every record the last child saw returned is there and opens to what it appended
        # (earlier children's records were checked after their own kill; verify covers them now)
        for seq in new:
            rec = ob.records_from(seq, 1, 10**7)[0]
            assert rec.seq == seq
            body = open_record(rec, CENTRAL)
            assert (body["child"], body["n"]) == returned[seq]
        return last_seq


def _kill_loop(path, kills: int, rng: random.Random, spawn) -> int:
    """Spawn, kill at a random moment, check; returns the number of children killed."""
    returned: dict[int, tuple[int, int]] = {}
    total_killed = 0
    for child_no in range(kills):
        pid, read_fd, wait = spawn(child_no)
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.0, 0.005))  # while opening, checking, migrating
        else:
            _wait_ready(read_fd)
            time.sleep(rng.uniform(0.0, 0.025))  # inside the append loop
        os.kill(pid, signal.SIGKILL)
        died_of = wait()
        lines = _read_lines(read_fd, time.monotonic() + 20)
        os.close(read_fd)
        assert died_of == signal.SIGKILL, f"child {child_no} ended on its own"
        total_killed += 1
        for seq, c, n in lines:
            assert seq not in returned, f"seq {seq} handed out twice"
            returned[seq] = (c, n)
        last = _check_after_crash(path, returned, [seq for seq, _, _ in lines])
        # all returned seqs are 1..last without holes: present by verify, unique by the dict
        assert set(returned) <= set(range(1, last + 1))
    return total_killed


def _fork_spawn(path):
    def spawn(child_no: int):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(r)
            _forked_appender(path, w, child_no)
        os.close(w)

        def wait() -> int | None:
            status = os.waitpid(pid, 0)[1]
            return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None

        return pid, r, wait

    return spawn


@pytest.mark.timeout(120)
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sigkill_while_appending_forked(tmp_path, seed):
    """4 x 55 = 220 kills in the default run."""
    path = tmp_path / "outbox.db"
    killed = _kill_loop(path, 55, random.Random(seed), _fork_spawn(path))
    assert killed == 55


_EXEC_CHILD = """
import os, sys
from pathlib import Path
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sync.outbox import Outbox, OutboxConfig
path, pub, child_no = Path(sys.argv[1]), bytes.fromhex(sys.argv[2]), int(sys.argv[3])
ob = Outbox(OutboxConfig(path, reserve_bytes=0), "kiosk-01",
            X25519PublicKey.from_public_bytes(pub), "seal-1").open()
os.write(1, b"ready\\n")
n = 0
while True:
    n += 1
    r = ob.append("shelter_checkin", {"child": child_no, "n": n, "pad": "x" * (n % 300)})
    os.write(1, f"{r.seq} {child_no} {n}\\n".encode())
"""


def _exec_spawn(path):
    pub = CENTRAL.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def spawn(child_no: int):
        proc = subprocess.Popen(
            [sys.executable, "-c", _EXEC_CHILD, str(path), pub, str(child_no)],
            stdout=subprocess.PIPE,
        )
        fd = proc.stdout.fileno()
        return proc.pid, os.dup(fd), _popen_wait(proc)

    return spawn


def _popen_wait(proc: subprocess.Popen):
    def wait() -> int | None:
        proc.wait(timeout=30)
        proc.stdout.close()
        return -proc.returncode if proc.returncode < 0 else None

    return wait


@pytest.mark.timeout(120)
def test_sigkill_while_appending_fresh_interpreter(tmp_path):
    path = tmp_path / "outbox.db"
    assert _kill_loop(path, 12, random.Random(7), _exec_spawn(path)) == 12


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("seed", range(10, 20))
def test_sigkill_while_appending_many(tmp_path, seed):
    """10 x 200 = 2000 more kills (forked), plus 50 fresh interpreters."""
    path = tmp_path / "outbox.db"
    assert _kill_loop(path, 200, random.Random(seed), _fork_spawn(path)) == 200
    assert _kill_loop(path, 5, random.Random(seed), _exec_spawn(path)) == 5


@pytest.mark.timeout(120)
def test_sigkill_while_creating_a_new_outbox(tmp_path):
    """Kills during file creation and the first migration: the next open finds a usable outbox,
    never a "damaged" one (an interrupted creation is not damage)."""
    rng = random.Random(11)
    for child_no in range(40):
        path = tmp_path / f"new-{child_no}.db"
        pid, read_fd, wait = _fork_spawn(path)(child_no)
        time.sleep(rng.uniform(0.0, 0.004))
        os.kill(pid, signal.SIGKILL)
        assert wait() == signal.SIGKILL
        lines = _read_lines(read_fd, time.monotonic() + 20)
        os.close(read_fd)
        returned = {seq: (c, n) for seq, c, n in lines}
        last = _check_after_crash(path, returned, sorted(returned))
        with Outbox(_config(path), DEVICE, CENTRAL.public_key(), "seal-1") as ob:
            assert ob.recovery is None
            assert ob.append("metric", {}).seq == last + 1
    assert not list(tmp_path.glob("*.damaged-*"))
