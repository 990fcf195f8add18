"""The central side: receiver, store, processing, forwarder, issuer, dashboard. Never imports device code.

Receiver (ROUTER + CURVE + ZAP allowlist) → store (SQLite | PostgreSQL, records keyed by device id
and seq) → processing (opens bodies into typed tables). See docs/sync.md.
"""

from sync.central.processing import ProcessingConfig, Processor
from sync.central.receiver import Allowlist, Device, MemoryAllowlist, Receiver, ReceiverConfig
from sync.central.store import KIND_TABLES, CommitResult, DeviceState, Store, open_store

__all__ = [
    "KIND_TABLES",
    "Allowlist",
    "CommitResult",
    "Device",
    "DeviceState",
    "MemoryAllowlist",
    "ProcessingConfig",
    "Processor",
    "Receiver",
    "ReceiverConfig",
    "Store",
    "open_store",
]
# Other parts of the central side (forwarder, issuer) append their exports below.

from sync.central.forwarder import (  # noqa: E402
    Forwarder,
    ForwarderConfig,
    ForwarderError,
    ForwardReport,
    StoreApplications,
    store_forwarder,
)
from sync.central.issuer import Issuer, IssuerConfig, IssuerError, Slot, default_handlers  # noqa: E402

__all__ += [
    "ForwardReport",
    "Forwarder",
    "ForwarderConfig",
    "ForwarderError",
    "Issuer",
    "IssuerConfig",
    "IssuerError",
    "Slot",
    "StoreApplications",
    "default_handlers",
    "store_forwarder",
]
