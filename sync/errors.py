"""Every error of the sync package (sealing, outbox, local state, key files, bundles and the root
chain, wire protocol, agent and online requests), in one place; the central side's own errors
(store, issuer, forwarder, residents, retention) are in `sync.central.errors`, the dashboard's
and the consultation's in their subpackages' `errors`.

Every error derives from `SyncError`, itself a `MadoguchiError`; every name ends in `Error`.
Fields are structured (sequence numbers, byte counts) so callers never parse messages; messages
never carry record bodies or any personal data, only sequence numbers, sizes and reasons.
"""

from __future__ import annotations

from datetime import datetime

from madoguchi.core.errors import MadoguchiError

__all__ = [
    "AgentConfigError",
    "AgentOfflineError",
    "BindError",
    "BundleEqualVersionError",
    "BundleError",
    "BundleExpiredError",
    "BundleFormatError",
    "BundleRollbackError",
    "BundleSignatureError",
    "CborError",
    "CentralKeysError",
    "ChainError",
    "DeviceBundleError",
    "DuplicateDeviceError",
    "GapError",
    "KeyFileError",
    "KeyFormatError",
    "LocalStateError",
    "MalformedMessageError",
    "OpenError",
    "OutboxCorruptError",
    "OutboxError",
    "OutboxFullError",
    "OutboxSchemaError",
    "OversizeMessageError",
    "ProtocolError",
    "RecordFormatError",
    "RecordPrunedError",
    "RegistryError",
    "RequestError",
    "RequestRefusedError",
    "RequestTimeoutError",
    "RoleKeyError",
    "RootChainError",
    "SealError",
    "SignatureError",
    "SyncError",
    "SyncTransportError",
    "UnknownDeviceError",
    "UnknownMessageTypeError",
    "UnsupportedVersionError",
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


# --- downlink bundles and the root chain (`sync.bundles`, `sync.trust`) ---------------------


class BundleError(SyncError):
    """Base of every bundle refusal."""


class BundleFormatError(BundleError):
    """Not a bundle: bad JSON, missing or extra fields, wrong types, oversize."""


class BundleSignatureError(BundleError):
    """The signature does not verify with the pinned catalog key (wrong key or tampered)."""


class BundleRollbackError(BundleError):
    """The bundle's version is lower than the version already applied."""

    def __init__(self, bundle_type: str, version: int, current_version: int) -> None:
        super().__init__(
            f"{bundle_type} bundle version {version} does not grow past {current_version}"
        )
        self.bundle_type = bundle_type
        self.version = version
        self.current_version = current_version


class BundleEqualVersionError(BundleRollbackError):
    """Same version as the current bundle (re-delivery, or a reused version number)."""


class BundleExpiredError(BundleError):
    """The bundle expired: applying it could freeze the device on stale data."""

    def __init__(self, bundle_type: str, version: int, expires_at: datetime) -> None:
        super().__init__(f"{bundle_type} bundle version {version} expired at {expires_at}")
        self.bundle_type = bundle_type
        self.version = version
        self.expires_at = expires_at


class RootChainError(BundleSignatureError):
    """The root chain does not verify from the pinned root key (or is malformed)."""


class RoleKeyError(BundleSignatureError):
    """The signing key is not delegated for this role by the newest root, or its delegation
    (or the root itself) expired."""

    def __init__(self, message: str, *, role: str, keyid: str) -> None:
        super().__init__(f"{message} (role={role}, keyid={keyid})")
        self.role = role
        self.keyid = keyid


# --- wire protocol, agent, online requests (`sync.protocol`, `sync.agent`) ------------------
# The central side's own errors (store, issuer, forwarder...) are in `sync.central.errors`.


class SyncTransportError(SyncError):
    """Root of the errors raised by the protocol, the agent, the receiver and the store."""


class ProtocolError(SyncTransportError):
    """A frame could not be decoded into a valid message. `code` is sent back in an ERROR reply."""

    code = "malformed"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class UnsupportedVersionError(ProtocolError):
    code = "unsupported_version"

    def __init__(self, version: object) -> None:
        super().__init__(f"unsupported protocol version {version!r:.40}")
        self.version = version


class UnknownMessageTypeError(ProtocolError):
    code = "unknown_type"

    def __init__(self, message_type: object) -> None:
        super().__init__(f"unknown message type {message_type!r:.40}")
        self.message_type = message_type


class MalformedMessageError(ProtocolError):
    code = "malformed"

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed message: {reason}")
        self.reason = reason


class CborError(MalformedMessageError):
    """Bytes that `sync.cbor_safe.loads` refuses (a tag, too deep, too many items, truncated...).
    `offset` is where in the input the refusal was made."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"CBOR refused at byte {offset}: {reason}")
        self.cbor_reason = reason
        self.offset = offset


class OversizeMessageError(ProtocolError):
    code = "oversize"

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(f"{what} too large: {size} > {limit}")
        self.what = what
        self.size = size
        self.limit = limit


class RequestError(SyncTransportError):
    """An online request did not get an answer; the caller falls back to the outbox."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class RequestTimeoutError(RequestError):
    """No reply within the timeout (central unreachable, agent offline or not running)."""

    def __init__(self, kind: str, timeout: float) -> None:
        super().__init__(kind, f"request {kind!r} got no reply within {timeout:.1f} s")
        self.timeout = timeout


class RequestRefusedError(RequestError):
    """The central side answered with an error (`code`: unknown_kind, handler_failed, ...)."""

    def __init__(self, kind: str, code: str, detail: str = "") -> None:
        super().__init__(kind, f"request {kind!r} refused: {code}{': ' + detail if detail else ''}")
        self.code = code
        self.detail = detail


class AgentConfigError(SyncTransportError):
    """The agent's configuration or key files are unusable."""


class AgentOfflineError(RequestTimeoutError):
    """The agent answered at once that it has no session with the central side right now."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind, 0.0)
        self.args = (f"request {kind!r}: sync agent is offline",)


class BindError(SyncTransportError):
    """A socket could not bind or connect its endpoint (address in use, missing directory...)."""

    def __init__(self, endpoint: str, reason: str) -> None:
        super().__init__(f"cannot bind {endpoint}: {reason}")
        self.endpoint = endpoint
        self.reason = reason
