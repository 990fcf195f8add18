"""Record sealing and the per-device hash chain (pure: no I/O, no clock, no randomness unless asked).

A record is `header_bytes` (canonical CBOR of a `RecordHeader`) plus `ciphertext` (the CBOR body
sealed to the central sealing key). The format is written down, with test vectors, in
docs/record-format.md; a test checks those exact bytes.

Invariants:
- `encode_header` is canonical: one header has exactly one encoding, and `decode_header` accepts
  only that encoding (re-encoding must give back the same bytes), so a hash over header bytes is
  a hash over the header's meaning.
- Headers carry no personal data: ids, a sequence number, a kind, a time, a key id, a hash.
- Sealing: X25519 with a fresh ephemeral key per record, HKDF-SHA256 derives a 256-bit AES key and a
  96-bit nonce (single use: the key is never reused), AES-256-GCM with the header bytes as associated
  data. The device keeps no secret that opens a body: after `seal` it cannot read the body back.
  (cryptography 50's HPKE API takes no associated data and no fixed ephemeral key for test
  vectors, so the construction is spelled out here, in the spirit of HPKE Base mode.)
- `record_hash = SHA-256(u32be(len(header_bytes)) || header_bytes || ciphertext)`; each header
  holds the previous record's hash (`GENESIS_HASH` for the first), so altering, dropping or
  reordering any record breaks the chain at a precise sequence number. The device's Ed25519 key
  signs only chain heads (device id, last seq, last hash), one signature per batch.
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import cbor2
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync import cbor_safe
from sync.errors import (
    CborError,
    ChainError,
    GapError,
    OpenError,
    RecordFormatError,
    SealError,
    SignatureError,
)

__all__ = [
    "FORMAT_VERSION",
    "GENESIS_HASH",
    "KINDS",
    "ChainVerifier",
    "RecordHeader",
    "SealedRecord",
    "chain_head_message",
    "decode_header",
    "encode_header",
    "open_record",
    "record_hash",
    "seal",
    "sign_chain_head",
    "verify_chain",
    "verify_chain_head",
]

FORMAT_VERSION = 1
GENESIS_HASH = bytes(32)
KINDS = frozenset(
    {
        "application",
        "certificate_request",
        "booking",
        "survey",
        "metric",
        "device_health",
        "shelter_checkin",
        "queue_ticket",
        # The center (docs/center.md): queue events and staff calls, numbers and times only.
        "queue_event",
        "staff_call",
        "shelter_checkout",
    }
)

_HKDF_INFO = b"madoguchi/record/v1"
_HEAD_DOMAIN = b"madoguchi/chain-head/v1\x00"
_ENC_LEN = 32  # X25519 public key
_TAG_LEN = 16  # AES-GCM tag
_MAX_SEQ = 2**63 - 1
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\Z")
_HEADER_KEYS = frozenset({"v", "dev", "seq", "id", "kind", "at", "sync", "kid", "prev"})
_MAX_HEADER = 1024


@dataclass(frozen=True)
class RecordHeader:
    """What travels in clear with every record. No personal data, ever."""

    version: int
    device_id: str
    seq: int
    record_id: str  # canonical lowercase UUID string
    kind: str
    created_at: int  # unix seconds (device clock)
    clock_synced: bool  # False: taken before the clock was synchronized (a Pi has no RTC)
    key_id: str  # which central sealing key the body is sealed to
    prev_hash: bytes  # record_hash of seq - 1, GENESIS_HASH for the first record


def _check_header(h: RecordHeader) -> None:
    """Raise RecordFormatError unless every field has its type and range."""

    def bad(msg: str) -> RecordFormatError:
        return RecordFormatError(f"header: {msg}")

    if type(h.version) is not int or h.version != FORMAT_VERSION:
        raise bad(f"unsupported version {h.version!r}")
    for name in ("device_id", "key_id"):
        value = getattr(h, name)
        if type(value) is not str or not _ID_RE.match(value):
            raise bad(f"{name} must match {_ID_RE.pattern}")
    if type(h.seq) is not int or not 1 <= h.seq <= _MAX_SEQ:
        raise bad("seq must be an integer >= 1")
    if type(h.record_id) is not str:
        raise bad("record_id must be a UUID string")
    try:
        canonical = str(uuid.UUID(h.record_id))
    except ValueError:
        raise bad("record_id must be a UUID string") from None
    if canonical != h.record_id:
        raise bad("record_id must be a canonical lowercase UUID string")
    if type(h.kind) is not str or h.kind not in KINDS:
        raise bad(f"unknown kind {h.kind!r}" if type(h.kind) is str else "kind must be a string")
    if type(h.created_at) is not int or not 0 <= h.created_at <= _MAX_SEQ:
        raise bad("created_at must be non-negative integer unix seconds")
    if type(h.clock_synced) is not bool:
        raise bad("clock_synced must be a bool")
    if type(h.prev_hash) is not bytes or len(h.prev_hash) != 32:
        raise bad("prev_hash must be 32 bytes")


def encode_header(h: RecordHeader) -> bytes:
    """The canonical CBOR encoding of a header (validated first)."""
    _check_header(h)
    return cbor2.dumps(
        {
            "v": h.version,
            "dev": h.device_id,
            "seq": h.seq,
            "id": h.record_id,
            "kind": h.kind,
            "at": h.created_at,
            "sync": h.clock_synced,
            "kid": h.key_id,
            "prev": h.prev_hash,
        },
        canonical=True,
    )


def decode_header(data: bytes) -> RecordHeader:
    """Parse header bytes strictly: canonical CBOR map with exactly the known fields."""
    if type(data) is not bytes or not 0 < len(data) <= _MAX_HEADER:
        raise RecordFormatError("header: empty, too long or not bytes")
    try:
        m = cbor2.loads(data, allow_duplicate_keys=False, allow_indefinite=False, max_depth=2)
    except Exception as e:  # noqa: BLE001 - cbor2 raises several types; all mean "malformed"
        raise RecordFormatError(f"header: not CBOR ({type(e).__name__})") from e
    if not isinstance(m, dict) or set(m) != _HEADER_KEYS:
        raise RecordFormatError("header: not a map with exactly the header fields")
    h = RecordHeader(
        version=m["v"],
        device_id=m["dev"],
        seq=m["seq"],
        record_id=m["id"],
        kind=m["kind"],
        created_at=m["at"],
        clock_synced=m["sync"],
        key_id=m["kid"],
        prev_hash=m["prev"],
    )
    if encode_header(h) != data:
        raise RecordFormatError("header: not in canonical encoding")
    return h


def record_hash(header_bytes: bytes, ciphertext: bytes) -> bytes:
    """SHA-256 over u32be(len(header_bytes)) || header_bytes || ciphertext."""
    d = hashlib.sha256(struct.pack(">I", len(header_bytes)))
    d.update(header_bytes)
    d.update(ciphertext)
    return d.digest()


@dataclass(frozen=True)
class SealedRecord:
    """A sealed record as stored and sent: header bytes (clear) and ciphertext (sealed body)."""

    header_bytes: bytes
    ciphertext: bytes

    @cached_property
    def header(self) -> RecordHeader:
        return decode_header(self.header_bytes)

    @property
    def seq(self) -> int:
        return self.header.seq

    @cached_property
    def record_hash(self) -> bytes:
        return record_hash(self.header_bytes, self.ciphertext)

    def to_bytes(self) -> bytes:
        """One frame: u32be(len(header_bytes)) || header_bytes || ciphertext."""
        return struct.pack(">I", len(self.header_bytes)) + self.header_bytes + self.ciphertext

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedRecord:
        """Inverse of `to_bytes`; checks framing only (use `.header` / verify for the rest)."""
        if len(data) < 4:
            raise RecordFormatError("record frame shorter than its length prefix")
        (n,) = struct.unpack(">I", data[:4])
        if not 0 < n <= _MAX_HEADER or len(data) < 4 + n + _ENC_LEN + _TAG_LEN:
            raise RecordFormatError("record frame length out of range")
        return cls(bytes(data[4 : 4 + n]), bytes(data[4 + n :]))


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _derive(shared: bytes, enc: bytes, recipient: bytes) -> tuple[bytes, bytes]:
    okm = HKDF(
        algorithm=hashes.SHA256(), length=44, salt=None, info=_HKDF_INFO + enc + recipient
    ).derive(shared)
    return okm[:32], okm[32:]


def seal(
    header: RecordHeader,
    body: Mapping,
    sealing_public_key: X25519PublicKey,
    *,
    ephemeral_key: X25519PrivateKey | None = None,
) -> SealedRecord:
    """Seal `body` (a CBOR-encodable mapping) to the central key, bound to `header`.

    `ephemeral_key` exists for test vectors only; production callers leave it None (a fresh
    key per record, which is what makes the derived nonce safe).
    """
    if not isinstance(body, Mapping):
        raise SealError("body must be a mapping")
    if not isinstance(sealing_public_key, X25519PublicKey):
        raise SealError("sealing key must be an X25519 public key")
    header_bytes = encode_header(header)
    try:
        plaintext = cbor2.dumps(dict(body), canonical=True)
    except Exception as e:  # noqa: BLE001 - cbor2 encoder errors vary; never echo the body
        raise SealError(f"body is not CBOR-encodable ({type(e).__name__})") from None
    eph = ephemeral_key if ephemeral_key is not None else X25519PrivateKey.generate()
    enc = _raw(eph.public_key())
    recipient = _raw(sealing_public_key)
    try:
        shared = eph.exchange(sealing_public_key)
    except ValueError as e:
        raise SealError("key agreement failed (low-order public key)") from e
    key, nonce = _derive(shared, enc, recipient)
    return SealedRecord(header_bytes, enc + AESGCM(key).encrypt(nonce, plaintext, header_bytes))


def open_record(record: SealedRecord, sealing_private_key: X25519PrivateKey) -> dict:
    """Open a sealed body with the central private key (central side only)."""
    ct = record.ciphertext
    if len(ct) < _ENC_LEN + _TAG_LEN:
        raise OpenError("ciphertext too short")
    enc, sealed = ct[:_ENC_LEN], ct[_ENC_LEN:]
    try:
        shared = sealing_private_key.exchange(X25519PublicKey.from_public_bytes(enc))
        key, nonce = _derive(shared, enc, _raw(sealing_private_key.public_key()))
        plaintext = AESGCM(key).decrypt(nonce, sealed, record.header_bytes)
    except (InvalidTag, ValueError) as e:
        raise OpenError("cannot open record: wrong key or altered record") from e
    try:  # cbor_safe, not cbor2: an authenticated body may still be hostile (shared/cyclic)
        body = cbor_safe.loads(plaintext, cbor_safe.BODY_LIMITS)
    except CborError as e:
        raise OpenError(f"opened body is not bounded plain CBOR ({e.cbor_reason})") from e
    if not isinstance(body, dict):
        raise OpenError("opened body is not a map")
    return body


class ChainVerifier:
    """Incremental chain check, usable across batches (the central keeps one per device).

    Feed records in sequence order; each must carry `next_seq`, the expected device id and the
    hash of the previous record. `head` is the last verified record hash.
    """

    def __init__(
        self, prev_hash: bytes = GENESIS_HASH, first_seq: int = 1, device_id: str | None = None
    ) -> None:
        if type(prev_hash) is not bytes or len(prev_hash) != 32:
            raise ValueError("prev_hash must be 32 bytes")
        self.head = prev_hash
        self.next_seq = first_seq
        self.device_id = device_id

    @property
    def last_seq(self) -> int:
        return self.next_seq - 1

    def _link(self, header_bytes: bytes, this_hash: bytes) -> RecordHeader:
        try:
            h = decode_header(header_bytes)
        except RecordFormatError as e:
            raise ChainError(self.next_seq, f"malformed header ({e})") from e
        if h.seq > self.next_seq:
            raise GapError(self.next_seq, h.seq)
        if h.seq < self.next_seq:
            raise ChainError(h.seq, f"out of order or duplicate (expected seq {self.next_seq})")
        if self.device_id is None:
            self.device_id = h.device_id
        elif h.device_id != self.device_id:
            raise ChainError(h.seq, "record of another device")
        if h.prev_hash != self.head:
            raise ChainError(h.seq, "prev_hash does not match the previous record")
        self.head = this_hash
        self.next_seq += 1
        return h

    def add(self, record: SealedRecord) -> RecordHeader:
        """Check one full record; returns its header."""
        if len(record.ciphertext) < _ENC_LEN + _TAG_LEN:
            raise ChainError(self.next_seq, "ciphertext too short")
        return self._link(record.header_bytes, record.record_hash)

    def add_pruned(self, header_bytes: bytes, stored_hash: bytes) -> RecordHeader:
        """Check a record whose ciphertext was dropped: its stored hash stands in for it."""
        if type(stored_hash) is not bytes or len(stored_hash) != 32:
            raise ChainError(self.next_seq, "stored hash is not 32 bytes")
        return self._link(header_bytes, stored_hash)

    def check_head(self, last_hash: bytes) -> None:
        """The chain must end at `last_hash` (e.g. from a signed chain head)."""
        if last_hash != self.head:
            raise ChainError(self.last_seq, "last record does not match the chain head")


def verify_chain(
    records: Iterable[SealedRecord],
    prev_hash: bytes = GENESIS_HASH,
    first_seq: int = 1,
    *,
    device_id: str | None = None,
    last_hash: bytes | None = None,
) -> bytes:
    """Verify records in order from `first_seq` linking to `prev_hash`; return the head hash.

    Raises `GapError` (a ChainError) for a missing seq, `ChainError(seq, reason)` for anything
    else. Pass `last_hash` (from a verified signed chain head) to also catch an altered last record.
    """
    v = ChainVerifier(prev_hash, first_seq, device_id)
    for r in records:
        v.add(r)
    if last_hash is not None:
        v.check_head(last_hash)
    return v.head


def chain_head_message(device_id: str, last_seq: int, last_hash: bytes) -> bytes:
    """The exact bytes an Ed25519 chain-head signature covers."""
    if type(device_id) is not str or not _ID_RE.match(device_id):
        raise RecordFormatError("chain head: bad device id")
    if type(last_seq) is not int or not 0 <= last_seq <= _MAX_SEQ:
        raise RecordFormatError("chain head: bad seq")
    if type(last_hash) is not bytes or len(last_hash) != 32:
        raise RecordFormatError("chain head: hash must be 32 bytes")
    return _HEAD_DOMAIN + cbor2.dumps([device_id, last_seq, last_hash], canonical=True)


def sign_chain_head(
    signing_key: Ed25519PrivateKey, device_id: str, last_seq: int, last_hash: bytes
) -> bytes:
    """The device's signature over its chain head (64 bytes)."""
    return signing_key.sign(chain_head_message(device_id, last_seq, last_hash))


def verify_chain_head(
    public_key: Ed25519PublicKey,
    device_id: str,
    last_seq: int,
    last_hash: bytes,
    signature: bytes,
) -> None:
    """Raise SignatureError unless `signature` is the device's signature over this head."""
    try:
        message = chain_head_message(device_id, last_seq, last_hash)
    except RecordFormatError as e:
        raise SignatureError(f"chain head malformed ({e})") from e
    if type(signature) is not bytes or len(signature) != 64:
        raise SignatureError("chain head signature must be 64 bytes")
    try:
        public_key.verify(signature, message)
    except InvalidSignature as e:
        raise SignatureError(f"chain head signature invalid for seq {last_seq}") from e
