"""certificate.issue verifies the JPKI user authentication (chain to a trusted CA, validity,
end-entity, revocation, the card's signature over the challenge, replay) and issues document
data; every refusal is a typed result, never an exception (table-driven)."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from sync.central.issuer import (
    DOCUMENT_DOMAIN,
    REASONS,
    Issuer,
    IssuerConfig,
    default_handlers,
    load_trusted_cas,
)

NOW = datetime(2027, 4, 1, 1, 0, tzinfo=UTC)
SECRET = b"0123456789abcdef0123456789abcdef"


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


_KEYS = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]


def _cert(key, subject, issuer_key, issuer_name, *, ca=False, days=(-1, 365), usage=True):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(usage, False, False, False, False, ca, ca, False, False), critical=True
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


CA_KEY, CARD_KEY, OTHER_KEY = _KEYS
CA = _cert(CA_KEY, "JPKI test CA", CA_KEY, "JPKI test CA", ca=True, days=(-10, 3650))
CARD = _cert(CARD_KEY, "card", CA_KEY, "JPKI test CA")
OTHER_CA = _cert(OTHER_KEY, "JPKI test CA", OTHER_KEY, "JPKI test CA", ca=True)


def _der(cert):
    return cert.public_bytes(Encoding.DER)


def _sign(challenge, key=CARD_KEY):
    # what the card does: PKCS#1 v1.5 over a SHA-256 DigestInfo of the challenge
    return key.sign(challenge, padding.PKCS1v15(), hashes.SHA256())


def _payload(cert=CARD, challenge=None, key=CARD_KEY, **extra):
    challenge = challenge or hashlib.sha256(repr(extra).encode() + bytes(8)).digest()
    p = {
        "certificate": "resident_record",
        "copies": 1,
        "purpose": "work",
        "auth_certificate": base64.b64encode(_der(cert)).decode(),
        "challenge": base64.b64encode(challenge).decode(),
        "signature": base64.b64encode(_sign(challenge, key)).decode(),
    }
    p.update(extra)
    return p


@pytest.fixture
def clock():
    return [NOW.timestamp()]


@pytest.fixture
def issuer(tmp_path, clock):
    cfg = IssuerConfig(trusted_cas=load_trusted_cas([CA.public_bytes(Encoding.PEM)]))
    iss = Issuer(
        cfg,
        tmp_path / "issuer.db",
        secret=SECRET,
        document_key=Ed25519PrivateKey.generate(),
        clock=lambda: clock[0],
    )
    yield iss
    iss.close()


def test_issue_and_verify_document(issuer):
    reply = issuer.handlers()["certificate.issue"]("kita-01", _payload(copies=2))
    assert reply["ok"] is True, reply
    assert reply["type"] == "resident_record" and reply["copies"] == 2
    assert reply["issued_at"] == "2027-04-01T01:00:00Z"
    code = reply["verification_code"]
    assert len(code) == 19 and code.replace("-", "").isdigit()
    assert reply["reference"]
    document = {
        k: reply[k] for k in ("type", "document_id", "verification_code", "issued_at", "copies")
    }
    signed = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    issuer._document_key.public_key().verify(
        base64.b64decode(reply["signature"]), DOCUMENT_DOMAIN + signed
    )
    assert issuer.verify_document(reply["document_id"], code)["type"] == "resident_record"
    assert issuer.verify_document(reply["document_id"], "0000-0000-0000-0000") is None
    # raw bytes (CBOR payloads) work as well as base64 text
    raw = _payload(challenge=b"r" * 32)
    for k in ("auth_certificate", "challenge", "signature"):
        raw[k] = base64.b64decode(raw[k])
    assert issuer.certificate_issue("kita-01", raw)["ok"] is True


def test_replay_is_refused(issuer):
    p = _payload(challenge=b"c" * 32)
    assert issuer.certificate_issue("kita-01", p)["ok"]
    assert issuer.certificate_issue("kita-02", p) == {"ok": False, "reason": "challenge_reused"}


def _expired():
    return _cert(CARD_KEY, "card", CA_KEY, "JPKI test CA", days=(-400, -1))


def _future():
    return _cert(CARD_KEY, "card", CA_KEY, "JPKI test CA", days=(2, 400))


def _ca_itself():
    return CA


def _no_sign_usage():
    return _cert(CARD_KEY, "card", CA_KEY, "JPKI test CA", usage=False)


BAD = [
    ("expired", lambda: _payload(cert=_expired()), "expired_certificate"),
    ("not yet valid", lambda: _payload(cert=_future()), "not_yet_valid"),
    (
        "other CA",
        lambda: _payload(cert=_cert(CARD_KEY, "card", OTHER_KEY, "JPKI test CA")),
        "untrusted_certificate",
    ),
    (
        "self-signed card",
        lambda: _payload(cert=_cert(CARD_KEY, "c", CARD_KEY, "c")),
        "untrusted_certificate",
    ),
    (
        "CA cert presented",
        lambda: _payload(cert=_ca_itself(), key=CA_KEY),
        "not_an_auth_certificate",
    ),
    ("no digitalSignature", lambda: _payload(cert=_no_sign_usage()), "not_an_auth_certificate"),
    ("signature by other key", lambda: _payload(key=OTHER_KEY), "bad_signature"),
    (
        "signature over other challenge",
        lambda: {**_payload(), "challenge": base64.b64encode(b"x" * 32).decode()},
        "bad_signature",
    ),
    (
        "garbage DER",
        lambda: {**_payload(), "auth_certificate": base64.b64encode(b"\x30\x03abc").decode()},
        "bad_certificate",
    ),
    ("not base64", lambda: {**_payload(), "signature": "%%%"}, "bad_request"),
    (
        "missing certificate",
        lambda: {k: v for k, v in _payload().items() if k != "auth_certificate"},
        "bad_request",
    ),
    ("empty signature", lambda: {**_payload(), "signature": ""}, "bad_request"),
    ("huge certificate", lambda: {**_payload(), "auth_certificate": b"x" * 9000}, "bad_request"),
    ("copies zero", lambda: _payload(copies=0), "bad_request"),
    ("copies eleven", lambda: _payload(copies=11), "bad_request"),
    ("copies text", lambda: _payload(copies="2"), "bad_request"),
    ("copies bool", lambda: _payload(copies=True), "bad_request"),
    ("unknown type", lambda: _payload(certificate="passport"), "unknown_certificate_type"),
    ("type not text", lambda: _payload(certificate=7), "bad_request"),
    ("short challenge", lambda: _payload(challenge=b"abc"), "bad_challenge"),
]


@pytest.mark.parametrize(("name", "make", "reason"), BAD, ids=[b[0] for b in BAD])
def test_refusals_are_typed(issuer, name, make, reason):
    assert reason in REASONS
    assert issuer.certificate_issue("kita-01", make()) == {"ok": False, "reason": reason}


@pytest.mark.parametrize("payload", [None, [], "x", 3])
def test_non_dict_payload(issuer, payload):
    assert issuer.certificate_issue("kita-01", payload) == {"ok": False, "reason": "bad_request"}


def test_revoked_serial(tmp_path, clock):
    cfg = IssuerConfig(trusted_cas=(CA,), revoked_serials=frozenset({CARD.serial_number}))
    iss = Issuer(cfg, tmp_path / "i.db", secret=SECRET, clock=lambda: clock[0])
    assert iss.certificate_issue("d", _payload())["reason"] == "revoked_certificate"
    iss.close()


def test_expired_ca_is_not_trusted(tmp_path, clock):
    old_ca = _cert(CA_KEY, "JPKI test CA", CA_KEY, "JPKI test CA", ca=True, days=(-900, -1))
    iss = Issuer(
        IssuerConfig(trusted_cas=(old_ca,)),
        tmp_path / "i.db",
        secret=SECRET,
        clock=lambda: clock[0],
    )
    assert iss.certificate_issue("d", _payload())["reason"] == "untrusted_certificate"
    iss.close()


def test_issued_challenge_mode(tmp_path, clock):
    cfg = IssuerConfig(trusted_cas=(CA,), require_issued_challenge=True, challenge_ttl_s=120)
    iss = Issuer(cfg, tmp_path / "i.db", secret=SECRET, clock=lambda: clock[0])
    h = iss.handlers()

    def minted(device):
        reply = h["certificate.challenge"](device, {})
        assert reply["ok"]
        return base64.b64decode(reply["challenge"])

    assert h["certificate.issue"]("d1", _payload(challenge=b"r" * 32))["reason"] == "bad_challenge"
    assert h["certificate.issue"]("d2", _payload(challenge=minted("d1")))["reason"] == (
        "bad_challenge"
    )
    late = minted("d1")
    clock[0] += 121
    assert h["certificate.issue"]("d1", _payload(challenge=late))["reason"] == "challenge_expired"
    good = minted("d1")
    assert h["certificate.issue"]("d1", _payload(challenge=good))["ok"] is True
    assert h["certificate.issue"]("d1", _payload(challenge=good))["reason"] == "challenge_reused"
    iss.close()


def test_card_simulator_credentials_interoperate(tmp_path):
    """The card simulator's test CA and card key (devices/card/simulator) pass the issuer."""
    from devices.card.simulator.ca import issue_card_credentials, make_test_ca

    ca = make_test_ca(tmp_path / "ca")
    creds = issue_card_credentials(ca, "issuer-test")
    challenge = b"s" * 32
    iss = Issuer(IssuerConfig(trusted_cas=(ca.certificate,)), tmp_path / "i.db", secret=SECRET)
    p = {
        "certificate": "tax_certificate",
        "auth_certificate": base64.b64encode(creds.certificate_der).decode(),
        "challenge": base64.b64encode(challenge).decode(),
        "signature": base64.b64encode(_sign(challenge, creds.key)).decode(),
    }
    assert iss.certificate_issue("d", p)["ok"] is True
    iss.close()


