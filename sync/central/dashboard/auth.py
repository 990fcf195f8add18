"""Who may read the dashboard (pure: no Flask, no I/O).

Invariants:
- With a token configured, a request is admitted only with `Authorization: Bearer <token>` or
  HTTP Basic whose password is the token (any user name: browsers then work with their own
  login prompt). Tokens never travel in the URL and are never logged.
- The comparison is constant-time over SHA-256 digests (neither content nor length leaks).
- Without a token the dashboard may only listen on a loopback address (`check_listen_policy`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress

from sync.central.dashboard.errors import DashboardConfigError

__all__ = ["MIN_TOKEN_CHARS", "authorized", "check_listen_policy", "check_token", "is_loopback"]

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
