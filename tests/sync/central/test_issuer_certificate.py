"""certificate.issue verifies the JPKI user authentication (chain to a trusted CA, validity,
end-entity, revocation, the card's signature over central's challenge bound to the request,
replay) and issues document data; every refusal is a typed result, never an exception
(table-driven). Each payload is signed over a challenge central minted for it
(`issuer_support.signed_request`)."""

import base64
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from sync.central.config_files import default_handlers
from sync.central.issuer import (
    DEFAULT_CERTIFICATE_TYPES as DEFAULT_TYPES,
)
from sync.central.issuer import (
    DOCUMENT_DOMAIN,
    REASONS,
    Issuer,
    IssuerConfig,
    load_trusted_cas,
)
from tests.support.issuer import mint, rsa_signer, signed_request

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


def _sign(message, key=CARD_KEY):
    # what the card does: PKCS#1 v1.5 over a SHA-256 DigestInfo of the message
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def _payload(iss, cert=CARD, key=CARD_KEY, device="kita-01", challenge=None, **extra):
    """A request of `device` signed over a challenge `iss` minted for it (or `challenge`)."""
    handlers = iss.handlers() if isinstance(iss, Issuer) else iss
    kind = extra.pop("certificate", "resident_record")
    copies = extra.pop("copies", 1)
    p = signed_request(
        handlers,
        device,
        _der(cert),
        rsa_signer(key),
        certificate=kind if isinstance(kind, str) and kind in DEFAULT_TYPES else "resident_record",
        copies=copies if type(copies) is int and 1 <= copies <= 10 else 1,
        challenge=challenge,
        purpose="work",
    )
    p.update(certificate=kind, copies=copies, **extra)
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
    reply = issuer.handlers()["certificate.issue"]("kita-01", _payload(issuer, copies=2))
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
    raw = _payload(issuer)
    for k in ("auth_certificate", "challenge", "signature"):
        raw[k] = base64.b64decode(raw[k])
    assert issuer.certificate_issue("kita-01", raw)["ok"] is True


def test_replay_is_refused(issuer):
    p = _payload(issuer)
    assert issuer.certificate_issue("kita-01", p)["ok"]
    assert issuer.certificate_issue("kita-02", p) == {"ok": False, "reason": "challenge_reused"}
    assert issuer.certificate_issue("kita-01", p) == {"ok": False, "reason": "challenge_reused"}


def _expired():
    return _cert(CARD_KEY, "card", CA_KEY, "JPKI test CA", days=(-400, -1))


def _future():
    return _cert(CARD_KEY, "card", CA_KEY, "JPKI test CA", days=(2, 400))


def _ca_itself():
    return CA


def _no_sign_usage():
    return _cert(CARD_KEY, "card", CA_KEY, "JPKI test CA", usage=False)


