"""Real parts, started and stopped by tests, benchmarks and the demo: never mocks.

- `PcscRig`: a pcscd of our own (private mount namespace over /run/pcscd when root) with the vpcd
  virtual reader; a virtual card connects to its port over loopback.
- `CupsRig`: a cupsd in a temp dir on its own loopback port and socket, with queues printing into
  `CaptureListener`s so the caller receives the exact bytes printed.
- `PostgresRig`: a throwaway PostgreSQL cluster on a Unix socket, run as an unprivileged user.

Every start waits for readiness with a deadline and raises `RigError` with the daemon's log tail
when it cannot; every stop is bounded in time. Nothing here touches the system's own daemons'
state, and nothing listens beyond what the daemon itself insists on (vpcd binds all interfaces:
it is a test-only driver that must never be on a production image).
"""

from madoguchi.rig._proc import ManagedProcess, RigError, free_port, tcp_listening, wait_for
from madoguchi.rig.cups import CaptureListener, CupsRig
from madoguchi.rig.pcsc import PcscRig
from madoguchi.rig.postgres import PostgresRig

__all__ = [
    "CaptureListener",
    "CupsRig",
    "ManagedProcess",
    "PcscRig",
    "PostgresRig",
    "RigError",
    "free_port",
    "tcp_listening",
    "wait_for",
]
