"""Disk full: the outbox refuses a record with `OutboxFullError` before writing anything, whether
the configured reserve is above the free space, the file hits its size cap (SQLite's own "full",
rolled back), or a real small filesystem (tmpfs, when we may mount one) runs out. Nothing is
corrupted and no sequence number is used up by a refused record."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.errors import OutboxFullError
from sync.outbox import Outbox, OutboxConfig
from sync.sealing import open_record

CENTRAL = X25519PrivateKey.generate()


def _outbox(path, **kw) -> Outbox:
    return Outbox(OutboxConfig(path, **kw), "kiosk-01", CENTRAL.public_key(), "seal-1")


def test_reserve_above_free_space_refuses(tmp_path):
    path = tmp_path / "outbox.db"
    with _outbox(path, reserve_bytes=0) as ob:
        ob.append("survey", {"i": 1})
    free = shutil.disk_usage(tmp_path).free
    with _outbox(path, reserve_bytes=free + 2**30) as ob:
        with pytest.raises(OutboxFullError) as e:
            ob.append("application", {"i": 2})
        assert e.value.reserve_bytes == free + 2**30
        assert 0 < e.value.free_bytes <= free + 2**20
        s = ob.stats()
        assert (s.last_seq, s.pending) == (1, 1)
        assert ob.verify()[0] == 1
    with _outbox(path, reserve_bytes=0) as ob:
        assert ob.append("application", {"i": 2}).seq == 2  # no seq was used up
        assert ob.verify()[0] == 2


def test_size_cap_hits_sqlite_full_and_rolls_back(tmp_path):
    path = tmp_path / "outbox.db"
    accepted = 0
    with _outbox(path, reserve_bytes=0, max_db_bytes=128 * 1024) as ob:
        with pytest.raises(OutboxFullError):
            for i in range(10_000):
                ob.append("survey", {"i": i, "pad": os.urandom(1500)})
                accepted += 1
        assert accepted > 10
        assert ob.verify()[0] == accepted
        with pytest.raises(OutboxFullError):  # still full, still consistent
            ob.append("survey", {"pad": os.urandom(1500)})
        assert ob.stats().last_seq == accepted
        ob.mark_acked(accepted)  # state changes that need no new pages still work
    with _outbox(path, reserve_bytes=0) as ob:  # cap lifted: continues without a gap
        assert ob.recovery is None
        assert ob.append("survey", {}).seq == accepted + 1
        assert ob.verify()[0] == accepted + 1


@pytest.fixture
def small_fs(tmp_path):
    """A 1 MiB tmpfs mounted in the test's temp dir (root only); unmounted afterwards."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mnt)],
            check=True,
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot mount a tmpfs here: {e}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False, capture_output=True, timeout=20)


def test_small_filesystem_fills_up_cleanly(small_fs):
    """Ballast (say, logs) and the outbox share 1 MiB; the outbox fills the rest, refuses cleanly,
    and accepts again once the ballast is removed."""
    ballast = small_fs / "ballast"
    ballast.write_bytes(b"\x00" * (300 * 1024))
    path = small_fs / "outbox.db"
    accepted = []
    with _outbox(path, reserve_bytes=0) as ob:
        with pytest.raises(OutboxFullError) as e:
            for i in range(10_000):
                accepted.append(ob.append("shelter_checkin", {"i": i, "pad": os.urandom(4000)}))
        assert e.value.free_bytes < 1024 * 1024
        assert len(accepted) > 20
        assert ob.verify()[0] == len(accepted)
        with pytest.raises(OutboxFullError):  # refused again, still consistent
            ob.append("shelter_checkin", {"pad": os.urandom(4000)})
        assert ob.stats().last_seq == len(accepted)
    with _outbox(path, reserve_bytes=0) as ob:  # reopen on a full disk: nothing to recover
        assert ob.recovery is None
        assert ob.verify()[0] == len(accepted)
        last = ob.records_from(len(accepted), 1, 10**7)[0]
        assert open_record(last, CENTRAL)["i"] == len(accepted) - 1
    ballast.unlink()
    with _outbox(path, reserve_bytes=0) as ob:
        assert ob.recovery is None
        assert ob.append("shelter_checkin", {"i": "after"}).seq == len(accepted) + 1
        assert ob.verify()[0] == len(accepted) + 1
