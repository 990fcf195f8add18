"""What the card signs for a certificate request: central's challenge bound to the request,
under a context string. Pure (no I/O, no clock): the kiosk session builds the message the card
signs, the central issuer rebuilds it from the request it received and verifies the card's
signature over it.

Guarantees:
- Domain separation: the message starts with `DOMAIN`, so a JPKI signature made for another
  relying party (a login nonce, another service's challenge) never verifies here, and a
  signature made here never stands for anything else.
- Binding: the message names the device, the certificate type, the number of copies and the
  challenge (which central minted for that device and request, single use, short-lived), in
  canonical JSON: change any of them and the signature no longer verifies.
- A kiosk never makes up a challenge: with no answer from central there is nothing to sign and
  the request is queued as a claim (the card is checked again at the counter).

Format: `DOMAIN` then canonical JSON `{"certificate", "challenge" (hex), "copies", "device"}`.
"""

from __future__ import annotations

import json

__all__ = ["CHALLENGE_BYTES", "DOMAIN", "auth_message"]

DOMAIN = b"madoguchi/certificate-request/v2\x00"
CHALLENGE_BYTES = 32


def auth_message(*, device_id: str, certificate: str, copies: int, challenge: bytes) -> bytes:
    """The bytes whose SHA-256 the card signs (PKCS#1 v1.5, JPKI user authentication key)."""
    if len(challenge) != CHALLENGE_BYTES:
        raise ValueError("a challenge is 32 bytes")
    fields = {
        "certificate": certificate,
        "challenge": challenge.hex(),
        "copies": copies,
        "device": device_id,
    }
    return DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")
