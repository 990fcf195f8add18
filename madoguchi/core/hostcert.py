"""A center queue host's TLS certificate and key, written once into a directory: the queue host
makes it on its first start (kiosk.center.tls), or IT makes it at enrollment
(`madoguchi provision center-cert`) and installs it there, so terminals pin it from the start.

Guarantees: ECDSA P-256, self-signed, 10 years, its own anchor (CA, path length 0, server
auth); names: the host's address from `host_url`, 127.0.0.1, ::1, localhost and any `names`.
The private key is written first, 0600 with O_EXCL (never over an existing file) in a 0700
directory; the certificate appears whole after it (atomic rename). Nothing is overwritten: an
existing pair is the caller's to reuse. `cryptography` is imported only when one is made.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
import os
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CERT_FILE", "KEY_FILE", "fingerprint", "write_host_cert"]

CERT_FILE, KEY_FILE = "host.pem", "host-key.pem"


def fingerprint(cert_pem: bytes) -> str:
    """SHA-256 of the certificate's DER, hex (not secret: IT compares it when copying)."""
    der = ssl.PEM_cert_to_DER_cert(cert_pem.decode("ascii"))
    return hashlib.sha256(der).hexdigest()


def _names(host_url: str, names: tuple[str, ...]) -> list[Any]:
    from cryptography import x509

    wanted = ["127.0.0.1", "::1", "localhost", *names]
    host = urlsplit(host_url).hostname if host_url else None
    if host:
        wanted.insert(0, host)
    out: list[Any] = []
    for name in dict.fromkeys(wanted):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def write_host_cert(
    directory: Path, center: str, host_url: str = "", names: tuple[str, ...] = ()
) -> tuple[Path, Path, str]:
    """Make the pair in `directory`: (certificate path, key path, SHA-256). FileExistsError if
    a key is already there (see the module)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory = Path(directory)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"madoguchi center {center}")])
    now = _dt.datetime.now(_dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(hours=1))
        .not_valid_after(now + _dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(_names(host_url, names)), critical=False)
        # Its own anchor: the terminals trust exactly this certificate.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
        f.flush()
        os.fsync(f.fileno())
    pem = cert.public_bytes(serialization.Encoding.PEM)
    tmp = cert_path.with_suffix(".tmp")
    tmp.write_bytes(pem)
    os.replace(tmp, cert_path)  # the certificate appears whole, after its key
    return cert_path, key_path, fingerprint(pem)
