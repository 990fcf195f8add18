"""JPKI user authentication as the central side checks it: the card's authentication
certificate and its signature over a challenge (`verify_card`).

Invariant: a card passes only if its certificate (DER) is directly issued by one of the trusted
CAs (signature checked; the CA within its validity), is an end-entity certificate whose KeyUsage
extension is present and allows digitalSignature, is within its own validity at `now`, is not
revoked (its serial is neither in `revoked_serials` nor on any of `crls` that its issuing CA
signed), and the card's PKCS#1 v1.5 (RSA) or ECDSA SHA-256 signature over the challenge verifies
with the certificate's key. Every failure is an `IssuerRefusedError` with a reason code
(`sync.central.issuer.REASONS`), never another exception.

CRLs: a CRL counts only when its issuer name and signature match the CA that issued the card (a
CRL nobody trusted signed can neither revoke nor clear anything). A CRL past its next update
still counts: it is the newest list the central side has, and forgetting a revocation because
the next list is late would be worse. `load_crls` reads `<dir>/jpki-crl/*` (DER or PEM) the same
way `sync.central.config_files.issuer_config_from_dir` reads `<dir>/jpki-ca/`;
`revoked_serials_from_crls` folds verified CRLs into the `revoked_serials` set `IssuerConfig`
already carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from sync.central.errors import CrlError, IssuerRefusedError

__all__ = [
    "CrlError",
    "IssuerRefusedError",
    "load_crls",
    "parse_crls",
    "revoked_serials_from_crls",
    "verify_card",
]


def verify_card(
    cert_der: bytes,
    challenge: bytes,
    signature: bytes,
    trusted_cas: Iterable[x509.Certificate],
    revoked_serials: frozenset[int],
    now: datetime,
    *,
    crls: Iterable[x509.CertificateRevocationList] = (),
) -> tuple[x509.Certificate, x509.Certificate]:
    """(card certificate, the trusted CA that issued it), or `IssuerRefusedError`."""
    try:
        cert = x509.load_der_x509_certificate(cert_der)
        extensions = cert.extensions
    except ValueError:
        raise IssuerRefusedError("bad_certificate") from None
    issuer = next((ca for ca in trusted_cas if _issued_by(cert, ca)), None)
    if issuer is None:
        raise IssuerRefusedError("untrusted_certificate")
    if not issuer.not_valid_before_utc <= now <= issuer.not_valid_after_utc:
        raise IssuerRefusedError("untrusted_certificate")
    try:
        if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise IssuerRefusedError("not_an_auth_certificate")
    except x509.ExtensionNotFound:
        pass
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        # JPKI auth certificates always carry KeyUsage; one without could be meant for anything.
        raise IssuerRefusedError("not_an_auth_certificate") from None
    if not usage.digital_signature:
        raise IssuerRefusedError("not_an_auth_certificate")
    if now < cert.not_valid_before_utc:
        raise IssuerRefusedError("not_yet_valid")
    if now > cert.not_valid_after_utc:
        raise IssuerRefusedError("expired_certificate")
    if cert.serial_number in revoked_serials or _on_crl(cert, issuer, crls):
        raise IssuerRefusedError("revoked_certificate")
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
        else:
            raise IssuerRefusedError("bad_certificate")
    except InvalidSignature:
        raise IssuerRefusedError("bad_signature") from None
    return cert, issuer


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _signed_by(crl: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    return crl.issuer == ca.subject and crl.is_signature_valid(ca.public_key())


def _on_crl(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    crls: Iterable[x509.CertificateRevocationList],
) -> bool:
    return any(
        _signed_by(crl, issuer)
        and crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
        for crl in crls
    )


def parse_crls(blobs: Iterable[tuple[str, bytes]]) -> tuple[x509.CertificateRevocationList, ...]:
    """(name, DER or PEM bytes) pairs -> CRLs; `CrlError` names the first bad one."""
    out = []
    for name, blob in blobs:
        try:
            if b"-----BEGIN" in blob:
                out.append(x509.load_pem_x509_crl(blob))
            else:
                out.append(x509.load_der_x509_crl(blob))
        except ValueError:
            raise CrlError(f"{name}: not an X.509 CRL") from None
    return tuple(out)


def load_crls(
    directory: Path | str, trusted_cas: Iterable[x509.Certificate]
) -> tuple[x509.CertificateRevocationList, ...]:
    """The CRLs in `<directory>/jpki-crl/` (`.crl`, `.der`, `.pem`), each signed by one of
    `trusted_cas` (else `CrlError`: a list we cannot attribute must be looked at, not ignored)."""
    crl_dir = Path(directory) / "jpki-crl"
    if not crl_dir.is_dir():
        return ()
    paths = [
        p for p in sorted(crl_dir.iterdir()) if p.is_file() and p.suffix in (".crl", ".der", ".pem")
    ]
    crls = parse_crls((p.name, p.read_bytes()) for p in paths)
    cas = tuple(trusted_cas)
    for path, crl in zip(paths, crls, strict=True):
        if not any(_signed_by(crl, ca) for ca in cas):
            raise CrlError(f"{path.name}: not signed by any trusted JPKI CA")
    return crls


def revoked_serials_from_crls(
    crls: Iterable[x509.CertificateRevocationList], trusted_cas: Iterable[x509.Certificate]
) -> frozenset[int]:
    """Serials revoked by CRLs that a trusted CA signed, for `IssuerConfig.revoked_serials`.

    Serial numbers are only unique per CA; with several trusted CAs prefer passing `crls` to
    `verify_card`, which matches each CRL to the card's own issuer."""
    cas = tuple(trusted_cas)
    return frozenset(
        revoked.serial_number
        for crl in crls
        if any(_signed_by(crl, ca) for ca in cas)
        for revoked in crl
    )
