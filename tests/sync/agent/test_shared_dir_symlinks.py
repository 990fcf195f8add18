"""Writes into a shared (group-writable) state directory never follow a symlink planted there:
the agent's status file (/run/madoguchi) and `madoguchi.core.durable.write_atomic` (bundles)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from madoguchi.core import durable
from sync.agent._config import AgentStatus, read_status, write_status

pytestmark = pytest.mark.timeout(30)


def _victim(tmp_path):
    victim = tmp_path / "elsewhere" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("precious\n", encoding="utf-8")
    return victim


def _shared_dir(tmp_path):
    shared = tmp_path / "run"
    shared.mkdir()
    shared.chmod(0o770)
    return shared


def test_status_file_write_does_not_follow_planted_symlinks(tmp_path):
    victim = _victim(tmp_path)
    shared = _shared_dir(tmp_path)
    path = shared / "sync-agent.json"
    # The old code wrote through `.sync-agent.json.<pid>.tmp`: plant links at that name and at
    # the status file itself.
    planted = shared / f".{path.name}.{os.getpid()}.tmp"
    planted.symlink_to(victim)
    path.symlink_to(victim)
    write_status(path, AgentStatus(device_id="B01", state="connected", backlog=2))
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not path.is_symlink() and stat.S_ISREG(path.lstat().st_mode)
    assert read_status(path).backlog == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    # the planted link is left alone (not ours), and no temp file of ours is left behind
    assert planted.is_symlink()
    assert sorted(p.name for p in shared.iterdir()) == sorted([path.name, planted.name])


def test_status_file_rewrites_keep_one_regular_file(tmp_path):
    path = _shared_dir(tmp_path) / "sync-agent.json"
    for backlog in range(5):
        write_status(path, AgentStatus(device_id="B01", backlog=backlog))
    assert json.loads(path.read_text(encoding="utf-8"))["backlog"] == 4
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_write_atomic_does_not_follow_a_link_at_the_target(tmp_path):
    victim = _victim(tmp_path)
    path = _shared_dir(tmp_path) / "catalog.bundle"
    path.symlink_to(victim)
    durable.write_atomic(path, b"new bytes", mode=0o644)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not path.is_symlink() and path.read_bytes() == b"new bytes"


def test_write_atomic_refuses_a_link_even_at_a_guessed_temp_name(tmp_path, monkeypatch):
    """Even if an attacker guessed the random temp name, O_EXCL|O_NOFOLLOW refuses it."""
    victim = _victim(tmp_path)
    path = _shared_dir(tmp_path) / "catalog.bundle"
    monkeypatch.setattr(durable.secrets, "token_hex", lambda n: "guessed")
    (path.parent / f".{path.name}.guessed.tmp").symlink_to(victim)
    with pytest.raises(FileExistsError):
        durable.write_atomic(path, b"new bytes")
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not path.exists()
