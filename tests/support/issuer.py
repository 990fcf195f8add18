"""Certificate requests as a kiosk makes them: central's challenge minted for (device, type,
copies), the card key signing `sync.kiosk_challenge.auth_message` of that request."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from sync.kiosk_challenge import auth_message

Handlers = Mapping[str, Callable[[str, dict], dict]]


def rsa_signer(key) -> Callable[[bytes], bytes]:
    """What the card does: PKCS#1 v1.5 over a SHA-256 DigestInfo of the message."""
    return lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def mint(handlers: Handlers, device: str, certificate: str = "resident_record", copies: int = 1):
    reply = handlers["certificate.challenge"](
        device, {"certificate": certificate, "copies": copies}
    )
    assert reply["ok"] is True, reply
    return base64.b64decode(reply["challenge"])


def signed_request(
    handlers: Handlers,
    device: str,
    cert_der: bytes,
    sign: Callable[[bytes], bytes],
    *,
    certificate: str = "resident_record",
    copies: int = 1,
    challenge: bytes | None = None,
    signed_for: dict | None = None,
    **extra,
) -> dict:
    """A `certificate.issue` payload. `challenge`: use this one instead of minting; `signed_for`:
    fields of `auth_message` that differ from the request's (what the card really signed)."""
    if challenge is None:
        challenge = mint(handlers, device, certificate, copies)
    fields = {"device_id": device, "certificate": certificate, "copies": copies,
              "challenge": challenge, **(signed_for or {})}  # fmt: skip
    try:
        message = auth_message(**fields)
    except ValueError:  # not a challenge central could have minted: the card signs it as is
        message = challenge
    payload = {
        "certificate": certificate,
        "copies": copies,
        "auth_certificate": base64.b64encode(cert_der).decode(),
        "challenge": base64.b64encode(challenge).decode(),
        "signature": base64.b64encode(sign(message)).decode(),
    }
    payload.update(extra)
    return payload
