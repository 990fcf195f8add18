"""The independent checker: for each receipt a resident was given, is the record stored exactly
once, with its content intact?

Written apart from the code it judges, in the spirit of Jepsen's checkers: it shares no helper
with `sync/` (no store API, no outbox API, no `sync.sealing`). It reads the central `records`
table and every outbox file (the live one and any moved aside) with plain SQL, decodes headers
itself and opens every sealed body itself from the record format of docs/record-format.md
(X25519, HKDF-SHA256, AES-256-GCM with the header as associated data) with the central sealing
private keys, and compares each plaintext's SHA-256 with the digest written on the receipt.

Verdict per receipt (the resident's printed receipt: `append` returned):
- `stored`: exactly one central row holds its body, under the receipt's device, seq and record id.
- `pending`: not at the central side yet, but its sealed body is intact in the live outbox.
- `stranded`: only in an outbox file moved aside (never sent from there): not delivered.
- `lost`: nowhere.  `duplicated`: more than one distinct copy.  `altered`: a copy whose content,
  seq or record id differs from the receipt, or that does not open.
`ok` is true when nothing is lost, stranded, duplicated or altered, no outbox file is unreadable
(SQLite must never leave one damaged after a power cut), and, with `final=True`
(after the drain), nothing is still pending. Rows that no receipt names (submitted but cut
before the receipt printed) are counted, never an error. Nothing here logs or returns content.
"""

from __future__ import annotations

import glob
import hashlib
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from madoguchi.faults.errors import CheckerError

__all__ = ["Verdict", "check", "read_receipts"]

_INFO = b"madoguchi/record/v1"


@dataclass
class Verdict:
    """Counts per outcome, and up to 20 examples of each failure as (device, seq) pairs."""

    receipts: int = 0
    stored: int = 0
    pending: int = 0
    stranded: int = 0
    lost: int = 0
    duplicated: int = 0
    altered: int = 0
    unreceipted_rows: int = 0  # central rows no receipt names (cut before the receipt printed)
    unreadable_rows: int = 0  # central or outbox rows that do not open
    damaged_files: int = 0  # outbox files SQLite cannot read (damaged: a bug after a power cut)
    final: bool = False
    examples: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        bad = self.lost + self.stranded + self.duplicated + self.altered
        bad += self.damaged_files
        return bad == 0 and not (self.final and self.pending)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "examples"}
        out["ok"] = self.ok
        out["examples"] = {k: [list(e) for e in v] for k, v in self.examples.items()}
        return out

    def _note(self, outcome: str, device: str, seq: int) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome not in ("stored", "pending"):
            self.examples.setdefault(outcome, [])
            if len(self.examples[outcome]) < 20:
                self.examples[outcome].append((device, seq))


def read_receipts(path: Path) -> list[dict]:
    """The receipt log (one JSON object a line); a torn last line (cut mid-print) is skipped."""
    out = []
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


@dataclass(frozen=True)
class _Copy:
    where: str  # "central" | "outbox" | "aside"
    device: str
    seq: int
    record_id: str
    digest: str | None  # sha256 hex of the plaintext; None if it does not open


def _open_body(keys: Mapping[str, X25519PrivateKey], header: bytes, sealed: bytes) -> bytes | None:
    try:
        kid = cbor2.loads(header)["kid"]
        key = keys[kid]
    except (ValueError, KeyError, TypeError, cbor2.CBORDecodeError):
        return None
    if len(sealed) < 32 + 16:
        return None
    enc = sealed[:32]
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(enc))
    except ValueError:
        return None
    own = key.public_key().public_bytes_raw()
    okm = HKDF(hashes.SHA256(), 44, salt=None, info=_INFO + enc + own).derive(shared)
    try:
        return AESGCM(okm[:32]).decrypt(okm[32:44], sealed[32:], header)
    except InvalidTag:
        return None


