"""Errors of the central side (`sync.central`): store, issuer and its card check, forwarder,
resident records, retention. The dashboard's and the consultation's own errors are in their
subpackages' `errors`; the wire protocol's and the key files' are in `sync.errors`.

Every class derives from `CentralError` (a `sync.errors.SyncError`, itself a `MadoguchiError`),
and every name ends in `Error`. `StoreError` is also a `SyncTransportError`, as it always was.
Fields are structured; messages never carry record bodies or personal data.
"""

from __future__ import annotations

from sync.errors import SyncError, SyncTransportError

__all__ = [
    "CentralError",
    "CrlError",
    "ForwarderError",
    "IssuerError",
    "IssuerRefusedError",
    "ResidentLookupError",
    "ResidentRecordsError",
    "RetentionConfigError",
    "StoreError",
]


class CentralError(SyncError):
    """Base of the central side's own errors."""


class StoreError(SyncTransportError, CentralError):
    """The central store failed (database unreachable, schema mismatch...)."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"central store: {operation} failed: {reason}")
        self.operation = operation
        self.reason = reason


class IssuerError(CentralError):
    """The central store failed under the issuer (not a refusal: those are typed results)."""


class IssuerRefusedError(CentralError):
    """A request the issuer turns down (the JPKI card check or the request itself); `reason` is
    the code the kiosk gets. Not a failure: the issuer answers it as a typed refusal."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CrlError(CentralError):
    """A CRL file is malformed or signed by no trusted CA (names the file, not its bytes)."""


class ForwarderError(CentralError):
    """The forwarder is misconfigured or its ledger cannot be used."""


class ResidentRecordsError(CentralError):
    """The resident records source is misconfigured (`residents.json`, `ResidentRecordsConfig`)."""


class ResidentLookupError(ResidentRecordsError):
    """The back office could not answer a lookup (`status` is its HTTP status, if it sent one)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(f"resident lookup failed: {reason}")
        self.reason = reason
        self.status = status


class RetentionConfigError(CentralError):
    """The central config's [retention] section is malformed."""
