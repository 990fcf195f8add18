"""Outbox, record sealing, the ZeroMQ sync agent and protocol. Never imports kiosk/.

This module re-exports the sealing, outbox, local-state and error API; importing it starts nothing
(no sockets, no files). The agent, protocol and central side are imported from their own modules.
"""

from sync.errors import (
    ChainError,
    GapError,
    LocalStateError,
    OpenError,
    OutboxCorruptError,
    OutboxError,
    OutboxFullError,
    OutboxSchemaError,
    RecordFormatError,
    RecordPrunedError,
    SealError,
    SignatureError,
    SyncError,
)
from sync.localstate import LocalState
from sync.outbox import (
    AppendResult,
    Outbox,
    OutboxConfig,
    OutboxStats,
    RecoveryReport,
)
from sync.sealing import (
    FORMAT_VERSION,
    GENESIS_HASH,
    KINDS,
    ChainVerifier,
    RecordHeader,
    SealedRecord,
    chain_head_message,
    decode_header,
    encode_header,
    open_record,
    record_hash,
    seal,
    sign_chain_head,
    verify_chain,
    verify_chain_head,
)

__all__ = [
    "AppendResult",
    "LocalState",
    "Outbox",
    "OutboxConfig",
    "OutboxStats",
    "RecoveryReport",
    "FORMAT_VERSION",
    "GENESIS_HASH",
    "KINDS",
    "ChainError",
    "ChainVerifier",
    "GapError",
    "LocalStateError",
    "OpenError",
    "OutboxCorruptError",
    "OutboxError",
    "OutboxFullError",
    "OutboxSchemaError",
    "RecordFormatError",
    "RecordHeader",
    "RecordPrunedError",
    "SealError",
    "SealedRecord",
    "SignatureError",
    "SyncError",
    "chain_head_message",
    "decode_header",
    "encode_header",
    "open_record",
    "record_hash",
    "seal",
    "sign_chain_head",
    "verify_chain",
    "verify_chain_head",
]
