"""Who may talk to the receiver, and how fast: the allowlist contract, the ZAP policy built on
it, and the per-device limits (`DeviceGate`).

Invariants: the ZAP policy lets a CURVE key in only if the allowlist knows it and it is not
revoked, asking the allowlist at every handshake (so `sync.keyfiles.Registry`, which re-reads its
file when it changes, makes a revocation effective at the next handshake). Logs say "unknown" or
"revoked", never a key.

`DeviceGate` keys every limit by the enrolled device, never by the connection: all connections
of one device key share one message bucket and one byte bucket, at most `max_connections`
sessions are kept per device (a new one evicts the oldest), and the bytes it holds in quarantine
are counted against `quarantine_quota_bytes` (re-read from the store every `quota_recheck_s`
while over it, so clearing the quarantine lifts it). Its state grows with enrolled devices only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "Allowlist",
    "Device",
    "DeviceGate",
    "DeviceLimits",
    "MemoryAllowlist",
    "TokenBucket",
    "ZapPolicy",
]

log = logging.getLogger("sync.central.receiver")


@dataclass(frozen=True)
class Device:
    """Same shape as `sync.keyfiles.EnrolledDevice` (any object with these attributes works)."""

    device_id: str
    curve_public: bytes
    signing_public: object
    revoked: bool = False


class Allowlist(Protocol):
    def lookup(self, curve_public_z85: bytes) -> Device | None: ...


class MemoryAllowlist:
    """An in-memory allowlist (tests, benchmarks); `sync.keyfiles.Registry` is the real one."""

    def __init__(self, devices: list[Device] | None = None) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[bytes, Device] = {}
        for device in devices or ():
            self.add(device)

    def add(self, device: Device) -> None:
        with self._lock:
            self._by_key[bytes(device.curve_public)] = device

    def revoke(self, device_id: str) -> None:
        with self._lock:
            for key, device in list(self._by_key.items()):
                if device.device_id == device_id:
                    self._by_key[key] = Device(
                        device.device_id, device.curve_public, device.signing_public, True
                    )

    def lookup(self, curve_public_z85: bytes) -> Device | None:
        with self._lock:
            return self._by_key.get(bytes(curve_public_z85))


class ZapPolicy:
    """The `credentials_provider` of pyzmq's ThreadAuthenticator.configure_curve_callback."""

    def __init__(self, allowlist: Allowlist) -> None:
        self.allowlist = allowlist

    def callback(self, domain: str, key: bytes) -> bool:
        device = self.allowlist.lookup(key)
        allowed = device is not None and not device.revoked
        if not allowed:
            log.warning("handshake refused: %s key", "revoked" if device else "unknown")
        return allowed


class TokenBucket:
    """`take(n)` → 0 if allowed, else the seconds to wait; refills at `rate` up to `burst`."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self, amount: float) -> float:
        """0 if allowed, else seconds to wait."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= amount:
            self.tokens -= amount
            return 0.0
        return (amount - self.tokens) / self.rate


@dataclass(frozen=True)
class DeviceLimits:
    rate_messages_per_s: float
    rate_message_burst: float
    rate_bytes_per_s: float
    rate_bytes_burst: float
    max_connections: int
    quarantine_quota_bytes: int
    quota_recheck_s: float = 60.0  # an over-quota device's use is re-read from the store this often


@dataclass
class _DeviceState:
    messages: TokenBucket
    volume: TokenBucket
    sessions: dict[bytes, None] = field(default_factory=dict)  # identities, oldest first
    quarantined: int | None = None  # bytes in quarantine; None until read from the store
    read_at: float = 0.0  # when `quarantined` was last read from the store


class DeviceGate:
    """Per-device limits for the receiver loop (one thread: no locking)."""

    def __init__(self, limits: DeviceLimits) -> None:
        self.limits = limits
        self._devices: dict[str, _DeviceState] = {}

    def _state(self, device_id: str) -> _DeviceState:
        state = self._devices.get(device_id)
        if state is None:
            lim = self.limits
            state = _DeviceState(
                TokenBucket(lim.rate_messages_per_s, lim.rate_message_burst),
                TokenBucket(lim.rate_bytes_per_s, lim.rate_bytes_burst),
            )
            self._devices[device_id] = state
        return state

    def attach(self, device_id: str, identity: bytes) -> list[bytes]:
        """Count a new session of the device; returns the identities evicted to stay in bound."""
        sessions = self._state(device_id).sessions
        sessions[identity] = None
        evicted = []
        while len(sessions) > max(1, self.limits.max_connections):
            oldest = next(iter(sessions))
            del sessions[oldest]
            evicted.append(oldest)
        return evicted

    def detach(self, device_id: str, identity: bytes) -> None:
        state = self._devices.get(device_id)
        if state is not None:
            state.sessions.pop(identity, None)

    def take(self, device_id: str, size: int) -> float:
        """0 if one message of `size` bytes may go now, else the seconds to wait."""
        state = self._state(device_id)
        return max(state.messages.take(1), state.volume.take(min(size, state.volume.burst)))

    def over_quota(self, device_id: str, load: Callable[[], int]) -> bool:
        """True once the device's quarantined bytes reach the quota (`load` reads the store
        the first time this receiver sees the device)."""
        state = self._state(device_id)
        now = time.monotonic()
        full = (
            state.quarantined is not None
            and state.quarantined >= self.limits.quarantine_quota_bytes
        )
        if state.quarantined is None or (
            full and now - state.read_at >= self.limits.quota_recheck_s
        ):
            # first sight, or over quota: an operator may have cleared the quarantine since
            state.quarantined, state.read_at = int(load()), now
        return state.quarantined >= self.limits.quarantine_quota_bytes

    def add_quarantined(self, device_id: str, size: int) -> None:
        state = self._state(device_id)
        if state.quarantined is not None:
            state.quarantined += size
