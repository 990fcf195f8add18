"""Errors of the sync package (sealing, outbox, local state, key files; protocol errors below).

Every error derives from `SyncError`, itself a `MadoguchiError`. Fields are structured (sequence
numbers, byte counts) so callers never parse messages; messages never carry record bodies or any
personal data, only sequence numbers, sizes and reasons.
"""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = [
    "CentralKeysError",
    "ChainError",
    "DeviceBundleError",
    "DuplicateDeviceError",
    "GapError",
    "KeyFileError",
    "KeyFormatError",
    "LocalStateError",
    "OpenError",
    "OutboxCorruptError",
    "OutboxError",
    "OutboxFullError",
    "OutboxSchemaError",
    "RecordFormatError",
    "RecordPrunedError",
    "RegistryError",
    "SealError",
    "SignatureError",
    "SyncError",
    "UnknownDeviceError",
]


class SyncError(MadoguchiError):
    """Base of every error of the sync package."""


# --- sealing and verification ---------------------------------------------------------------


class SealError(SyncError):
    """A body could not be sealed (not CBOR-encodable, bad public key, bad header)."""


class OpenError(SyncError):
    """A sealed body could not be opened: wrong key, altered ciphertext or header, bad framing."""


class RecordFormatError(SyncError):
    """A header (or a record's framing) is malformed: not canonical CBOR, missing/extra fields,
    wrong types or values out of range."""


class ChainError(SyncError):
    """The hash chain is broken at `seq`: altered, reordered or duplicated records, a foreign
    device id, or a chain head that does not match."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"chain broken at seq {seq}: {reason}")
        self.seq = seq
        self.reason = reason


class GapError(ChainError):
    """A sequence number is missing: `expected_seq` was due, `got_seq` came (a deleted record).

    A `ChainError` whose `seq` is the first missing sequence number.
    """

    def __init__(self, expected_seq: int, got_seq: int) -> None:
        super().__init__(expected_seq, f"gap: expected seq {expected_seq}, got {got_seq}")
        self.expected_seq = expected_seq
        self.got_seq = got_seq


class SignatureError(SyncError):
    """A chain-head signature does not verify for the device's public key."""


# --- outbox --------------------------------------------------------------------------------


class OutboxError(SyncError):
    """Base of the outbox's own errors."""


class OutboxFullError(OutboxError):
    """Not enough free disk space to accept a record while keeping `reserve_bytes` free.

    Nothing was written; the UI tells the resident and staff.
    """

    def __init__(self, free_bytes: int, reserve_bytes: int) -> None:
        super().__init__(
            f"outbox full: {free_bytes} bytes free, {reserve_bytes} bytes must stay free"
        )
        self.free_bytes = free_bytes
        self.reserve_bytes = reserve_bytes


class OutboxCorruptError(OutboxError):
    """The outbox file failed its integrity check or its stored chain does not verify.

    `moved_to` is where a damaged file was moved (never deleted), or None.
    """

    def __init__(self, reason: str, moved_to: str | None = None) -> None:
        super().__init__(
            f"outbox damaged: {reason}" + (f" (moved to {moved_to})" if moved_to else "")
        )
        self.reason = reason
        self.moved_to = moved_to


class OutboxSchemaError(OutboxError):
    """The outbox file carries migrations this software does not know (written by a newer one)."""

    def __init__(self, unknown: list[str]) -> None:
        super().__init__(f"outbox schema has unknown migrations: {', '.join(unknown)}")
        self.unknown = list(unknown)


class RecordPrunedError(OutboxError):
    """Record `seq` is not here any more: acked and its ciphertext dropped after retention, or it
    lives in an earlier (moved-aside) file. `next_seq` is the first later seq still available
    (None when there is none), so a sender can skip the whole range at once."""

    def __init__(self, seq: int, next_seq: int | None = None) -> None:
        super().__init__(f"record {seq} is no longer available (pruned or in an earlier file)")
        self.seq = seq
        self.next_seq = next_seq


# --- local state ---------------------------------------------------------------------------


class LocalStateError(SyncError):
    """The device-local key/value store could not be read or written."""


# --- key files (device bundle, central key directory, device registry: `sync.keyfiles`) -------


class KeyFileError(SyncError):
    """Base of the key-file errors. Fields are structured (paths, device ids, lengths); no
    message carries a secret."""

    def __init__(self, message: str, **fields: object) -> None:
        self.fields = fields
        detail = ", ".join(f"{k}={v}" for k, v in fields.items())
        super().__init__(f"{message} ({detail})" if detail else message)


class KeyFormatError(KeyFileError):
    """A key or key file has the wrong encoding, length or type."""


class CentralKeysError(KeyFileError):
    """The central key directory is missing, incomplete or already initialised."""


class DeviceBundleError(KeyFileError):
    """A device bundle directory or tarball is missing, incomplete or malformed."""


class RegistryError(KeyFileError):
    """The device registry file cannot be read or written."""


class UnknownDeviceError(RegistryError):
    """No enrolled device has this id."""


class DuplicateDeviceError(RegistryError):
    """A device with this id (or this key) is already enrolled."""
