"""Errors of the sync wire protocol, the agent and the central receiver/store.

Every name ends in `Error` and derives from `sync.errors.SyncError` (through `SyncTransportError`), so the
CLI turns it into one line. Fields are structured; messages never carry record bodies or personal
data, only codes, sizes and sequence numbers.
"""

from __future__ import annotations

from sync.errors import SyncError

__all__ = [
    "AgentConfigError",
    "AgentOfflineError",
    "BindError",
    "CborError",
    "MalformedMessageError",
    "OversizeMessageError",
    "ProtocolError",
    "RequestError",
    "RequestRefusedError",
    "RequestTimeoutError",
    "StoreError",
    "SyncTransportError",
    "UnknownMessageTypeError",
    "UnsupportedVersionError",
]


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


class StoreError(SyncTransportError):
    """The central store failed (database unreachable, schema mismatch...)."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"central store: {operation} failed: {reason}")
        self.operation = operation
        self.reason = reason


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
