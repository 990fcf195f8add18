"""The device sync agent (`madoguchi sync-agent`): outbox → central over ZeroMQ CURVE.

Terminal side: the only terminal module that imports zmq; imports the outbox's API, the wire
formats and `sync.errors`, never the central side, kiosk/ or provisioning/ (the device bundle is
read by the entry point through `sync.keyfiles` and handed in).

Public API:
- `Agent` runs the loop; `enrolled_agent(config, device_bundle, outbox, bundles, ...)` builds it
  for an enrolled device; `AgentConfig` configures it (typed, limits included);
- `RequestClient`: how the kiosk (another process) sends online requests through the agent's
  local socket (`RequestTimeoutError`, `AgentOfflineError`, `RequestRefusedError`);
- `AgentStatus`, `read_status`, `write_status`: the status file the staff screen and
  `sync-agent status` show; `backoff_delay`: the reconnect delay (full jitter);
- errors: `sync.errors.SyncTransportError` and its subclasses. See docs/sync.md.
"""

from sync.agent._agent import Agent, enrolled_agent
from sync.agent._client import RequestClient
from sync.agent._config import AgentConfig, AgentStatus, backoff_delay, read_status, write_status

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentStatus",
    "RequestClient",
    "backoff_delay",
    "enrolled_agent",
    "read_status",
    "write_status",
]