def _copy(where, keys, header, sealed) -> tuple[_Copy | None, str | None]:
    """(copy, nonce) of one stored record, or (None, None) if its header does not decode."""
    try:
        h = cbor2.loads(bytes(header))
        device, seq, rid = str(h["dev"]), int(h["seq"]), str(h["id"])
    except (ValueError, KeyError, TypeError, cbor2.CBORDecodeError):
        return None, None
    plain = _open_body(keys, bytes(header), bytes(sealed)) if sealed is not None else None
    nonce = None
    if plain is not None:
        try:
            nonce = cbor2.loads(plain).get("nonce")
        except (ValueError, AttributeError, cbor2.CBORDecodeError):
            nonce = None
    digest = hashlib.sha256(plain).hexdigest() if plain is not None else None
    return _Copy(where, device, seq, rid, digest), nonce


def _central_rows(db: str) -> Iterable[tuple]:
    sql = "SELECT device_id, seq, header, ciphertext FROM records"
    if db.startswith(("postgresql://", "postgres://")):
        import psycopg

        try:
            with psycopg.connect(db) as conn:
                return list(conn.execute(sql).fetchall())
        except psycopg.Error as e:
            raise CheckerError(f"cannot read the central store: {type(e).__name__}") from e
    if not Path(db).exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise CheckerError(f"cannot read the central store: {e}") from e


def _outbox_rows(path: Path) -> list[tuple]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT seq, header, ciphertext FROM records").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise CheckerError(f"cannot read outbox {Path(path).name}: {e}") from e


def check(
    receipts: Iterable[dict],
    central_db: str,
    outboxes: Iterable[Path],
    sealing_keys: Mapping[str, X25519PrivateKey],
    *,
    final: bool = False,
) -> Verdict:
    """Judge every receipt against the central store and the outboxes (see the module doc)."""
    verdict = Verdict(final=final)
    by_nonce: dict[str, list[_Copy]] = defaultdict(list)
    by_key: dict[tuple[str, int], list[_Copy]] = defaultdict(list)  # central rows by (dev, seq)
    for device, seq, header, sealed in _central_rows(central_db):
        copy, nonce = _copy("central", sealing_keys, header, sealed)
        if copy is None or nonce is None:
            verdict.unreadable_rows += 1
            if copy is None:
                continue
        if copy.device != device or copy.seq != int(seq):
            verdict.unreadable_rows += 1
        by_key[(str(device), int(seq))].append(copy)
        if nonce is not None:
            by_nonce[str(nonce)].append(copy)
    for live in outboxes:
        live = Path(live)
        files = [(live, "outbox")] if live.exists() else []
        files += [(Path(p), "aside") for p in sorted(glob.glob(f"{live}.damaged-*"))]
        for path, where in files:
            if str(path).endswith(("-wal", "-shm")):
                continue
            try:
                rows = _outbox_rows(path)
            except CheckerError:
                verdict.damaged_files += 1  # its records count nowhere: lost unless central
                continue
            for _seq, header, sealed in rows:
                if sealed is None:
                    continue  # pruned after its ack: the central copy is what counts
                copy, nonce = _copy(where, sealing_keys, header, sealed)
                if copy is None or nonce is None:
                    verdict.unreadable_rows += 1
                    continue
                by_nonce[str(nonce)].append(copy)
    named = set()
    for r in receipts:
        verdict.receipts += 1
        device, seq, nonce = str(r["device"]), int(r["seq"]), str(r["nonce"])
        named.add(nonce)
        copies = list(by_nonce.get(nonce, []))
        # a central row at the receipt's own (device, seq) that does not hold its body: altered
        copies += [c for c in by_key.get((device, seq), []) if c not in copies]
        central = [c for c in copies if c.where == "central"]
        # one record may sit both in the outbox and at the central side: the same copy
        distinct = {(c.device, c.seq) for c in copies}
        if len(distinct) > 1 or len(central) > 1:
            verdict._note("duplicated", device, seq)
        elif any(
            c.digest != r["digest"]
            or c.record_id != r["record_id"]
            or (c.device, c.seq) != (device, seq)
            for c in copies
        ):
            verdict._note("altered", device, seq)
        elif central:
            verdict._note("stored", device, seq)
        elif any(c.where == "outbox" for c in copies):
            verdict._note("pending", device, seq)
        elif copies:
            verdict._note("stranded", device, seq)
        else:
            verdict._note("lost", device, seq)
    counts = Counter(n for n, cs in by_nonce.items() for c in cs if c.where == "central")
    verdict.unreceipted_rows = sum(v for n, v in counts.items() if n not in named)
    return verdict