BAD = [
    ("expired", lambda i: _payload(i, cert=_expired()), "expired_certificate"),
    ("not yet valid", lambda i: _payload(i, cert=_future()), "not_yet_valid"),
    (
        "other CA",
        lambda i: _payload(i, cert=_cert(CARD_KEY, "card", OTHER_KEY, "JPKI test CA")),
        "untrusted_certificate",
    ),
    (
        "self-signed card",
        lambda i: _payload(i, cert=_cert(CARD_KEY, "c", CARD_KEY, "c")),
        "untrusted_certificate",
    ),
    (
        "CA cert presented",
        lambda i: _payload(i, cert=_ca_itself(), key=CA_KEY),
        "not_an_auth_certificate",
    ),
    (
        "no digitalSignature",
        lambda i: _payload(i, cert=_no_sign_usage()),
        "not_an_auth_certificate",
    ),
    ("signature by other key", lambda i: _payload(i, key=OTHER_KEY), "bad_signature"),
    (
        "signature over other challenge",
        lambda i: {**_payload(i), "signature": _payload(i)["signature"]},
        "bad_signature",
    ),
    (
        "signature over the bare challenge (no context string)",
        lambda i: _bare(i),
        "bad_signature",
    ),
    (
        "garbage DER",
        lambda i: {**_payload(i), "auth_certificate": base64.b64encode(b"\x30\x03abc").decode()},
        "bad_certificate",
    ),
    ("not base64", lambda i: {**_payload(i), "signature": "%%%"}, "bad_request"),
    (
        "missing certificate",
        lambda i: {k: v for k, v in _payload(i).items() if k != "auth_certificate"},
        "bad_request",
    ),
    ("empty signature", lambda i: {**_payload(i), "signature": ""}, "bad_request"),
    ("huge certificate", lambda i: {**_payload(i), "auth_certificate": b"x" * 9000}, "bad_request"),
    ("copies zero", lambda i: _payload(i, copies=0), "bad_request"),
    ("copies eleven", lambda i: _payload(i, copies=11), "bad_request"),
    ("copies text", lambda i: _payload(i, copies="2"), "bad_request"),
    ("copies bool", lambda i: _payload(i, copies=True), "bad_request"),
    ("unknown type", lambda i: _payload(i, certificate="passport"), "unknown_certificate_type"),
    ("type not text", lambda i: _payload(i, certificate=7), "bad_request"),
    ("short challenge", lambda i: _payload(i, challenge=b"abc"), "foreign_challenge"),
    ("challenge the device chose", lambda i: _payload(i, challenge=b"r" * 32), "foreign_challenge"),
    (
        "challenge minted for another device",
        lambda i: _payload(i, challenge=mint(i.handlers(), "kita-02")),
        "challenge_other_device",
    ),
    (
        "challenge minted for another certificate type",
        lambda i: _payload(i, challenge=mint(i.handlers(), "kita-01", "tax_certificate")),
        "challenge_other_request",
    ),
    (
        "challenge minted for other copies",
        lambda i: _payload(i, challenge=mint(i.handlers(), "kita-01", copies=3)),
        "challenge_other_request",
    ),
]


def _bare(iss):
    """A JPKI signature over the challenge alone, as another relying party's login asks."""
    p = _payload(iss)
    p["signature"] = base64.b64encode(_sign(base64.b64decode(p["challenge"]))).decode()
    return p


@pytest.mark.parametrize(("name", "make", "reason"), BAD, ids=[b[0] for b in BAD])
def test_refusals_are_typed(issuer, name, make, reason):
    assert reason in REASONS
    assert issuer.certificate_issue("kita-01", make(issuer)) == {"ok": False, "reason": reason}


@pytest.mark.parametrize("payload", [None, [], "x", 3])
def test_non_dict_payload(issuer, payload):
    assert issuer.certificate_issue("kita-01", payload) == {"ok": False, "reason": "bad_request"}


def test_revoked_serial(tmp_path, clock):
    cfg = IssuerConfig(trusted_cas=(CA,), revoked_serials=frozenset({CARD.serial_number}))
    iss = Issuer(cfg, tmp_path / "i.db", secret=SECRET, clock=lambda: clock[0])
    assert iss.certificate_issue("d", _payload(iss, device="d"))["reason"] == "revoked_certificate"
    iss.close()


def test_expired_ca_is_not_trusted(tmp_path, clock):
    old_ca = _cert(CA_KEY, "JPKI test CA", CA_KEY, "JPKI test CA", ca=True, days=(-900, -1))
    iss = Issuer(
        IssuerConfig(trusted_cas=(old_ca,)),
        tmp_path / "i.db",
        secret=SECRET,
        clock=lambda: clock[0],
    )
    assert iss.certificate_issue("d", _payload(iss, device="d"))["reason"] == (
        "untrusted_certificate"
    )
    iss.close()


def test_issued_challenge_mode(tmp_path, clock):
    """Strict is the only mode: central's challenge, for this device, fresh, once."""
    cfg = IssuerConfig(trusted_cas=(CA,), challenge_ttl_s=120)
    assert not hasattr(cfg, "require_issued_challenge")
    iss = Issuer(cfg, tmp_path / "i.db", secret=SECRET, clock=lambda: clock[0])
    h = iss.handlers()

    def minted(device):
        return mint(h, device)

    issue = h["certificate.issue"]
    assert (
        issue("d1", _payload(iss, device="d1", challenge=b"r" * 32))["reason"]
        == "foreign_challenge"
    )
    assert issue("d2", _payload(iss, device="d2", challenge=minted("d1")))["reason"] == (
        "challenge_other_device"
    )
    late = minted("d1")
    clock[0] += 121
    assert issue("d1", _payload(iss, device="d1", challenge=late))["reason"] == (
        "challenge_expired"
    )
    good = minted("d1")
    assert issue("d1", _payload(iss, device="d1", challenge=good))["ok"] is True
    assert issue("d1", _payload(iss, device="d1", challenge=good))["reason"] == "challenge_reused"
    # a challenge request names the certificate and copies it is for
    assert h["certificate.challenge"]("d1", {}) == {"ok": False, "reason": "bad_request"}
    assert h["certificate.challenge"]("d1", {"certificate": "passport"}) == {
        "ok": False,
        "reason": "unknown_certificate_type",
    }
    assert h["certificate.challenge"]("d1", {"certificate": "tax_certificate", "copies": 0}) == {
        "ok": False,
        "reason": "bad_request",
    }
    iss.close()


