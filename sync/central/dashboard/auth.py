"""Who may read the dashboard (pure: no Flask, no I/O).

Invariants:
- With a token configured, a request is admitted only with `Authorization: Bearer <token>` or
  HTTP Basic whose password is the token (any user name: browsers then work with their own
  login prompt). Tokens never travel in the URL and are never logged.
- The comparison is constant-time over SHA-256 digests (neither content nor length leaks).
- Without a token the dashboard may only listen on a loopback address (`check_listen_policy`).
- Host allowlist: a request whose `Host` header names no allowed host is refused before
  anything else, so a DNS-rebinding page (its own name resolving to 127.0.0.1) cannot read
  `/api/...` from the victim's browser (`host_allowed`). The default list is the loopback names
  and the listen address; a name the dashboard is reached by must be added.
- Failed logins are limited per client address (`LoginLimiter`): after `max_failures` within
  `window_s` the client gets 429 for `lockout_s`, even with the right token, so a token cannot be
  guessed online. In memory, bounded (the oldest clients are forgotten first), per process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Iterable

from sync.central.dashboard.errors import DashboardConfigError

__all__ = [
    "LOOPBACK_HOSTS",
    "MIN_TOKEN_CHARS",
    "LoginLimiter",
    "authorized",
    "check_listen_policy",
    "check_token",
    "default_allowed_hosts",
    "host_allowed",
    "is_loopback",
]

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

MIN_TOKEN_CHARS = 16


def check_token(token: str | None, env_name: str) -> str | None:
    """The token as configured (None when unset or empty); a short one is refused."""
    if not token:
        return None
    if len(token) < MIN_TOKEN_CHARS:
        raise DashboardConfigError(
            f"the token in {env_name} is too short (at least {MIN_TOKEN_CHARS} characters)"
        )
    return token


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def _presented(header: str) -> str | None:
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        user, sep, password = decoded.partition(":")
        return password if sep else None
    return None


def authorized(header: str | None, token: str | None) -> bool:
    """May a request with this `Authorization` header read the dashboard?"""
    if token is None:
        return True
    if not header:
        return False
    presented = _presented(header)
    if presented is None:
        return False
    return hmac.compare_digest(_digest(presented), _digest(token))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def check_listen_policy(host: str, token: str | None, env_name: str) -> None:
    """Refuse to serve a non-loopback address without a token."""
    if token is None and not is_loopback(host):
        raise DashboardConfigError(
            f"refusing to listen on {host} without a token: set {env_name} "
            f"(at least {MIN_TOKEN_CHARS} characters) or listen on 127.0.0.1"
        )


def _split_host(value: str) -> tuple[str, str | None]:
    """(host, port or None) of a Host header or an allowlist entry; IPv6 in brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else None
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, port
    return value, None


def default_allowed_hosts(listen_hosts: Iterable[str]) -> tuple[str, ...]:
    """The loopback names, and every listen address that is not a wildcard."""
    out = list(LOOPBACK_HOSTS)
    for host in listen_hosts:
        host = host.strip("[]").lower()
        if host and host not in ("0.0.0.0", "::") and host not in out:
            out.append(host)
    return tuple(out)


def host_allowed(header: str | None, allowed: Iterable[str]) -> bool:
    """Does this `Host` header name an allowed host? An entry without a port allows any port."""
    if not header or any(c.isspace() or c in "/@?#" for c in header):
        return False
    host, port = _split_host(header)
    if port is not None and not port.isdigit():
        return False
    for entry in allowed:
        a_host, a_port = _split_host(entry)
        if host == a_host and (a_port is None or a_port == port):
            return True
    return False


class LoginLimiter:
    """Failed logins per client: `max_failures` within `window_s` lock the client out for
    `lockout_s`. Times are passed in (monotonic seconds), so tests advance them."""

    def __init__(
        self,
        *,
        max_failures: int = 10,
        window_s: float = 300.0,
        lockout_s: float = 300.0,
        max_clients: int = 10_000,
    ) -> None:
        if max_failures < 1 or window_s <= 0 or lockout_s <= 0 or max_clients < 1:
            raise DashboardConfigError("login limits must be positive")
        self.max_failures, self.window_s, self.lockout_s = max_failures, window_s, lockout_s
        self._max_clients = max_clients
        self._lock = threading.Lock()
        # client -> [failures in the window, window start, locked until]
        self._clients: OrderedDict[str, list[float]] = OrderedDict()

    def retry_after(self, client: str, now: float) -> float | None:
        """Seconds this client must wait, or None when it may try."""
        with self._lock:
            entry = self._clients.get(client)
            if entry is None or entry[2] <= now:
                return None
            return entry[2] - now

    def failed(self, client: str, now: float) -> None:
        with self._lock:
            entry = self._clients.pop(client, None)
            if entry is None or now - entry[1] > self.window_s:
                entry = [0.0, now, 0.0]
            entry[0] += 1
            if entry[0] >= self.max_failures:
                entry[:] = [0.0, now, now + self.lockout_s]
            self._clients[client] = entry  # most recent last
            while len(self._clients) > self._max_clients:
                self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            entry = self._clients.get(client)
            if entry is not None and entry[2] == 0.0:
                del self._clients[client]
