"""Agent configuration and the status file the UI and `sync-agent status` read.

Invariants: `AgentConfig` rejects nonsensical limits at construction; the status file is written
atomically (temp file + rename) so a reader never sees half of it, never through a symlink
planted in its group-writable directory, and it holds counts, seqs, times and error codes only,
never record content.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sync.errors import AgentConfigError

__all__ = ["AgentConfig", "AgentStatus", "backoff_delay", "read_status", "write_status"]


@dataclass(frozen=True)
class AgentConfig:
    """Everything the device agent needs besides its keys and outbox; safe defaults."""

    endpoint: str  # the central receiver, e.g. tcp://central.example:5570
    server_public: bytes  # the central CURVE public key (z85), pinned from the device bundle
    batch_max_records: int = 500
    batch_max_bytes: int = 1024 * 1024
    window: int = 4  # batches in flight before waiting for an ACK
    hello_timeout_s: float = 5.0
    ack_timeout_s: float = 30.0
    heartbeat_interval_s: float = 5.0
    heartbeat_timeout_s: float = 15.0  # nothing from the central side this long: reconnect
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 60.0
    idle_poll_s: float = 0.5  # how often an idle agent looks for new outbox records
    request_endpoint: str | None = None  # e.g. ipc:///run/madoguchi/agent.sock for the kiosk
    status_path: Path | None = None
    status_interval_s: float = 1.0
    drain_timeout_s: float = 2.0  # on stop: wait this long for in-flight ACKs
    progress_interval_s: float = 5.0  # log drain progress this often when a backlog exists

    def __post_init__(self) -> None:
        if not self.endpoint:
            raise AgentConfigError("endpoint is empty")
        if len(self.server_public) != 40:
            raise AgentConfigError("server_public must be a 40-character z85 CURVE key")
        if not 1 <= self.batch_max_records <= 2000:
            raise AgentConfigError("batch_max_records must be within 1..2000")
        if self.batch_max_bytes < 1024:
            raise AgentConfigError("batch_max_bytes must be >= 1024")
        if not 1 <= self.window <= 64:
            raise AgentConfigError("window must be within 1..64")
        if self.backoff_base_s <= 0 or self.backoff_cap_s < self.backoff_base_s:
            raise AgentConfigError("need 0 < backoff_base_s <= backoff_cap_s")
        if self.heartbeat_timeout_s <= self.heartbeat_interval_s:
            raise AgentConfigError("heartbeat_timeout_s must exceed heartbeat_interval_s")
        if self.status_path is not None:
            object.__setattr__(self, "status_path", Path(self.status_path))


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0.0, min(cap, base * (2 ** min(attempt, 32))))


@dataclass
class AgentStatus:
    """What the staff screen shows: never content, only counts, seqs, times and codes."""

    device_id: str = ""
    state: str = "stopped"  # connecting | connected | backoff | revoked | stopped
    connected: bool = False
    backlog: int = 0  # records not yet acknowledged by the central side
    last_seq: int = 0
    acked_seq: int = 0
    central_committed_seq: int = 0
    last_success_at: float | None = None  # unix time of the last ACK
    last_error: str = ""
    rejected: int = 0
    reconnects: int = 0
    catalog_version: int = 0
    pid: int = field(default_factory=os.getpid)
    updated_at: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def write_status(path: Path, status: AgentStatus) -> None:
    """Replace the status file atomically. Its directory (/run/madoguchi) is group-writable, so
    the temp file gets a fresh random name opened with O_EXCL|O_NOFOLLOW (mkstemp): a symlink or
    file planted there is never written through, and the rename replaces a planted link at
    `path` itself rather than the file it points to."""
    path = Path(path)
    data = json.dumps(status.to_dict(), sort_keys=True).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o640)  # the kiosk (same group) reads it
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_status(path: Path) -> AgentStatus | None:
    """The last status the agent wrote, or None if there is none (agent never ran)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise AgentConfigError(f"status file unreadable: {type(e).__name__}") from e
    if not isinstance(data, dict):
        raise AgentConfigError("status file unreadable: not a JSON object")
    # Readers (the kiosk's status bar, diagnostics) trust these types: a value of another type
    # (a damaged or foreign file) is dropped and the field keeps its default.
    defaults = AgentStatus(pid=0)
    values = {}
    for name in AgentStatus.__dataclass_fields__:
        if name not in data:
            continue
        value, default = data[name], getattr(defaults, name)
        if name == "last_success_at":
            ok = value is None or (isinstance(value, int | float) and not isinstance(value, bool))
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int | float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if ok:
            values[name] = value
    return AgentStatus(**values)