def test_default_handlers_from_the_central_directory(tmp_path):
    """What `madoguchi central serve` wires: CAs from <keys>/jpki-ca, slots from slots.json."""
    from provisioning import init_central

    keys = init_central(tmp_path / "central")
    (keys.directory / "jpki-ca").mkdir()
    (keys.directory / "jpki-ca" / "jpki.pem").write_bytes(
        _fresh(ca=True).public_bytes(Encoding.PEM)
    )
    (keys.directory / "slots.json").write_text(
        json.dumps([{"id": "t1", "topic": "tax", "start": "2999-01-01T10:00", "minutes": 30}])
    )
    handlers = default_handlers(keys, str(tmp_path / "central.db"))
    assert set(handlers) >= {"certificate.issue", "consultation.slots", "consultation.book"}
    reply = handlers["certificate.issue"]("d", _payload(cert=_fresh()))
    assert reply["ok"] is True, reply
    keys.catalog_public.verify(
        base64.b64decode(reply["signature"]),
        DOCUMENT_DOMAIN
        + json.dumps(
            {
                k: reply[k]
                for k in ("type", "document_id", "verification_code", "issued_at", "copies")
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode(),
    )
    assert [s["id"] for s in handlers["consultation.slots"]("d", {"topic": "tax"})["slots"]] == [
        "t1"
    ]
    assert (tmp_path / "central.issuer.db").exists()


def _fresh(ca=False):
    """Certificates valid at the real current time (default_handlers uses the real clock)."""
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name("JPKI test CA" if ca else "card"))
        .issuer_name(_name("JPKI test CA"))
        .public_key((CA_KEY if ca else CARD_KEY).public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(CA_KEY, hashes.SHA256())
    )


def _statement(**fields):
    from sync.kiosk_challenge import make_statement as kiosk_challenge

    values = {"device_id": "d1", "certificate": "resident_record", "copies": 1,
              "at": int(NOW.timestamp()), "nonce": b"n" * 16}  # fmt: skip
    values.update(fields)
    return kiosk_challenge(**values)


def test_kiosk_statement_is_accepted_only_for_its_own_request(tmp_path, clock):
    """When central's challenge did not arrive in time the kiosk signs a statement of the
    request itself (sync.kiosk_challenge); even a strict issuer accepts it, but
    only for that device, certificate type and number of copies, fresh, once."""
    cfg = IssuerConfig(trusted_cas=(CA,), require_issued_challenge=True, challenge_ttl_s=120)
    iss = Issuer(cfg, tmp_path / "i.db", secret=SECRET, clock=lambda: clock[0])
    issue = iss.handlers()["certificate.issue"]
    assert issue("d2", _payload(challenge=_statement()))["reason"] == "bad_challenge"
    assert (
        issue("d1", _payload(challenge=_statement(certificate="seal_certificate")))["reason"]
        == "bad_challenge"
    )
    assert issue("d1", _payload(challenge=_statement(), copies=2))["reason"] == "bad_challenge"
    stale = _statement(at=int(NOW.timestamp()) - 121)
    assert issue("d1", _payload(challenge=stale))["reason"] == "challenge_expired"
    good = _statement(nonce=b"g" * 16)
    assert issue("d1", _payload(challenge=good))["ok"] is True
    assert issue("d1", _payload(challenge=good))["reason"] == "challenge_reused"
    # signed by another key than the certificate's: refused as ever
    other = _statement(nonce=b"o" * 16)
    forged = _payload(challenge=other)
    forged["signature"] = base64.b64encode(_sign(other + b"x")).decode()
    assert issue("d1", forged)["ok"] is False
    iss.close()


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"at":1}', b'{"at":1,"certificate":"resident_record","copies":1,'
     b'"device":"d1","nonce":"' + b"a" * 32 + b'","extra":1}'],
)  # fmt: skip
def test_malformed_kiosk_statements_are_refused(issuer, body):
    from sync.kiosk_challenge import DOMAIN as KIOSK_CHALLENGE_DOMAIN

    reply = issuer.handlers()["certificate.issue"](
        "d1", _payload(challenge=KIOSK_CHALLENGE_DOMAIN + body)
    )
    assert reply["reason"] == "bad_challenge"
