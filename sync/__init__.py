"""Terminal sync (outbox, agent), the central side, and the wire formats both share. Never
imports kiosk/ or provisioning/ (provisioning writes the key files `sync.keyfiles` reads).

Importing this package starts nothing and imports nothing else (no sockets, no files, no zmq,
requests or cryptography): the names below are loaded from their modules on first use
(PEP 562). Subpackages and modules are imported by their own names.

Public API of `sync` itself (the sealing, outbox, local-state and error API):
- sealing (`sync.sealing`): `seal`, `open_record`, `RecordHeader`, `SealedRecord`,
  `encode_header`, `decode_header`, `record_hash`, `ChainVerifier`, `verify_chain`,
  `chain_head_message`, `sign_chain_head`, `verify_chain_head`, `FORMAT_VERSION`,
  `GENESIS_HASH`, `KINDS`;
- outbox (`sync.outbox`): `Outbox`, `OutboxConfig`, `AppendResult`, `OutboxStats`,
  `RecoveryReport`; local state (`sync.localstate`): `LocalState`;
- errors (`sync.errors`): `SyncError` and its subclasses.

Layers inside sync (imports point down):
- terminal: `sync.agent` (ZeroMQ DEALER), `sync.outbox`, `sync.localstate`, `sync.sdnotify`;
  central: `sync.central` (receiver, store, processing, issuer, forwarder, dashboard, consult);
- wire and file formats: `sync.sealing`, `sync.protocol`, `sync.bundles`, `sync.trust`,
  `sync.cbor_safe`, `sync.kiosk_challenge`, `sync.readable_reference`, `sync.keyfiles`;
- `sync.errors` (every error of the package), on `madoguchi.core`.
"""

from __future__ import annotations

from madoguchi.core.lazy import lazy_exports

_ERRORS = (
    "ChainError",
    "GapError",
    "LocalStateError",
    "OpenError",
    "OutboxCorruptError",
    "OutboxError",
    "OutboxFullError",
    "OutboxSchemaError",
    "RecordFormatError",
    "RecordPrunedError",
    "SealError",
    "SignatureError",
    "SyncError",
)
_SEALING = (
    "FORMAT_VERSION",
    "GENESIS_HASH",
    "KINDS",
    "ChainVerifier",
    "RecordHeader",
    "SealedRecord",
    "chain_head_message",
    "decode_header",
    "encode_header",
    "open_record",
    "record_hash",
    "seal",
    "sign_chain_head",
    "verify_chain",
    "verify_chain_head",
)
_OUTBOX = ("AppendResult", "Outbox", "OutboxConfig", "OutboxStats", "RecoveryReport")

# name -> module that defines it
_EXPORTS = {
    **dict.fromkeys(_ERRORS, "sync.errors"),
    **dict.fromkeys(_SEALING, "sync.sealing"),
    **dict.fromkeys(_OUTBOX, "sync.outbox"),
    "LocalState": "sync.localstate",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
