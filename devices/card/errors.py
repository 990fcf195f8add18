"""Errors of the card reader. Every PC/SC or card failure reaches callers as one of these.

Invariants: messages and fields never carry personal data (no PIN, name, address, birth date, My
Number); raw PC/SC codes are kept in a field for diagnostics, never as the type callers match on.
"""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = [
    "CardDataError",
    "CardError",
    "CardNotGenuineError",
    "CardRemovedError",
    "CardStatusError",
    "CardTrustConfigError",
    "CertificateExpiredError",
    "CertificateRejectedError",
    "CertificateRevokedError",
    "NoCardError",
    "NoReaderError",
    "NotMyNumberCardError",
    "PinBlockedError",
    "PinNotVerifiedError",
    "ProfileError",
    "TlvError",
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


class CardNotGenuineError(CardDataError):
    """The kenhojo files are not what the issuing authority signed (EF 0003 check failed).

    `reason` is a code for staff diagnostics: `bad_signature` (the signature does not verify with
    any trusted authority certificate), `attributes_mismatch` (basic-4 is not the signed one),
    `my_number_mismatch`, `no_signature_file` (the card has no EF 0003).
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(
            "kenhojo signature (0003)", f"the card failed the authenticity check ({reason})"
        )


class CertificateRejectedError(CardError):
    """The card's JPKI authentication certificate is not acceptable (not expiry: that is
    `CertificateExpiredError`). `reason`: `untrusted` (no trusted CA issued it),
    `not_an_auth_certificate` (a CA certificate, or no KeyUsage digitalSignature), `revoked`."""

    def __init__(self, reason: str, message: str | None = None):
        self.reason = reason
        super().__init__(message or f"the card's authentication certificate is refused ({reason})")


class CertificateRevokedError(CertificateRejectedError):
    """The card's authentication certificate is on a CRL of its CA (lost, stolen, renewed card)."""

    def __init__(self) -> None:
        super().__init__(
            "revoked",
            "the card's authentication certificate has been revoked; "
            "the resident must visit the city office",
        )


class CardTrustConfigError(CardError):
    """The card-trust part of the device config is malformed (names the field, not the bytes)."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"card trust config: {field}: {problem}")


class ProfileError(CardError):
    """A simulated card's profile file (devices/card/simulator) is missing or invalid."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"card profile {source}: {problem}")


class TlvError(ValueError):
    """Malformed BER-TLV. Internal to the card package: the parser (`_apdu`) raises it and
    `data` turns it into `CardDataError` with the file's name, so callers never see it."""
