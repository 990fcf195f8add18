"""The device sync agent (`madoguchi sync-agent`): outbox → central over ZeroMQ CURVE.

`Agent` runs the loop (`enrolled_agent` builds it for an enrolled device); `AgentConfig`
configures it; `RequestClient` is how the kiosk (another
process) sends online requests through the agent's local socket; `read_status` reads the status
file the staff screen and `sync-agent status` show. See docs/sync.md.
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