def test_card_simulator_credentials_interoperate(tmp_path):
    """The card simulator's test CA and card key (devices/card/simulator) pass the issuer."""
    from devices.card.simulator.ca import issue_card_credentials, make_test_ca

    ca = make_test_ca(tmp_path / "ca")
    creds = issue_card_credentials(ca, "issuer-test")
    iss = Issuer(IssuerConfig(trusted_cas=(ca.certificate,)), tmp_path / "i.db", secret=SECRET)
    p = signed_request(
        iss.handlers(),
        "d",
        creds.certificate_der,
        rsa_signer(creds.key),
        certificate="tax_certificate",
    )
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
    reply = handlers["certificate.issue"]("d", _payload(handlers, device="d", cert=_fresh()))
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
    # one schema owner: the issuer's state is in the central store, no file beside it
    assert not (tmp_path / "central.issuer.db").exists()
    assert sorted(p.name for p in tmp_path.glob("central*")) == [
        "central",
        "central.db",
        "central.db-shm",
        "central.db-wal",
    ]


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
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(  # a card certificate without KeyUsage is refused (issue 16.2)
            x509.KeyUsage(not ca, False, False, False, False, ca, ca, False, False), critical=True
        )
        .sign(CA_KEY, hashes.SHA256())
    )


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"at":1}', b'{"at":1,"certificate":"resident_record","copies":1,'
     b'"device":"d1","nonce":"' + b"a" * 32 + b'","extra":1}'],
)  # fmt: skip
def test_kiosk_made_challenges_are_foreign(issuer, body):
    """A challenge the kiosk made itself (the former offline "kiosk statement", or anything
    else central did not mint) never yields a certificate, even signed by a valid card."""
    statement = b"madoguchi/kiosk-challenge/v1\x00" + body
    reply = issuer.handlers()["certificate.issue"](
        "d1", _payload(issuer, device="d1", challenge=statement)
    )
    assert reply == {"ok": False, "reason": "foreign_challenge"}


def test_a_device_cannot_fill_the_challenge_table(tmp_path, clock):
    """At most `max_open_challenges` unused, unexpired challenges per device; old ones are
    forgotten, so the table stays bounded whatever an enrolled device asks."""
    cfg = IssuerConfig(trusted_cas=(CA,), challenge_ttl_s=120, max_open_challenges=3)
    iss = Issuer(cfg, tmp_path / "i.db", secret=SECRET, clock=lambda: clock[0])
    h = iss.handlers()
    ask = {"certificate": "resident_record", "copies": 1}
    held = [mint(h, "d1") for _ in range(3)]
    assert h["certificate.challenge"]("d1", ask) == {"ok": False, "reason": "too_many_challenges"}
    assert "too_many_challenges" in REASONS
    assert h["certificate.challenge"]("d2", ask)["ok"] is True  # other devices are not affected
    assert iss.certificate_issue("d1", _payload(iss, device="d1", challenge=held[0]))["ok"]
    assert h["certificate.challenge"]("d1", ask)["ok"] is True  # a used one frees its place
    clock[0] += 121
    assert all(h["certificate.challenge"]("d1", ask)["ok"] for _ in range(3))  # old ones expired
    clock[0] += 3600 + 121
    mint(h, "d1")
    db = sqlite3.connect(str(tmp_path / "i.db"))
    try:  # everything older than lifetime + challenge_kept_s was forgotten
        assert db.execute("SELECT COUNT(*) FROM issuer_challenges").fetchone()[0] == 1
    finally:
        db.close()
    iss.close()
