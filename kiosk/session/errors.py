"""The session package's errors, one hierarchy: `SessionError` (a `kiosk.errors.KioskError`) with
configuration mistakes (`SessionConfigError`) and what the ports raise (`PortError` and its
kinds, with structured fields: `tries_left`, `reasons`, `reason`, `cause`).

Resident-facing problems are never raised to the UI: the session turns a port's error into a
`Notice` and a step. Messages carry no personal data (no PIN, no card value, no record body).
"""

from __future__ import annotations

from kiosk.errors import KioskError

__all__ = [
    "PortCardDataError",
    "PortCardRefusedError",
    "PortCardRemovedError",
    "PortCertificateExpiredError",
    "PortError",
    "PortNoCardError",
    "PortNotMyNumberCardError",
    "PortOfflineError",
    "PortOutboxFullError",
    "PortPaymentError",
    "PortPinBlockedError",
    "PortPrintError",
    "PortProbeError",
    "PortRefusedError",
    "PortWrongPinError",
    "SessionConfigError",
    "SessionError",
]


class SessionError(KioskError):
    """Base of kiosk session errors."""


class SessionConfigError(SessionError):
    """A bad `SessionConfig` value (names the field, never a secret)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"session config {field}: {reason}")
        self.field = field
        self.reason = reason


# ---- errors the ports raise (the adapters in kiosk.services translate the libraries' into these) -------------------------------------------------------------


class PortError(SessionError):
    """Base of everything a port raises on purpose."""


class PortWrongPinError(PortError):
    def __init__(self, tries_left: int) -> None:
        super().__init__(f"wrong PIN, {tries_left} tries left")
        self.tries_left = tries_left


class PortPinBlockedError(PortError):
    """The PIN is blocked on the card: only the city counter can unblock it. `just_now`: this
    entry blocked it (the resident is told so, and where to unlock it)."""

    def __init__(self, message: str = "", *, just_now: bool = False) -> None:
        super().__init__(message or "PIN blocked")
        self.just_now = just_now


class PortCardRemovedError(PortError):
    """The card left the reader during an exchange."""


class PortNoCardError(PortError):
    """No card (or no reader) is there."""


class PortNotMyNumberCardError(PortError):
    """A card that is not a My Number card."""


class PortCardDataError(PortError):
    """The card answered with data we cannot parse."""


class PortCertificateExpiredError(PortCardDataError):
    """The card's JPKI authentication certificate is outside its validity: renew at the counter."""


class PortCardRefusedError(PortCardDataError):
    """The card was read but failed a check: its authentication certificate is revoked
    (`reason="revoked"`), not from a trusted CA or not an authentication certificate, or its
    kenhojo files are not what the authority signed (`"not_genuine:<why>"`). `reason` is for
    staff and logs; the resident is sent to the counter."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"card refused: {reason}")
        self.reason = reason


class PortOutboxFullError(PortError):
    """The outbox refuses new records (disk nearly full, file damaged, record too large):
    the submission is not stored, the resident keeps the form and is told to ask staff."""


class PortOfflineError(PortError):
    """An online request could not be answered in time (offline, timeout, refused)."""


class PortRefusedError(PortError):
    """Central answered, and said no (bad signature, slot full...): falling back would not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}")
        self.reason = reason


class PortPrintError(PortError):
    def __init__(self, reasons: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(f"print failed: {', '.join(reasons) or 'unknown'}")
        self.reasons = tuple(reasons)


class PortPaymentError(PortError):
    """The payment was not approved and nothing was charged. `reason`: declined, cancelled,
    timeout, offline, protocol (the screen says what to do; staff see `code`)."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(f"payment not approved: {reason}")
        self.reason = reason
        self.code = code


class PortProbeError(PortError):
    """A diagnostics probe could not find out (pcscd down, cupsd unreachable, file unreadable).
    `cause` is the class name of the library's error: what the staff screen shows."""

    def __init__(self, what: str, cause: str) -> None:
        super().__init__(f"{what}: {cause}")
        self.what = what
        self.cause = cause
