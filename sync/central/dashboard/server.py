"""Serving the dashboard with waitress: on an address, or on the sockets systemd passes.

Invariants:
- Without a token only loopback addresses are served, whether the address comes from
  `--listen` or from an inherited socket (`auth.check_listen_policy`).
- Bounded: a fixed number of worker threads, a connection limit, idle connections closed after
  `channel_timeout`, request headers (URL included) capped, request bodies refused beyond 1 KB.
- `serve(stopped)` runs the event loop in the calling thread until `stopped` is set, then closes
  every connection and joins the workers (bounded); `start()`/`stop()` do the same in a thread.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from dataclasses import dataclass

from waitress import wasyncore
from waitress.server import create_server

from sync.central.dashboard.auth import check_listen_policy
from sync.central.dashboard.errors import DashboardConfigError

__all__ = ["DashboardServer", "Listen", "parse_listen", "socket_hosts", "systemd_sockets"]

_SD_LISTEN_FDS_START = 3
_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>\d{1,5})$")


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_listen(text: str) -> Listen | None:
    """`HOST:PORT` or `[IPv6]:PORT` → Listen; `systemd` → None (use the passed sockets)."""
    if text == "systemd":
        return None
    m = _LISTEN.match(text)
    if not m or int(m.group("port")) > 65535:
        raise DashboardConfigError(
            f"--listen must be HOST:PORT, [IPv6]:PORT or systemd, not {text[:80]!r}"
        )
    return Listen(m.group("v6") or m.group("host"), int(m.group("port")))


def systemd_sockets() -> list[socket.socket]:
    """The listening sockets passed by systemd socket activation (LISTEN_FDS for this pid)."""
    try:
        pid = int(os.environ.get("LISTEN_PID", "0"))
        count = int(os.environ.get("LISTEN_FDS", "0"))
    except ValueError:
        return []
    if pid != os.getpid() or count < 1:
        return []
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)  # not inherited by anything this process starts
    sockets = []
    for fd in range(_SD_LISTEN_FDS_START, _SD_LISTEN_FDS_START + count):
        os.set_inheritable(fd, False)
        sockets.append(socket.socket(fileno=fd))
    return sockets


def _socket_host(sock: socket.socket) -> str:
    if sock.family == socket.AF_UNIX:
        return "localhost"  # a Unix socket is reached only from this machine
    return str(sock.getsockname()[0])


def socket_hosts(sockets: list[socket.socket]) -> list[str]:
    """The address each listening socket is bound to ("localhost" for a Unix socket)."""
    return [_socket_host(s) for s in sockets]


class DashboardServer:
    """The WSGI app on waitress. `listen` or `sockets` (pre-bound, e.g. from systemd)."""

    def __init__(
        self,
        app,
        *,
        token: str | None,
        token_env: str,
        listen: Listen | None = None,
        sockets: list[socket.socket] | None = None,
        threads: int = 4,
    ) -> None:
        if (listen is None) == (not sockets):
            raise DashboardConfigError(
                "--listen systemd needs sockets passed by systemd (none were)"
                if listen is None
                else "either an address or sockets, not both"
            )
        hosts = [listen.host] if listen is not None else [_socket_host(s) for s in sockets or ()]
        for host in hosts:
            check_listen_policy(host, token, token_env)
        self._map: dict = {}
        adjustments = {
            "threads": threads,
            "connection_limit": 64,
            "channel_timeout": 30,
            "cleanup_interval": 10,
            "max_request_header_size": 64 * 1024,
            "max_request_body_size": 1024,
            "ident": "madoguchi-dashboard",
            "expose_tracebacks": False,
            "asyncore_use_poll": True,
            "clear_untrusted_proxy_headers": True,
        }
        try:
            if listen is not None:
                self._server = create_server(app, map=self._map, listen=str(listen), **adjustments)
            else:
                self._server = create_server(app, map=self._map, sockets=sockets, **adjustments)
        except (OSError, ValueError) as e:
            reason = getattr(e, "strerror", None) or str(e)
            raise DashboardConfigError(
                f"cannot listen on {listen or 'the systemd sockets'}: {reason}"
            ) from e
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._close_lock = threading.Lock()
        self._closed = False

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """(host, port) of every listening socket (the port chosen when 0 was asked)."""
        if hasattr(self._server, "effective_listen"):
            return list(self._server.effective_listen)
        return [(self._server.effective_host, self._server.effective_port)]

    @property
    def url(self) -> str:
        host, port = self.addresses[0]
        if isinstance(host, str) and ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def serve(self, stopped: threading.Event | None = None) -> None:
        """Serve in this thread until `stopped` (or `stop()`), then close everything."""
        stopped = stopped or self._stopped
        try:
            while not (stopped.is_set() or self._stopped.is_set()):
                wasyncore.loop(timeout=0.2, map=self._map, use_poll=True, count=1)
        finally:
            self._close()

    def _close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        wasyncore.close_all(self._map)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def start(self) -> DashboardServer:
        self._thread = threading.Thread(target=self.serve, name="dashboard", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._close()  # never started: release the sockets all the same
