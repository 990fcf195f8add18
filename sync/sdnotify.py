"""A tiny, dependency-free sd_notify(3) client for `Type=notify` units with `WatchdogSec=`.

Invariants: every function is a no-op returning False when the process is not run by systemd
(no NOTIFY_SOCKET), and never raises for a missing or dead socket (a watchdog ping must not
crash the agent); only the datagram socket is touched, no environment is changed.
Usage in the sync agent: `ready()` once connected-or-listening, `watchdog()` at least every
`watchdog_interval() / 2` seconds from the main loop (not from a helper thread: the point is
to prove the loop runs), `stopping()` on SIGTERM, `status("backlog 120")` for `systemctl status`
(never personal data).
"""

from __future__ import annotations

import os
import socket

__all__ = ["notify", "ready", "reloading", "status", "stopping", "watchdog", "watchdog_interval"]


def _address(env: dict) -> str | None:
    path = env.get("NOTIFY_SOCKET")
    if not path:
        return None
    if path.startswith("@"):  # abstract namespace
        return "\0" + path[1:]
    if path.startswith("/"):
        return path
    return None  # vsock and other schemes are not used on a kiosk


def notify(state: str, env: dict | None = None) -> bool:
    """Send one state string (`READY=1`, `WATCHDOG=1`, `STATUS=...`); True if it was sent."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode("utf-8"), address)
    except OSError:
        return False
    return True


def ready(env: dict | None = None) -> bool:
    return notify("READY=1", env)


def reloading(env: dict | None = None) -> bool:
    return notify("RELOADING=1", env)


def stopping(env: dict | None = None) -> bool:
    return notify("STOPPING=1", env)


def watchdog(env: dict | None = None) -> bool:
    return notify("WATCHDOG=1", env)


def status(text: str, env: dict | None = None) -> bool:
    """A one-line status for `systemctl status` (no newlines; never personal data)."""
    return notify("STATUS=" + " ".join(text.split()), env)


def watchdog_interval(env: dict | None = None) -> float | None:
    """The unit's WatchdogSec in seconds if the watchdog is meant for this process, else None."""
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    return usec / 1_000_000 if usec > 0 else None
