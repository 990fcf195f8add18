"""A test CA for simulated cards: it issues each profile's JPKI authentication key and certificate.

Invariants: only for tests, the demo and benchmarks (its keys sit unencrypted on disk or in
memory). Issuing is cached per (CA, profile, validity kind) in the process, and on disk under
`<ca_dir>/cards/` when the CA lives in a directory, so loading a profile twice costs one RSA
key generation at most. A cached certificate is reused only if this CA issued it and its
validity still has the kind asked for (current vs expired).

Revocation: `revoke(ca, serial)` puts a card certificate on the CA's list (in memory, and in
`<ca_dir>/revoked.txt`, written atomically, when the CA lives in a directory); `issue_crl(ca)`
signs an X.509 v2 CRL of that list (this update now, next update in 7 days by default).
The kenhojo authority (`kenhojo_authority(ca)`) is a second test key that signs the cards'
kenhojo signature files; it lives beside the CA (`kenhojo-authority.*.pem`) or in memory.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = [
    "CardCredentials",
    "TestCA",
    "default_test_ca",
    "issue_card_credentials",
    "issue_crl",
    "kenhojo_authority",
    "make_test_ca",
    "revoke",
    "revoked_serials",
]

_CA_KEY = "ca.key.pem"
_CA_CERT = "ca.cert.pem"
_lock = threading.Lock()
_issued: dict[tuple[bytes, str, bool, bool], CardCredentials] = {}
_default: list[TestCA] = []
_revoked: dict[bytes, set[int]] = {}
_authorities: dict[bytes, CardCredentials] = {}
_REVOKED = "revoked.txt"
_AUTH_KEY = "kenhojo-authority.key.pem"
_AUTH_CERT = "kenhojo-authority.cert.pem"


@dataclass(frozen=True)
class TestCA:
    __test__ = False  # not a pytest class

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    directory: Path | None = None

    @property
    def fingerprint(self) -> bytes:
        return self.certificate.fingerprint(hashes.SHA256())


@dataclass(frozen=True)
class CardCredentials:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _new_ca(
    common_name: str = "Madoguchi TEST JPKI CA (not for production)",
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Madoguchi card simulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_test_ca(directory: Path | str) -> TestCA:
    """Create a test CA in `directory` (ca.key.pem 0600, ca.cert.pem), or load the one there."""
    directory = Path(directory)
    key_path, cert_path = directory / _CA_KEY, directory / _CA_CERT
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} is not an RSA key")
        return TestCA(key, cert, directory)
    directory.mkdir(parents=True, exist_ok=True)
    key, cert = _new_ca()
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return TestCA(key, cert, directory)


def default_test_ca() -> TestCA:
    """One in-memory CA per process, for profiles loaded without a CA directory."""
    with _lock:
        if not _default:
            key, cert = _new_ca()
            _default.append(TestCA(key, cert))
        return _default[0]


def _fits(ca: TestCA, cert: x509.Certificate, expired: bool) -> bool:
    try:
        cert.verify_directly_issued_by(ca.certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    now = _now()
    is_expired = cert.not_valid_after_utc < now
    return is_expired == expired and (expired or cert.not_valid_before_utc <= now)


def _issue(ca: TestCA, profile: str, expired: bool, key_usage: bool = True) -> CardCredentials:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = _now()
    if expired:
        not_before, not_after = (
            now - datetime.timedelta(days=5 * 365),
            now - datetime.timedelta(days=30),
        )
    else:
        not_before, not_after = (
            now - datetime.timedelta(days=1),
            now + datetime.timedelta(days=5 * 365),
        )
    serial = x509.random_serial_number()
    # Like a real JPKI auth certificate, the subject carries no name or address.
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Madoguchi card simulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"sim-{profile}-{serial % 10**8:08d}"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
    return CardCredentials(key, builder.sign(ca.key, hashes.SHA256()))


def issue_card_credentials(
    ca: TestCA, profile: str, *, expired: bool = False, key_usage: bool = True
) -> CardCredentials:
    """The profile's RSA-2048 auth key and certificate from `ca` (cached, see module doc).
    `key_usage=False` leaves out the KeyUsage extension (a certificate readers must refuse)."""
    cache_key = (ca.fingerprint, profile, expired, key_usage)
    with _lock:
        cached = _issued.get(cache_key)
        if cached is not None and _fits(ca, cached.certificate, expired):
            return cached
        creds = _load_disk(ca, profile, expired)
        if creds is not None and _has_key_usage(creds.certificate) != key_usage:
            creds = None
        if creds is None:
            creds = _issue(ca, profile, expired, key_usage)
            _save_disk(ca, profile, expired, creds)
        _issued[cache_key] = creds
        return creds


def _has_key_usage(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return False
    return True


def _paths(ca: TestCA, profile: str, expired: bool) -> tuple[Path, Path] | None:
    if ca.directory is None:
        return None
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in profile)
    stem += "-expired" if expired else ""
    cards = ca.directory / "cards"
    return cards / f"{stem}.key.pem", cards / f"{stem}.cert.pem"


def _load_disk(ca: TestCA, profile: str, expired: bool) -> CardCredentials | None:
    paths = _paths(ca, profile, expired)
    if paths is None or not (paths[0].exists() and paths[1].exists()):
        return None
    try:
        key = serialization.load_pem_private_key(paths[0].read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(paths[1].read_bytes())
    except ValueError:
        return None
    if not isinstance(key, rsa.RSAPrivateKey) or not _fits(ca, cert, expired):
        return None
    return CardCredentials(key, cert)


def _save_disk(ca: TestCA, profile: str, expired: bool, creds: CardCredentials) -> None:
    paths = _paths(ca, profile, expired)
    if paths is None:
        return
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    paths[0].touch(mode=0o600)
    paths[0].write_bytes(
        creds.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths[1].write_bytes(creds.certificate.public_bytes(serialization.Encoding.PEM))


# -- revocation -------------------------------------------------------------------------------
def _revoked_file(ca: TestCA) -> Path | None:
    return None if ca.directory is None else ca.directory / _REVOKED


def revoked_serials(ca: TestCA) -> frozenset[int]:
    """Serials this CA revoked (this process, plus `revoked.txt` of a CA directory)."""
    with _lock:
        serials = set(_revoked.get(ca.fingerprint, ()))
    path = _revoked_file(ca)
    if path is not None and path.exists():
        for line in path.read_text(encoding="ascii").split():
            serials.add(int(line, 16))
    return frozenset(serials)


def revoke(ca: TestCA, serial: int) -> None:
    """Put a card certificate's serial on this CA's revocation list (kept on disk with a CA dir)."""
    from madoguchi.core.durable import write_atomic

    with _lock:
        _revoked.setdefault(ca.fingerprint, set()).add(serial)
    path = _revoked_file(ca)
    if path is not None:
        serials = revoked_serials(ca) | {serial}
        text = "".join(f"{s:x}\n" for s in sorted(serials))
        write_atomic(path, text.encode("ascii"), mode=0o644)


def issue_crl(
    ca: TestCA,
    *,
    now: datetime.datetime | None = None,
    next_update: datetime.timedelta = datetime.timedelta(days=7),
) -> x509.CertificateRevocationList:
    """A CRL of every serial this CA revoked, signed by the CA."""
    now = now or _now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now)
        .next_update(now + next_update)
    )
    for serial in sorted(revoked_serials(ca)):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(now - datetime.timedelta(seconds=1))
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256())


# -- kenhojo authority ------------------------------------------------------------------------
def kenhojo_authority(ca: TestCA) -> CardCredentials:
    """The test authority that signs this CA's cards' kenhojo files (created once, cached)."""
    with _lock:
        cached = _authorities.get(ca.fingerprint)
        if cached is not None:
            return cached
        creds = None
        if ca.directory is not None:
            key_path, cert_path = ca.directory / _AUTH_KEY, ca.directory / _AUTH_CERT
            if key_path.exists() and cert_path.exists():
                key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
                if isinstance(key, rsa.RSAPrivateKey):
                    creds = CardCredentials(
                        key, x509.load_pem_x509_certificate(cert_path.read_bytes())
                    )
        if creds is None:
            creds = CardCredentials(
                *_new_ca("Madoguchi TEST kenhojo authority (not for production)")
            )
            if ca.directory is not None:
                key_path, cert_path = ca.directory / _AUTH_KEY, ca.directory / _AUTH_CERT
                key_path.touch(mode=0o600)
                key_path.write_bytes(
                    creds.key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
                cert_path.write_bytes(creds.certificate.public_bytes(serialization.Encoding.PEM))
        _authorities[ca.fingerprint] = creds
        return creds
