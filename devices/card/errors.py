"""Errors of the card reader. Every PC/SC or card failure reaches callers as one of these.

Invariants: messages and fields never carry personal data (no PIN, name, address, birth date, My
Number); raw PC/SC codes are kept in a field for diagnostics, never as the type callers match on.
"""

from __future__ import annotations

from madoguchi.errors import MadoguchiError

__all__ = [
    "CardDataError",
    "CardError",
    "CardRemovedError",
    "CardStatusError",
    "CertificateExpiredError",
    "NoCardError",
    "NoReaderError",
    "NotMyNumberCardError",
    "PinBlockedError",
    "PinNotVerifiedError",
    "WrongPinError",
]


class CardError(MadoguchiError):
    """Base of every card-reader error."""


class NoReaderError(CardError):
    """No reader to talk to: none attached, the named one is missing, or pcscd is not running."""

    def __init__(self, reason: str, *, reader: str | None = None, pcsc_code: int | None = None):
        self.reason = reason
        self.reader = reader
        self.pcsc_code = pcsc_code
        where = f" ({reader})" if reader else ""
        super().__init__(f"no card reader{where}: {reason}")


class NoCardError(CardError):
    """The reader is there but holds no card."""

    def __init__(self, reader: str | None = None):
        self.reader = reader
        super().__init__(f"no card in reader {reader}" if reader else "no card in any reader")


class CardRemovedError(CardError):
    """The card left the reader (or stopped answering) during an operation."""

    def __init__(self, operation: str, *, pcsc_code: int | None = None):
        self.operation = operation
        self.pcsc_code = pcsc_code
        super().__init__(f"card removed during {operation}")


class NotMyNumberCardError(CardError):
    """The card does not have the application we selected (SELECT answered with `status`)."""

    def __init__(self, application: str, status: int):
        self.application = application
        self.status = status
        super().__init__(
            f"not a My Number card: application {application} not found (SW {status:04X})"
        )


class WrongPinError(CardError):
    """The card rejected the PIN; `tries_left` (> 0) more attempts remain before it blocks."""

    def __init__(self, pin: str, tries_left: int):
        self.pin = pin  # which PIN ("kenhojo" / "jpki_auth"), never its value
        self.tries_left = tries_left
        super().__init__(f"wrong {pin} PIN: {tries_left} tries left")


class PinBlockedError(CardError):
    """The PIN is blocked (no tries left). `just_now` is True when this attempt blocked it.

    Unblocking needs a visit to the city counter; the reader never sends a VERIFY for a blocked PIN.
    """

    def __init__(self, pin: str, *, just_now: bool = False):
        self.pin = pin
        self.just_now = just_now
        super().__init__(
            f"{pin} PIN blocked"
            + (" by this wrong entry" if just_now else "")
            + "; it can only be reset at the city office"
        )


class PinNotVerifiedError(CardError):
    """The card refused to read or sign because its PIN has not been verified (SW 69 82)."""

    def __init__(self, pin: str, operation: str):
        self.pin = pin
        self.operation = operation
        super().__init__(f"{operation} needs the {pin} PIN to be verified first")


class CardStatusError(CardError):
    """The card answered a command with an unexpected status word."""

    def __init__(self, operation: str, status: int):
        self.operation = operation
        self.status = status
        super().__init__(f"card refused {operation} (SW {status:04X})")


class CardDataError(CardError):
    """The data on the card is malformed (bad TLV, bad date, bad certificate...)."""

    def __init__(self, file: str, problem: str):
        self.file = file
        self.problem = problem
        super().__init__(f"malformed data on the card in {file}: {problem}")


class CertificateExpiredError(CardError):
    """The card's JPKI authentication certificate is outside its validity period."""

    def __init__(self, not_before: str, not_after: str):
        self.not_before = not_before
        self.not_after = not_after
        super().__init__(
            f"the card's authentication certificate is not valid now "
            f"(valid {not_before} to {not_after}); the card must be renewed at the city office"
        )
