"""The rows the central store hands out and takes in: plain frozen dataclasses, no SQL.

They sit below `store` and `store_chain` (both use them), so neither imports the other for them.
`body_json` renders an opened body as the JSON text the typed tables keep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sync.protocol import Rejection

__all__ = ["CommitResult", "DeviceState", "PendingRecord", "StoredRecord", "body_json"]


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One verified sealed record as the ack path stores it (no body in clear)."""

    seq: int
    record_hash: bytes
    prev_hash: bytes
    record_id: str
    kind: str
    created_at: int
    header: bytes
    ciphertext: bytes


@dataclass(frozen=True, slots=True)
class DeviceState:
    device_id: str
    committed_seq: int
    committed_hash: bytes
    max_seq: int


@dataclass(frozen=True, slots=True)
class CommitResult:
    committed_seq: int
    stored: int
    duplicates: int
    rejections: tuple[Rejection, ...] = ()
    events: tuple[str, ...] = ()
    quarantined_bytes: int = 0  # header and ciphertext bytes this commit put in quarantine


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """A stored record waiting for the processing stage."""

    device_id: str
    seq: int
    record_hash: bytes
    header: bytes
    ciphertext: bytes
    received_at: float


def _to_jsonable(value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return {"$bytes": bytes(value).hex()}
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return str(value)


def body_json(body: dict) -> str:
    """A decrypted body as JSON text (bytes as {"$bytes": hex}, dates as ISO 8601)."""
    return json.dumps(body, ensure_ascii=False, default=_to_jsonable, sort_keys=True)
