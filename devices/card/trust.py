"""What a terminal trusts when it checks a card: the JPKI user-authentication CAs with their
CRLs, and the certificates of the authority that signs the kenhojo files. Pure: no I/O and no
clock (callers pass `now`); the kiosk builds a `CardTrust` from its signed config bundle.

Invariants:
- `check_auth_certificate` refuses a certificate outside its validity (`CertificateExpiredError`),
  one without KeyUsage digitalSignature or marked as a CA (`CertificateRejectedError`
  `not_an_auth_certificate`), and, when CAs are configured, one no configured CA issued
  (`untrusted`) or whose serial is on a CRL of its issuing CA (`CertificateRevokedError`).
- A CRL counts only if its signature verifies with a configured CA (checked when the `CardTrust`
  is built: a CRL no CA signed is a `CardTrustConfigError`, never silently ignored). A CRL past
  its next update still counts: it is the newest word the terminal has, and a kiosk that was
  offline for a week must not forget a revocation.
- `check_kenhojo` refuses (`CardNotGenuineError`, with a reason for staff) unless the signature
  file's signature verifies with a configured authority certificate (RSA PKCS#1 v1.5 or ECDSA,
  SHA-256) and the digests it signs match the basic-4 / My Number bytes read from the card.
- Without CAs (or authorities) the corresponding check is off; `CardTrust()` checks validity and
  KeyUsage only. Errors never carry card data.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from devices.card.data import KenhojoSignature, kenhojo_digest
from devices.card.errors import (
    CardNotGenuineError,
    CardTrustConfigError,
    CertificateExpiredError,
    CertificateRejectedError,
    CertificateRevokedError,
)

__all__ = ["CONFIG_KEY", "CardTrust", "card_trust_entry", "card_trust_from_config"]

# The key of the device config bundle's payload that carries the card trust (see
# `card_trust_from_config`); every field is optional.
CONFIG_KEY = "card_trust"


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class CardTrust:
    jpki_cas: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    kenhojo_authorities: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        for i, crl in enumerate(self.crls):
            if not any(
                crl.issuer == ca.subject and crl.is_signature_valid(ca.public_key())
                for ca in self.jpki_cas
            ):
                raise CardTrustConfigError(f"crls[{i}]", "not signed by any configured JPKI CA")

    @property
    def checks_kenhojo(self) -> bool:
        return bool(self.kenhojo_authorities)

    # -- JPKI user-authentication certificate ------------------------------------------------
    def check_auth_certificate(self, cert: x509.Certificate, now: datetime.datetime) -> None:
        """Raise unless `cert` is acceptable at `now` (see the module invariants)."""
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
        if not not_before <= now <= not_after:
            raise CertificateExpiredError(not_before.isoformat(), not_after.isoformat())
        try:
            if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                raise CertificateRejectedError("not_an_auth_certificate")
        except x509.ExtensionNotFound:
            pass
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            raise CertificateRejectedError("not_an_auth_certificate") from None
        if not usage.digital_signature:
            raise CertificateRejectedError("not_an_auth_certificate")
        if not self.jpki_cas:
            return
        issuer = next((ca for ca in self.jpki_cas if _issued_by(cert, ca)), None)
        if issuer is None:
            raise CertificateRejectedError("untrusted")
        for crl in self.crls:
            if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
                continue
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                raise CertificateRevokedError()

    # -- kenhojo signature (EF 0003) ----------------------------------------------------------
    def check_kenhojo(
        self,
        signature: KenhojoSignature,
        *,
        basic4: bytes | None = None,
        my_number: bytes | None = None,
    ) -> None:
        """Raise `CardNotGenuineError` unless the authority signed these files' digests."""
        if not any(_verifies(a, signature) for a in self.kenhojo_authorities):
            raise CardNotGenuineError("bad_signature")
        if basic4 is not None and not hmac.compare_digest(
            kenhojo_digest(basic4), signature.attributes_hash
        ):
            raise CardNotGenuineError("attributes_mismatch")
        if my_number is not None and not hmac.compare_digest(
            kenhojo_digest(my_number), signature.my_number_hash
        ):
            raise CardNotGenuineError("my_number_mismatch")


def _verifies(authority: x509.Certificate, signature: KenhojoSignature) -> bool:
    key = authority.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                signature.signature, signature.signed_bytes, padding.PKCS1v15(), hashes.SHA256()
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature.signature, signature.signed_bytes, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _blobs(entry: Mapping, field: str) -> list[bytes]:
    value = entry.get(field, [])
    if not isinstance(value, list):
        raise CardTrustConfigError(field, "must be a list of base64 DER strings")
    out = []
    for i, item in enumerate(value):
        try:
            out.append(base64.b64decode(str(item), validate=True))
        except (binascii.Error, ValueError):
            raise CardTrustConfigError(f"{field}[{i}]", "not base64") from None
    return out


def _certs(entry: Mapping, field: str) -> tuple[x509.Certificate, ...]:
    out = []
    for i, der in enumerate(_blobs(entry, field)):
        try:
            out.append(x509.load_der_x509_certificate(der))
        except ValueError:
            raise CardTrustConfigError(f"{field}[{i}]", "not an X.509 DER certificate") from None
    return tuple(out)


def card_trust_from_config(entry: Mapping | None) -> CardTrust:
    """A `CardTrust` from the config bundle's `card_trust` object:
    `{"jpki_cas": [b64 DER], "crls": [b64 DER], "kenhojo_authorities": [b64 DER]}`
    (all optional; None or {} gives `CardTrust()`). `CardTrustConfigError` names a bad field."""
    if entry is None:
        return CardTrust()
    if not isinstance(entry, Mapping):
        raise CardTrustConfigError(CONFIG_KEY, "must be an object")
    unknown = sorted(set(entry) - {"jpki_cas", "crls", "kenhojo_authorities"})
    if unknown:
        raise CardTrustConfigError(CONFIG_KEY, f"unknown field(s) {', '.join(unknown)}")
    crls = []
    for i, der in enumerate(_blobs(entry, "crls")):
        try:
            crls.append(x509.load_der_x509_crl(der))
        except ValueError:
            raise CardTrustConfigError(f"crls[{i}]", "not an X.509 DER CRL") from None
    return CardTrust(
        jpki_cas=_certs(entry, "jpki_cas"),
        crls=tuple(crls),
        kenhojo_authorities=_certs(entry, "kenhojo_authorities"),
    )


def card_trust_entry(
    *,
    jpki_cas: Iterable[x509.Certificate] = (),
    crls: Iterable[x509.CertificateRevocationList] = (),
    kenhojo_authorities: Iterable[x509.Certificate] = (),
) -> dict[str, list[str]]:
    """The config bundle's `card_trust` object for these certificates and CRLs (provisioning)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    def b64(items: Iterable) -> list[str]:
        return [base64.b64encode(x.public_bytes(Encoding.DER)).decode() for x in items]

    return {
        "jpki_cas": b64(jpki_cas),
        "crls": b64(crls),
        "kenhojo_authorities": b64(kenhojo_authorities),
    }
