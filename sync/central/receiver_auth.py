"""Who may talk to the receiver, and how fast: the allowlist contract, the ZAP policy built on
it, and the per-device token bucket.

Invariants: the ZAP policy lets a CURVE key in only if the allowlist knows it and it is not
revoked, asking the allowlist at every handshake (so `provisioning.Registry`, which re-reads its
file when it changes, makes a revocation effective at the next handshake). Logs say "unknown" or
"revoked", never a key.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Allowlist", "Device", "MemoryAllowlist", "TokenBucket", "ZapPolicy"]

log = logging.getLogger("sync.central.receiver")


@dataclass(frozen=True)
class Device:
    """Same shape as `provisioning.EnrolledDevice` (any object with these attributes works)."""

    device_id: str
    curve_public: bytes
    signing_public: object
    revoked: bool = False


class Allowlist(Protocol):
    def lookup(self, curve_public_z85: bytes) -> Device | None: ...


class MemoryAllowlist:
    """An in-memory allowlist (tests, benchmarks); `provisioning.Registry` is the real one."""

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
