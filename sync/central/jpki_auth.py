"""JPKI user authentication as the central side checks it: the card's authentication
certificate and its signature over a challenge (`verify_card`).

Invariant: a card passes only if its certificate (DER) is directly issued by one of the trusted
CAs (signature checked; the CA within its validity), is an end-entity certificate allowed to
sign, is within its own validity at `now` and not revoked, and the card's PKCS#1 v1.5 (RSA) or
ECDSA SHA-256 signature over the challenge verifies with the certificate's key. Every failure
is a `Refused` with a reason code (`sync.central.issuer.REASONS`), never another exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

__all__ = ["Refused", "verify_card"]


class Refused(Exception):
    """A request the issuer turns down; `reason` is the code the kiosk gets."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_card(
    cert_der: bytes,
    challenge: bytes,
    signature: bytes,
    trusted_cas: Iterable[x509.Certificate],
    revoked_serials: frozenset[int],
    now: datetime,
) -> tuple[x509.Certificate, x509.Certificate]:
    """(card certificate, the trusted CA that issued it), or `Refused`."""
    try:
        cert = x509.load_der_x509_certificate(cert_der)
    except ValueError:
        raise Refused("bad_certificate") from None
    issuer = next((ca for ca in trusted_cas if _issued_by(cert, ca)), None)
    if issuer is None:
        raise Refused("untrusted_certificate")
    if not issuer.not_valid_before_utc <= now <= issuer.not_valid_after_utc:
        raise Refused("untrusted_certificate")
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise Refused("not_an_auth_certificate")
    except x509.ExtensionNotFound:
        pass
    try:
        if not cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            raise Refused("not_an_auth_certificate")
    except x509.ExtensionNotFound:
        pass
    if now < cert.not_valid_before_utc:
        raise Refused("not_yet_valid")
    if now > cert.not_valid_after_utc:
        raise Refused("expired_certificate")
    if cert.serial_number in revoked_serials:
        raise Refused("revoked_certificate")
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
        else:
            raise Refused("bad_certificate")
    except InvalidSignature:
        raise Refused("bad_signature") from None
    return cert, issuer


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
