"""The kiosk statement: what a kiosk has the card sign for a certificate request when central's
own challenge did not arrive in time. Pure (no I/O, no clock): the kiosk session builds it, the
central issuer reads it and checks every field against the request it came with.

Format: `DOMAIN` then canonical JSON `{"at", "certificate", "copies", "device", "nonce"}`
(`at`: the kiosk's wall-clock seconds; `nonce`: 16 random bytes in hex).
"""

from __future__ import annotations

import json

__all__ = ["DOMAIN", "make_statement", "read_statement"]

DOMAIN = b"madoguchi/kiosk-challenge/v1\x00"
_FIELDS = {"at", "certificate", "copies", "device", "nonce"}


def make_statement(
    *, device_id: str, certificate: str, copies: int, at: int, nonce: bytes
) -> bytes:
    fields = {
        "at": at,
        "certificate": certificate,
        "copies": copies,
        "device": device_id,
        "nonce": nonce.hex(),
    }
    return DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def read_statement(challenge: bytes) -> dict | None:
    """The statement's fields; None if the challenge is not a kiosk statement. A statement that
    is malformed (not JSON, other fields, wrong types) raises ValueError."""
    if not challenge.startswith(DOMAIN):
        return None
    try:
        fields = json.loads(challenge[len(DOMAIN) :].decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError("kiosk statement is not UTF-8") from e
    if not isinstance(fields, dict) or set(fields) != _FIELDS:
        raise ValueError("kiosk statement has other fields")
    if not (
        type(fields["at"]) is int
        and type(fields["copies"]) is int
        and isinstance(fields["certificate"], str)
        and isinstance(fields["device"], str)
        and isinstance(fields["nonce"], str)
        and len(fields["nonce"]) == 32
    ):
        raise ValueError("kiosk statement has a field of the wrong type")
    return fields
