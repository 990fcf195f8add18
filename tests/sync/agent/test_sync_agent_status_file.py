"""The agent's status file as the kiosk reads it: a damaged or foreign file is one clear error
or defaults, never an exception that stops the kiosk's status refresh."""

from __future__ import annotations

import json

import pytest

from sync.agent._config import AgentStatus, read_status, write_status
from sync.errors import SyncError


def test_round_trip(tmp_path):
    path = tmp_path / "status.json"
    status = AgentStatus(device_id="B01", state="connected", connected=True, backlog=3)
    status.last_success_at = 1234.5
    write_status(path, status)
    got = read_status(path)
    assert got.to_dict() == status.to_dict()


def test_missing_file_is_none(tmp_path):
    assert read_status(tmp_path / "none.json") is None


@pytest.mark.parametrize("content", ["[]", "3", '"text"', "null", "{", "\xff"])
def test_not_an_object_is_a_clear_error(tmp_path, content):
    path = tmp_path / "status.json"
    path.write_text(content, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(SyncError) as e:
        read_status(path)
    assert "status file unreadable" in str(e.value)


def test_values_of_the_wrong_type_keep_their_defaults(tmp_path):
    path = tmp_path / "status.json"
    path.write_text(
        json.dumps(
            {
                "device_id": 5,
                "state": "connected",
                "connected": "yes",
                "backlog": "many",
                "last_seq": True,
                "acked_seq": 7,
                "last_success_at": "yesterday",
                "reconnects": 2.0,
                "unknown_key": 1,
            }
        ),
        encoding="utf-8",
    )
    got = read_status(path)
    assert got.state == "connected" and got.acked_seq == 7 and got.reconnects == 2.0
    assert got.device_id == "" and got.connected is False and got.backlog == 0
    assert got.last_seq == 0 and got.last_success_at is None
