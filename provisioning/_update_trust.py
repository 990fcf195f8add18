"""The update CA under the Ed25519 root of trust: a statement the offline root signs.

RAUC checks bundle signatures (CMS) against an X.509 keyring with OpenSSL; it cannot verify an
Ed25519, TUF-style root, so the update CA stays X.509 (`_updates`). What the root adds is
authority: the offline root signs a statement naming the update CA certificate's SHA-256 (of
its DER), and an image installs a CA as RAUC's keyring only if such a statement verifies against
the root chain the central side installed (image_build/debian/install-update-ca.sh). A CA
nobody with the root key approved never becomes a keyring; replacing the CA needs the root.

Statement (`ca.delegation` beside `ca.pem`, JSON, public):
    {"signed": {"type": "madoguchi-update-ca", "ca_sha256": "<hex>", "ca_subject": "...",
                "root_version": N, "issued_at": "...", "expires_at": "..."},
     "signatures": [{"keyid": "...", "sig": "<base64>"}]}
Signatures are Ed25519 over DOMAIN + canonical JSON of "signed" (a domain of its own: a root
document or a bundle signature is never a valid statement, nor the other way round).

Guarantees:
- `delegate_update_ca` reads the root key from the offline root directory only (never from a
  central directory) and names the root version it was made under.
- `verify_update_ca` accepts only: a chain that walks from the pinned anchor (or, without one,
  from its own first root, whose key id it returns for the operator to compare), a statement
  signed by the newest root's root role (threshold), not expired, for exactly this certificate,
  which must be a CA certificate. Anything else is `UpdateTrustError`; nothing is written.
- After a root rotation the statement must be signed again (it names the newest root's keys).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding

from madoguchi.core.durable import write_atomic
from provisioning.errors import UpdateTrustError
from sync.bundles import BundleError, bundle_key_id
from sync.keyfiles import anchor_of, load_private_pem, read_chain
from sync.trust import chain_from_bytes, parse_root

__all__ = ["DELEGATION_FILE", "UpdateCaGrant", "delegate_update_ca", "verify_update_ca"]

DELEGATION_FILE = "ca.delegation"
_TYPE = "madoguchi-update-ca"
_DOMAIN = b"madoguchi/update-ca/v1\x00"
_ROOT_KEY = "root.pem"  # the offline root directory's key (provisioning._roles)
_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class UpdateCaGrant:
    """A verified statement: which CA, under which root, until when."""

    ca_sha256: str
    ca_subject: str
    root_version: int
    anchor_keyid: str
    expires_at: datetime


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ca_cert(pem: bytes) -> x509.Certificate:
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise UpdateTrustError("the update CA is not a PEM certificate") from None
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise UpdateTrustError("the certificate is not a CA (basicConstraints ca=false)")
    return cert


def _digest(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def delegate_update_ca(
    root_dir: Path, ca_pem: Path, out: Path, *, now: datetime | None = None
) -> UpdateCaGrant:
    """Sign, with the offline root key, a statement naming the CA of `ca_pem`; write it to `out`.
    Expires with the newest root version (or the CA certificate, if that ends sooner)."""
    root_dir = Path(root_dir)
    now = now or datetime.now(UTC)
    cert = _ca_cert(Path(ca_pem).read_bytes())
    try:
        key = load_private_pem(root_dir / _ROOT_KEY, Ed25519PrivateKey, "root key")
    except FileNotFoundError:
        raise UpdateTrustError(
            "no root key here (provision root init)", path=str(root_dir)
        ) from None
    chain = read_chain(root_dir)
    if not chain:
        raise UpdateTrustError("no root version signed yet (provision root sign)")
    newest = anchor_of(chain).root_of(chain)
    keyid = bundle_key_id(key.public_key())
    if keyid not in newest.roles["root"].keyids:
        raise UpdateTrustError("this root key is not the newest root's", keyid=keyid)
    expires = min(newest.expires_at, cert.not_valid_after_utc)
    if expires <= now:
        raise UpdateTrustError("the root or the CA has expired", expires_at=_iso(expires))
    signed = {
        "type": _TYPE,
        "ca_sha256": _digest(cert),
        "ca_subject": cert.subject.rfc4514_string(),
        "root_version": newest.version,
        "issued_at": _iso(now),
        "expires_at": _iso(expires),
    }
    sig = key.sign(_DOMAIN + _canonical(signed))
    doc = {
        "signed": signed,
        "signatures": [{"keyid": keyid, "sig": base64.b64encode(sig).decode()}],
    }
    write_atomic(Path(out), json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n", mode=0o644)
    return verify_update_ca(chain, Path(out).read_bytes(), Path(ca_pem).read_bytes(), now=now)


def _parse(statement: bytes) -> tuple[dict, list[tuple[str, bytes]]]:
    if len(statement) > _MAX_BYTES:
        raise UpdateTrustError("the statement is too large")
    try:
        doc = json.loads(statement)
        signed, sigs = doc["signed"], doc["signatures"]
        pairs = [(str(s["keyid"]), base64.b64decode(s["sig"], validate=True)) for s in sigs]
        fields = {k: signed[k] for k in ("type", "ca_sha256", "root_version", "expires_at")}
        datetime.fromisoformat(str(fields["expires_at"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise UpdateTrustError("the statement is not a signed update-CA statement") from None
    if not isinstance(signed, dict) or fields["type"] != _TYPE:
        raise UpdateTrustError("the statement is not a signed update-CA statement")
    return signed, pairs


def verify_update_ca(
    chain: list[bytes] | bytes,
    statement: bytes,
    ca_pem: bytes,
    *,
    anchor_keyid: str | None = None,
    now: datetime | None = None,
) -> UpdateCaGrant:
    """The grant if `statement` lets the root of `chain` vouch for the CA in `ca_pem`."""
    now = now or datetime.now(UTC)
    try:
        roots = chain_from_bytes(chain) if isinstance(chain, bytes) else list(chain)
        anchor = anchor_of(roots)
        first_ids = sorted(parse_root(roots[0]).roles["root"].keyids)
        newest = anchor.root_of(roots)
    except (BundleError, ValueError, KeyError, IndexError) as e:
        raise UpdateTrustError(f"the root chain does not verify: {e}") from None
    anchor_id = ",".join(first_ids)
    if anchor_keyid is not None and anchor_keyid != anchor_id:
        raise UpdateTrustError("the root chain starts from another root", anchor=anchor_id)
    signed, sigs = _parse(statement)
    cert = _ca_cert(ca_pem)
    delegation = newest.roles["root"]
    message = _DOMAIN + _canonical(signed)
    good = set()
    for keyid, sig in sigs:
        if keyid in delegation.keyids and keyid in newest.keys and keyid not in good:
            try:
                newest.keys[keyid].verify(sig, message)
            except InvalidSignature:
                continue
            good.add(keyid)
    if len(good) < delegation.threshold:
        raise UpdateTrustError(
            "the statement is not signed by the newest root", root=newest.version
        )
    expires = datetime.fromisoformat(str(signed["expires_at"]).replace("Z", "+00:00"))
    if expires <= now or newest.expires_at <= now:
        raise UpdateTrustError("the statement or the root has expired", expires_at=_iso(expires))
    if signed["ca_sha256"] != _digest(cert):
        raise UpdateTrustError("the statement names another update CA certificate")
    return UpdateCaGrant(
        signed["ca_sha256"], str(signed.get("ca_subject", "")), newest.version, anchor_id, expires
    )
