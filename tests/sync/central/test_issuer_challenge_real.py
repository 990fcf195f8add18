"""Issuer challenge refusals with the real card: the simulated My Number card behind pcscd (vpcd)
signs with its JPKI user-authentication key, the central `Issuer` (on a real SQLite store)
decides. Only a signature over central's own challenge, minted for this device and this request,
fresh and unused, under the context string, gets a certificate (issue 16, item 1)."""

from __future__ import annotations

import base64
import hashlib
import os
import time

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from devices.card import CardReader
from devices.card.simulator import SimulatedCard, default_test_ca
from sync.central.issuer import REASONS, Issuer, IssuerConfig
from sync.kiosk_challenge import auth_message

pytestmark = pytest.mark.timeout(120)

SECRET = b"0123456789abcdef0123456789abcdef"


@pytest.fixture
def card(pcsc):
    """The card with its JPKI auth PIN verified: `sign(message)` and its certificate DER."""
    reader = pcsc.reader_name(0)
    with SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=reader) as inserted:
        with CardReader(reader).connect() as handle:
            der = handle.read_auth_certificate().public_bytes(Encoding.DER)
            handle.verify_jpki_auth_pin(inserted.sim.profile.jpki_auth_pin)

            def sign(message: bytes) -> bytes:
                return handle.sign_sha256_digest(hashlib.sha256(message).digest())

            yield sign, der


@pytest.fixture
def central(tmp_path):
    clock = [time.time()]
    issuer = Issuer(
        IssuerConfig(trusted_cas=(default_test_ca().certificate,), challenge_ttl_s=120),
        tmp_path / "central.db",
        secret=SECRET,
        clock=lambda: clock[0],
    )
    yield issuer.handlers(), clock
    issuer.close()


def _mint(handlers, device="C01", certificate="resident_record", copies=1) -> bytes:
    reply = handlers["certificate.challenge"](
        device, {"certificate": certificate, "copies": copies}
    )
    assert reply["ok"] is True, reply
    return base64.b64decode(reply["challenge"])


def _request(der, challenge, signature, certificate="resident_record", copies=1) -> dict:
    return {
        "certificate": certificate,
        "copies": copies,
        "auth_certificate": base64.b64encode(der).decode(),
        "challenge": base64.b64encode(challenge).decode(),
        "signature": base64.b64encode(signature).decode(),
    }


def _signed(sign, der, challenge, device="C01", certificate="resident_record", copies=1):
    message = auth_message(
        device_id=device, certificate=certificate, copies=copies, challenge=challenge
    )
    return _request(der, challenge, sign(message), certificate, copies)


def test_each_refusal_through_the_real_card(card, central):
    sign, der = card
    handlers, clock = central
    issue = handlers["certificate.issue"]

    def refused(device, payload):
        reply = issue(device, payload)
        assert reply["ok"] is False, reply
        assert reply["reason"] in REASONS
        return reply["reason"]

    # another relying party's login nonce, signed bare by the card: never central's challenge
    nonce = os.urandom(32)
    assert refused("C01", _request(der, nonce, sign(nonce))) == "foreign_challenge"
    # central's own challenge, but signed bare (no context string, no request fields)
    minted = _mint(handlers)
    assert refused("C01", _request(der, minted, sign(minted))) == "bad_signature"
    # signed for another device's request (the card signed "C02" into the message)
    assert refused("C01", _signed(sign, der, _mint(handlers), device="C02")) == "bad_signature"
    # minted for another device
    assert refused("C01", _signed(sign, der, _mint(handlers, "C02"))) == "challenge_other_device"
    # minted for another certificate type, or other copies, than requested
    other_type = _mint(handlers, certificate="tax_certificate")
    assert refused("C01", _signed(sign, der, other_type)) == "challenge_other_request"
    other_copies = _mint(handlers, copies=2)
    assert refused("C01", _signed(sign, der, other_copies)) == "challenge_other_request"
    # signed for 2 copies, asking for 3 (the request and the signature disagree)
    two = _mint(handlers, copies=3)
    lying = _signed(sign, der, two, copies=2)
    lying["copies"] = 3
    assert refused("C01", lying) == "bad_signature"
    # a refused request (bad signature) left its challenge unused: signed properly, it issues
    assert issue("C01", _signed(sign, der, minted))["ok"] is True
    # expired
    late = _signed(sign, der, _mint(handlers))
    clock[0] += 121
    assert refused("C01", late) == "challenge_expired"
    # the good one, then its replay (here and from another kiosk)
    good = _signed(sign, der, _mint(handlers))
    reply = issue("C01", good)
    assert reply["ok"] is True and reply["type"] == "resident_record", reply
    assert refused("C01", good) == "challenge_reused"
    assert refused("C02", good) == "challenge_reused"
