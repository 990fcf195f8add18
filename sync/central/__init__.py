"""The central side: receiver, store, processing, forwarder, issuer (dashboard and consultation
in their own subpackages). Never imports device code, kiosk/ or provisioning/.

Receiver (ROUTER + CURVE + ZAP allowlist) → store (SQLite | PostgreSQL, records keyed by device id
and seq) → processing (opens bodies into typed tables). See docs/sync.md.

Importing this package imports nothing else (no zmq, requests, cryptography or database
driver): every name below is loaded from its module on first use (PEP 562).

Public API:
- store: `open_store` (`stores`), `Store`, `CommitResult`, `DeviceState`, `KIND_TABLES` (`store`);
- receiver: `Receiver`, `ReceiverConfig`, `Allowlist`, `MemoryAllowlist`, `Device` (`receiver`);
- processing: `Processor`, `ProcessingConfig` (`processing`);
- forwarder: `Forwarder`, `ForwarderConfig`, `ForwardReport`, `StoreApplications`,
  `store_forwarder` (`forwarder`);
- issuer: `Issuer`, `IssuerConfig`, `Slot` (`issuer`); `default_handlers` (`config_files`:
  the issuer's config read from the central key directory, for entry points);
- errors (`sync.central.errors`): `CentralError` and its subclasses; `ForwarderError` and
  `IssuerError` are also named here.
"""

from __future__ import annotations

from madoguchi.core.lazy import lazy_exports

# name -> module that defines it
_EXPORTS = {
    "open_store": "sync.central.stores",
    "KIND_TABLES": "sync.central.store",
    "CommitResult": "sync.central.store",
    "DeviceState": "sync.central.store",
    "Store": "sync.central.store",
    "ProcessingConfig": "sync.central.processing",
    "Processor": "sync.central.processing",
    "Allowlist": "sync.central.receiver",
    "Device": "sync.central.receiver",
    "MemoryAllowlist": "sync.central.receiver",
    "Receiver": "sync.central.receiver",
    "ReceiverConfig": "sync.central.receiver",
    "ForwardReport": "sync.central.forwarder",
    "Forwarder": "sync.central.forwarder",
    "ForwarderConfig": "sync.central.forwarder",
    "ForwarderError": "sync.central.errors",
    "StoreApplications": "sync.central.forwarder",
    "store_forwarder": "sync.central.forwarder",
    "Issuer": "sync.central.issuer",
    "IssuerConfig": "sync.central.issuer",
    "IssuerError": "sync.central.errors",
    "Slot": "sync.central.issuer",
    "default_handlers": "sync.central.config_files",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
