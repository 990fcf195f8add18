"""The kiosk (appends) and the sync agent (acks) are two users sharing only the group
`madoguchi` (setgid /var/lib/madoguchi 2770, UMask=0007 in both units): each must open the
outbox the other created. The image's boot check found the agent locked out of an owner-only
(0600) outbox ("outbox error: OutboxError"). Real uids, real files, real SQLite in WAL mode."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="switching to the service uids needs root"
)

KIOSK_UID, SYNC_UID, GID, OTHER_UID = 9412, 9411, 9410, 9413
REPO = Path(__file__).resolve().parents[3]

# Imports first, then the switch to the service's uid/gid and umask: the test's interpreter
# lives under /root, where the service uids cannot go (the files under test are what matters).
_SCRIPT = """
import os, sys
from pathlib import Path
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sync.errors import SyncError
from sync.outbox import Outbox, OutboxConfig

side, path, uid, gid = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.setgroups([gid]); os.setresgid(gid, gid, gid); os.setresuid(uid, uid, uid)
os.umask(0o007)  # the units' UMask=
key = X25519PrivateKey.generate().public_key() if side == "kiosk" else None
try:
    ob = Outbox(OutboxConfig(path, reserve_bytes=0), "kita-01", key, "s1").open()
    ob.mark_acked(0)
    print(side, "ok", ob.stats().last_acked_seq)
    ob.close()
except SyncError as e:
    print(side, "refused", type(e).__name__, e)
    sys.exit(3)
"""


@pytest.fixture
def shared_dir():
    """/var/lib/madoguchi as tmpfiles makes it: 2770 root:madoguchi, under dirs others may pass."""
    base = Path(tempfile.mkdtemp(prefix="madoguchi-outbox-"))
    os.chmod(base, 0o755)
    d = base / "madoguchi"
    d.mkdir()
    os.chown(d, 0, GID)
    os.chmod(d, 0o2770)
    yield d
    shutil.rmtree(base, ignore_errors=True)


def _open_as(side: str, uid: int, path: Path, gid: int = GID) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, side, str(path), str(uid), str(gid)],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    "first,second",
    [(("kiosk", KIOSK_UID), ("agent", SYNC_UID)), (("agent", SYNC_UID), ("kiosk", KIOSK_UID))],
)
def test_each_side_opens_the_outbox_the_other_created(shared_dir, first, second):
    path = shared_dir / "outbox.sqlite3"
    for side, uid in (first, second, first):
        r = _open_as(side, uid, path)
        assert r.returncode == 0, (side, r.stdout, r.stderr[-400:])
        assert r.stdout.startswith(f"{side} ok")
    for f in shared_dir.iterdir():
        if f.is_file():
            st = f.stat()
            # group rw for the other service, nothing for others; the group is the dir's
            assert stat.S_IMODE(st.st_mode) == 0o660, f.name
            assert st.st_gid == GID, f.name


@pytest.mark.timeout(120)
def test_a_user_outside_the_group_is_refused_clearly(shared_dir):
    path = shared_dir / "outbox.sqlite3"
    assert _open_as("kiosk", KIOSK_UID, path).returncode == 0
    r = _open_as("agent", OTHER_UID, path, gid=OTHER_UID)
    assert r.returncode == 3, (r.stdout, r.stderr[-400:])
    assert r.stdout.startswith("agent refused")
    assert path.stat().st_size > 0  # nothing lost: the file is untouched
