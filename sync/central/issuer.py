"""Online-request handlers of the central side: certificate issue (JPKI user authentication)
and remote consultation slots and bookings. Each handler is `fn(device_id, payload) -> dict`
and is registered with the receiver through `Issuer.handlers()`.

Invariants:
- A handler never raises for bad input or a refused request: it returns `{"ok": False,
  "reason": <code>}` (codes in `REASONS`). Only a broken store raises (`IssuerError`), which
  the receiver turns into an error REPLY.
- A certificate is issued only for a challenge central minted (`certificate.challenge`) for
  this device and this request (certificate type, copies), not older than `challenge_ttl_s`,
  used once (across every receiver sharing the store), and only if the card passes
  `sync.central.jpki_auth.verify_card` with a signature over `sync.kiosk_challenge.auth_message`
  (context string + device, type, copies, challenge), never over a bare nonce. Anything else is
  refused with its reason: `foreign_challenge`, `challenge_reused`, `challenge_expired`,
  `challenge_other_device`, `challenge_other_request`, `bad_signature`, ... A device holds at
  most `max_open_challenges` unused ones (`too_many_challenges`), so the table stays bounded.
- All state (minted and used challenges, issued documents, slots, bookings) is in the central
  store's tables (`sync.central.store_tables`, created by its recorded migrations), on SQLite or
  PostgreSQL: several receivers sharing one database never accept a challenge twice nor book a
  slot past its capacity.
- No personal data is stored or logged: the card holder is known only by a hash of the
  certificate; the issued document (what is signed and stored) carries a type, ids, a
  verification code and times. With a `residents` source (`sync.central.residents`), the
  holder's name, address and birth date are looked up after the card is verified and pass
  through in memory only, into the reply (`holder`, and `issuer`: the city name): never into
  the database, the signed document or a log line. The back office says the certificate is no
  resident's → `not_a_resident`, and the challenge stays unused (the resident may retry); the
  back office cannot answer → the certificate is issued without `holder` (the kiosk prints a
  slip; staff print the document at the counter) and only the error class is logged. A request
  queued offline never reaches this issuer: it is forwarded as a claim to verify at the counter.
- What the certificate prints besides the holder follows the request's `options`
  (`sync.central.certificate_content`: 世帯全員/本人のみ, 世帯主・続柄, 本籍, 住民となった年月日,
  個人番号; the tax year): only the fields asked for pass into `holder`; bad options are refused
  (`bad_options`) before the card check. With a document key, the reply carries `verify`: the
  signed verification reference (`sync.central.verify`) of the type, issue time, document id,
  copies, a digest of the printed name, birth date and address and one of everything printed
  that matters (`content_digest`), prefixed with `verify_url`.
- Bookings never exceed a slot's capacity (one conditional UPDATE), and a booking retried with
  the same `request_id` from the same device returns the same booking instead of a second one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.central.certificate_content import (
    CertificateOptionsError,
    check_digest,
    content_digest,
    parse_options,
    printed_fields,
    select_fields,
)
from sync.central.errors import IssuerError, IssuerRefusedError, StoreError
from sync.central.jpki_auth import verify_card
from sync.central.residents import (
    HttpResidentRecords,
    ResidentLookupError,
    ResidentRecords,
    ResidentRecordsConfig,
)
from sync.central.store import Store
from sync.central.stores import open_store
from sync.central.verify import TYPES as _VERIFIABLE
from sync.central.verify import make_reference
from sync.kiosk_challenge import CHALLENGE_BYTES, auth_message

__all__ = [
    "DEFAULT_CERTIFICATE_TYPES",
    "DEFAULT_TOPICS",
    "DOCUMENT_DOMAIN",
    "REASONS",
    "Issuer",
    "IssuerConfig",
    "IssuerError",
    "Slot",
    "issuer_handlers",
    "load_trusted_cas",
    "slots_from_catalog",
]

log = logging.getLogger(__name__)

# Every refusal code a handler can return as {"ok": False, "reason": code}.
REASONS = tuple(
    """bad_request unknown_certificate_type bad_certificate untrusted_certificate
    not_an_auth_certificate expired_certificate not_yet_valid revoked_certificate bad_signature
    bad_challenge foreign_challenge challenge_expired challenge_reused challenge_other_device
    challenge_other_request too_many_challenges not_a_resident bad_options unknown_topic unknown_slot slot_past slot_full""".split()
)

DEFAULT_CERTIFICATE_TYPES = tuple(
    """resident_record resident_record_items seal_certificate tax_certificate family_register
    family_register_annex""".split()
)
DEFAULT_TOPICS = ("welfare", "child_care", "tax", "care", "general")
_MAX_CERT = 8 * 1024
_MAX_BLOB = 1024
DOCUMENT_DOMAIN = b"madoguchi/document/v1\x00"


@dataclass(frozen=True)
class Slot:
    id: str
    topic: str
    start: str  # local time "YYYY-MM-DDTHH:MM" (as in the catalog)
    minutes: int
    capacity: int = 1


@dataclass(frozen=True)
class IssuerConfig:
    trusted_cas: tuple[x509.Certificate, ...] = ()
    certificate_types: tuple[str, ...] = DEFAULT_CERTIFICATE_TYPES
    topics: tuple[str, ...] = DEFAULT_TOPICS
    slots: tuple[Slot, ...] = ()
    revoked_serials: frozenset[int] = frozenset()
    # CRLs of the trusted CAs (`<keys>/jpki-crl/`, `jpki_auth.load_crls`): a card on one that
    # its own CA signed is refused as revoked_certificate.
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    challenge_ttl_s: int = 120  # a challenge serves one PIN entry and signature, then expires
    challenge_kept_s: int = 3600  # a used or expired challenge is remembered this long
    max_open_challenges: int = 8  # unused, unexpired challenges one device may hold
    max_copies: int = 10
    utc_offset_minutes: int = 540  # Japan: no daylight saving
    max_slots_listed: int = 50
    city_name: str = ""  # the issuer printed on certificates (the kiosk's city when empty)
    verify_url: str = ""  # the central verify page, e.g. https://city.example/verify/


def load_trusted_cas(pem_or_der: Iterable[bytes]) -> tuple[x509.Certificate, ...]:
    """Parse CA certificates (PEM, possibly several per blob, or DER)."""
    out: list[x509.Certificate] = []
    for blob in pem_or_der:
        try:
            if b"-----BEGIN" in blob:
                out.extend(x509.load_pem_x509_certificates(blob))
            else:
                out.append(x509.load_der_x509_certificate(blob))
        except ValueError as e:
            raise IssuerError(f"trusted CA certificate is malformed: {e}") from e
    return tuple(out)


def _refuse(reason: str) -> dict:
    return {"ok": False, "reason": reason}


def _blob(payload: dict, key: str, limit: int) -> bytes:
    value = payload.get(key)
    if isinstance(value, str):
        try:
            value = base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise IssuerRefusedError("bad_request") from None
    if not isinstance(value, bytes) or not 0 < len(value) <= limit:
        raise IssuerRefusedError("bad_request")
    return value


def _text(payload: dict, key: str, limit: int = 64) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise IssuerRefusedError("bad_request")
    return value


class Issuer:
    """Handlers over the central store (`store`: a `--db` value, SQLite path or PostgreSQL
    URI, or a factory of `Store`s) for challenges, issued documents, slots and bookings.
    `secret` keys verification codes (keep it with the central keys; several receivers must
    share it). `document_key` signs issued documents."""

    def __init__(
        self,
        config: IssuerConfig,
        store: str | Path | Callable[[], Store],
        *,
        secret: bytes,
        document_key: Ed25519PrivateKey | None = None,
        clock: Callable[[], float] = time.time,
        residents: ResidentRecords | None = None,
    ) -> None:
        if len(secret) < 16:
            raise IssuerError("issuer secret must be at least 16 bytes")
        self.config = config
        self._secret = secret
        self._document_key = document_key
        self._clock = clock
        self._residents = residents
        self._factory = store if callable(store) else (lambda db=str(store): open_store(db))
        self._store: Store | None = None
        # One connection for the receiver's handler threads (a Store is one connection).
        self._lock = threading.Lock()
        slots = [(s.id, s.topic, s.start, s.minutes, s.capacity) for s in config.slots]
        self._call(lambda st: st.sync_slots(slots))  # config is the source of slots

    def handlers(self) -> dict[str, Callable[[str, dict], dict]]:
        return {
            "certificate.challenge": self.certificate_challenge,
            "certificate.issue": self.certificate_issue,
            "consultation.slots": self.consultation_slots,
            "consultation.book": self.consultation_book,
        }

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _call(self, fn):
        """Run `fn(store)` on the issuer's connection; a failed store is reopened next time."""
        with self._lock:
            try:
                if self._store is None:
                    self._store = self._factory()
                return fn(self._store)
            except StoreError as e:
                if self._store is not None:
                    self._store.close()
                    self._store = None
                raise IssuerError(f"issuer store failed: {e}") from e

    def _guarded(self, name: str, device_id: str, payload: object, fn) -> dict:
        if not isinstance(payload, dict):
            return _refuse("bad_request")
        try:
            return fn(device_id, payload)
        except IssuerRefusedError as r:
            log.info("%s refused for device %s: %s", name, device_id, r.reason)
            return _refuse(r.reason)

    # -- challenges -------------------------------------------------------------------------

    def _request(self, payload: dict) -> tuple[str, int]:
        """The (certificate type, copies) a challenge or an issue request is for."""
        kind = payload.get("certificate", payload.get("type"))
        if not isinstance(kind, str):
            raise IssuerRefusedError("bad_request")
        if kind not in self.config.certificate_types:
            raise IssuerRefusedError("unknown_certificate_type")
        copies = payload.get("copies", 1)
        if type(copies) is not int or not 1 <= copies <= self.config.max_copies:
            raise IssuerRefusedError("bad_request")
        return kind, copies

    def certificate_challenge(self, device_id: str, payload: dict) -> dict:
        """32 random bytes for this device and this request ({"certificate", "copies"}),
        recorded (by hash) in the store: single use, `challenge_ttl_s` to live."""

        def run(device_id: str, payload: dict) -> dict:
            kind, copies = self._request(payload)
            challenge = os.urandom(CHALLENGE_BYTES)
            now = self._clock()
            forget = now - self.config.challenge_ttl_s - self.config.challenge_kept_s
            digest = hashlib.sha256(challenge).digest()
            recorded = self._call(
                lambda st: st.add_challenge(
                    digest, device_id, kind, copies, now, forget,
                    open_since=now - self.config.challenge_ttl_s,
                    max_open=self.config.max_open_challenges,
                )
            )  # fmt: skip
            if not recorded:
                raise IssuerRefusedError("too_many_challenges")
            return {
                "ok": True,
                "challenge": base64.b64encode(challenge).decode("ascii"),
                "ttl_s": self.config.challenge_ttl_s,
            }

        return self._guarded("certificate.challenge", device_id, payload, run)

    def _check_challenge(self, device_id: str, challenge: bytes, kind: str, copies: int) -> bytes:
        """The challenge's digest if central minted it for this device and request, unused and
        fresh; else `IssuerRefusedError` with the reason."""
        if len(challenge) != CHALLENGE_BYTES:
            raise IssuerRefusedError("foreign_challenge")
        digest = hashlib.sha256(challenge).digest()
        minted = self._call(lambda st: st.challenge(digest))
        if minted is None:
            raise IssuerRefusedError("foreign_challenge")
        for_device, for_kind, for_copies, issued_at, used_at = minted
        if used_at is not None:
            raise IssuerRefusedError("challenge_reused")
        if not hmac.compare_digest(for_device.encode(), device_id.encode()):
            raise IssuerRefusedError("challenge_other_device")
        if (for_kind, for_copies) != (kind, copies):
            raise IssuerRefusedError("challenge_other_request")
        if not -30 <= self._clock() - issued_at <= self.config.challenge_ttl_s:
            raise IssuerRefusedError("challenge_expired")
        return digest

    # -- certificates -----------------------------------------------------------------------

    def _verify_card(
        self, cert_der: bytes, challenge: bytes, signature: bytes
    ) -> tuple[x509.Certificate, x509.Certificate]:
        """(card certificate, the trusted CA that issued it), or `IssuerRefusedError`."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        return verify_card(
            cert_der,
            challenge,
            signature,
            self.config.trusted_cas,
            self.config.revoked_serials,
            now,
            crls=self.config.crls,
        )

    def _holder(
        self, device_id: str, cert: x509.Certificate, ca: x509.Certificate, kind: str, options
    ) -> dict | None:
        """The holder for the reply; None when the back office cannot answer (issue anyway)."""
        fingerprint = ca.fingerprint(hashes.SHA256()).hex()
        try:
            holder = self._residents.lookup(cert.serial_number, fingerprint, kind)
        except ResidentLookupError as e:
            log.warning(
                "resident lookup failed for device %s (%s): the reply carries no holder",
                device_id,
                type(e).__name__,
            )
            return None
        if holder is None:
            raise IssuerRefusedError("not_a_resident")
        return {**holder.as_reply(), **select_fields(kind, options, holder.extra)}

    def _verification_code(self, document_id: str) -> str:
        digest = hmac.new(self._secret, b"code\x00" + document_id.encode(), hashlib.sha256)
        number = int.from_bytes(digest.digest()[:8], "big") % 10**16
        text = f"{number:016d}"
        return "-".join(text[i : i + 4] for i in range(0, 16, 4))

    def certificate_issue(self, device_id: str, payload: dict) -> dict:
        """Verify the JPKI user authentication and issue the certificate document data."""

        def run(device_id: str, payload: dict) -> dict:
            kind, copies = self._request(payload)
            try:
                options = parse_options(kind, payload.get("options"))
            except CertificateOptionsError:
                raise IssuerRefusedError("bad_options") from None
            cert_der = _blob(payload, "auth_certificate", _MAX_CERT)
            challenge = _blob(payload, "challenge", _MAX_BLOB)
            signature = _blob(payload, "signature", _MAX_BLOB)
            # A replay, a foreign or stale challenge never reaches the card check or the back
            # office; the signature must be over this request's message, not the bare nonce.
            digest = self._check_challenge(device_id, challenge, kind, copies)
            message = auth_message(
                device_id=device_id, certificate=kind, copies=copies, challenge=challenge
            )
            cert, ca = self._verify_card(cert_der, message, signature)
            holder_data = None
            if self._residents is not None:
                holder_data = self._holder(device_id, cert, ca, kind, options)
            document_id = str(uuid.uuid4())
            issued = datetime.fromtimestamp(int(self._clock()), UTC)
            issued_at = issued.strftime("%Y-%m-%dT%H:%M:%SZ")
            holder = hashlib.sha256(cert_der).hexdigest()[:16]
            document = {
                "type": kind,
                "document_id": document_id,
                "verification_code": self._verification_code(document_id),
                "issued_at": issued_at,
                "copies": copies,
            }
            row = (document_id, kind, document["verification_code"], issued_at, device_id,
                   holder, copies)  # fmt: skip
            if not self._call(lambda st: st.use_challenge(digest, self._clock(), row)):
                # used meanwhile (maybe at another receiver)
                raise IssuerRefusedError("challenge_reused")
            reply = {"ok": True, "reference": document_id.split("-")[0].upper(), **document}
            if self._document_key is not None:
                signed = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
                signature = self._document_key.sign(DOCUMENT_DOMAIN + signed)
                reply["signature"] = base64.b64encode(signature).decode()
            if holder_data is not None:  # after signing: the holder is not part of the document
                reply["holder"] = holder_data
                reply["issuer"] = self.config.city_name
                reply["options"] = options
                if self._document_key is not None and kind in _VERIFIABLE:
                    digest = check_digest(
                        holder_data["name"], holder_data["birth_date"], holder_data["address"]
                    )
                    # Everything printed that matters (issue 20): copies, issue time, the
                    # reference, and the content the options chose (`content_digest`).
                    content = content_digest(kind, copies=copies, document_id=document_id,
                                             issued_at=int(issued.timestamp()),
                                             fields=printed_fields(kind, holder_data))  # fmt: skip
                    reply["verify"] = self.config.verify_url + make_reference(
                        self._document_key, type=kind, issued_at=issued,
                        document_id=document_id, digest=digest, copies=copies, content=content,
                    )  # fmt: skip
            log.info("certificate issued for device %s: %s", device_id, kind)
            return reply

        return self._guarded("certificate.issue", device_id, payload, run)

    def verify_document(self, document_id: str, verification_code: str) -> dict | None:
        """For the city's checking page: the document's type and issue time, if the code fits."""
        row = self._call(lambda st: st.issued_document(document_id))
        if row is None or not hmac.compare_digest(row[2], verification_code):
            return None
        return {"type": row[0], "issued_at": row[1]}

    # -- consultation -----------------------------------------------------------------------

    def _local_now(self) -> str:
        tz = timezone(timedelta(minutes=self.config.utc_offset_minutes))
        return datetime.fromtimestamp(self._clock(), tz).strftime("%Y-%m-%dT%H:%M")

    def consultation_slots(self, device_id: str, payload: dict) -> dict:
        """Future slots of a topic that still have room."""

        def run(device_id: str, payload: dict) -> dict:
            topic = _text(payload, "topic")
            if topic not in self.config.topics:
                raise IssuerRefusedError("unknown_topic")
            now, limit = self._local_now(), self.config.max_slots_listed
            rows = self._call(lambda st: st.open_slots(topic, now, limit))
            slots = [
                {"id": i, "topic": topic, "start": s, "minutes": int(m), "remaining": int(r)}
                for i, s, m, r in rows
            ]
            return {"ok": True, "topic": topic, "slots": slots}

        return self._guarded("consultation.slots", device_id, payload, run)

    def consultation_book(self, device_id: str, payload: dict) -> dict:
        """Book one place in a slot; idempotent per (device, request_id)."""

        def run(device_id: str, payload: dict) -> dict:
            slot_id = _text(payload, "slot")
            request_id = _text(payload, "request_id", 128)
            reference = "B" + uuid.uuid4().hex[:8].upper()
            now_local, now = self._local_now(), self._clock()
            outcome, done = self._call(
                lambda st: st.book_slot(device_id, request_id, slot_id, reference, now_local, now)
            )
            if done is None:
                raise IssuerRefusedError(outcome)
            reference, sid, topic, start, minutes = done
            return {
                "ok": True,
                "reference": reference,
                "slot": sid,
                "topic": topic,
                "start": start,
                "minutes": int(minutes),
            }

        return self._guarded("consultation.book", device_id, payload, run)


def slots_from_catalog(catalog: dict, capacity: int = 1) -> tuple[Slot, ...]:
    """The consultation slots of a catalog JSON object (as `kiosk/catalog` writes it)."""
    return tuple(
        Slot(str(s["id"]), str(s["topic"]), str(s["start"]), int(s["minutes"]), capacity)
        for s in catalog.get("slots", [])
    )


def issuer_handlers(
    keys,
    db: str,
    config: IssuerConfig,
    residents: ResidentRecordsConfig | None = None,
) -> dict[str, Callable[[str, dict], dict]]:
    """The issuer's online-request handlers: `config` and `residents` as the entry point read
    them (`sync.central.config_files`), state in the central store `db` itself (its tables, on
    SQLite or PostgreSQL: every receiver sharing the store shares it), the verification-code
    secret derived from the catalog key (so every receiver sharing the keys shares it),
    documents signed under `DOCUMENT_DOMAIN` with `keys.document_signing_key` (the root-delegated
    `documents` role key once a root is installed, the catalog key before), holders looked up in
    the back office `residents` names (None: the card's own data only)."""
    raw = keys.catalog_signing_key.private_bytes_raw()
    secret = hmac.new(raw, b"madoguchi/issuer-secret/v1", hashlib.sha256).digest()
    issuer = Issuer(
        config,
        db,
        secret=secret,
        document_key=keys.document_signing_key,
        residents=HttpResidentRecords(residents) if residents is not None else None,
    )
    return issuer.handlers()
