"""Resident lookups in the city's back office (HTTP on 127.0.0.1): the adapter answers a
validated holder, None for 404, and a typed error for anything else (table-driven); the issuer
puts the holder into the reply only (never the database, the signature or the logs), refuses a
certificate that is no resident's without using up the challenge, and issues without a holder
when the back office is down. Cards and CA come from the card simulator."""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
import time
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devices.card.simulator.ca import default_test_ca, issue_card_credentials
from sync.central.config_files import default_handlers, load_residents_file
from sync.central.issuer import DOCUMENT_DOMAIN, REASONS, Issuer, IssuerConfig
from sync.central.residents import (
    Holder,
    HttpResidentRecords,
    ResidentLookupError,
    ResidentRecordsConfig,
    ResidentRecordsError,
)
from tests.support.issuer import rsa_signer, signed_request
from tests.support.residents import ResidentsBackOffice, key_of, refused_url

pytestmark = pytest.mark.timeout(60)

SECRET = b"0123456789abcdef0123456789abcdef"
CA = default_test_ca()
CARD = issue_card_credentials(CA, "residents-test")
STRANGER = issue_card_credentials(CA, "residents-stranger")
RECORD = {"name": "窓口 太郎", "address": "愛知県豊橋市今橋町1番地", "birth_date": "1970-02-03"}
KEY = key_of(CARD.certificate, CA.certificate)


def _adapter(url: str, **kw) -> HttpResidentRecords:
    kw.setdefault("read_timeout_s", 2.0)
    return HttpResidentRecords(ResidentRecordsConfig(url=url, **kw))


def _lookup(adapter, creds=CARD):
    serial, fingerprint = key_of(creds.certificate, CA.certificate)
    return adapter.lookup(creds.certificate.serial_number, fingerprint, "resident_record")


# -- the adapter --------------------------------------------------------------------------


def test_lookup_finds_the_resident_by_serial_and_ca():
    with ResidentsBackOffice({KEY: {**RECORD, "sex": "1", "kana": "ignored"}}) as office:
        holder = _lookup(_adapter(office.url, headers={"Authorization": "Bearer t0ken"}))
    assert holder == Holder("窓口 太郎", "愛知県豊橋市今橋町1番地", date(1970, 2, 3), "1")
    assert holder.as_reply() == {**RECORD, "sex": "1"}
    assert "窓口" not in repr(holder) and "豊橋" not in repr(holder)
    [request] = office.requests
    assert request["path"] == f"/residents/{CARD.certificate.serial_number:x}"
    assert request["query"] == {"ca": KEY[1], "certificate": "resident_record"}
    assert request["headers"]["Authorization"] == "Bearer t0ken"


def test_unknown_certificate_is_none():
    with ResidentsBackOffice({KEY: RECORD}) as office:
        assert _lookup(_adapter(office.url), STRANGER) is None


def _body(**changes) -> str:
    doc = {**RECORD, **changes}
    return "body:" + json.dumps({k: v for k, v in doc.items() if v is not None})


BAD = [  # (test id, back-office mode, the error's reason)
    ("500", "500", "HTTP 500"),
    ("redirect", "redirect", "HTTP 302"),
    ("connection dropped", "drop", "ConnectionError"),
    ("not JSON", "body:<html>oops</html>", "body is not JSON"),
    ("JSON list", "body:[]", "body is not a JSON object"),
    ("empty body", "body:", "body is not JSON"),
    ("oversized body", _body(note="x" * 20_000), "body too large"),
    ("name missing", _body(name=None), "bad field name"),
    ("name empty", _body(name=""), "bad field name"),
    ("name blank", _body(name="   "), "bad field name"),
    ("name not text", _body(name=7), "bad field name"),
    ("name too long", _body(name="名" * 101), "bad field name"),
    ("name with control character", _body(name="窓口\n太郎"), "bad field name"),
    ("address missing", _body(address=None), "bad field address"),
    ("address too long", _body(address="町" * 201), "bad field address"),
    ("birth date missing", _body(birth_date=None), "bad field birth_date"),
    ("birth date not a date", _body(birth_date="1970-02-30"), "bad field birth_date"),
    ("birth date compact", _body(birth_date="19700203"), "bad field birth_date"),
    ("birth date with time", _body(birth_date="1970-02-03T00:00"), "bad field birth_date"),
    ("birth date a number", _body(birth_date=19700203), "bad field birth_date"),
    ("sex out of code", _body(sex="3"), "bad field sex"),
    ("sex a number", _body(sex=1), "bad field sex"),
]


@pytest.mark.parametrize(("name", "mode", "reason"), BAD, ids=[b[0] for b in BAD])
def test_back_office_failures_are_typed(name, mode, reason):
    with ResidentsBackOffice({KEY: RECORD}, script=[mode]) as office:
        with pytest.raises(ResidentLookupError) as caught:
            _lookup(_adapter(office.url))
    assert caught.value.reason == reason
    assert "窓口" not in str(caught.value)


def test_a_slow_back_office_times_out():
    with ResidentsBackOffice({KEY: RECORD}, script=["slow"], slow_s=3.0) as office:
        t0 = time.monotonic()
        with pytest.raises(ResidentLookupError):
            _lookup(_adapter(office.url, read_timeout_s=0.3))
        assert time.monotonic() - t0 < 2.0


def test_connection_refused():
    with pytest.raises(ResidentLookupError):
        _lookup(_adapter(refused_url(), connect_timeout_s=1.0))


@pytest.mark.parametrize(
    "kw",
    [{"url": "ftp://x"}, {"url": "backoffice"}, {"url": "http://x", "read_timeout_s": 0}],
)
def test_config_is_checked(kw):
    with pytest.raises(ResidentRecordsError):
        ResidentRecordsConfig(**kw)


def test_residents_file(tmp_path):
    path = tmp_path / "residents.json"
    path.write_text(
        json.dumps(
            {
                "url": "https://bo.example/r",
                "city_name": "豊橋市",
                "token_env": "T",
                "headers": {"X-Office": "kita"},
                "verify_tls": "/etc/ssl/city.pem",
                "read_timeout_s": 1,
            }  # fmt: skip
        )
    )
    config, city = load_residents_file(path, {"T": "s3cret"})
    assert city == "豊橋市" and config.read_timeout_s == 1.0
    assert config.headers == {"X-Office": "kita", "Authorization": "Bearer s3cret"}
    assert config.verify_tls == "/etc/ssl/city.pem"
    with pytest.raises(ResidentRecordsError, match="not set"):
        load_residents_file(path, {})
    for bad in ({"url": "https://x", "urll": 1}, {"city_name": "x"}, [], {"url": "https://x",
                "headers": {"A": 1}}, {"url": "https://x", "read_timeout_s": "1"}):  # fmt: skip
        path.write_text(json.dumps(bad))
        with pytest.raises(ResidentRecordsError):
            load_residents_file(path, {})


# -- the issuer with a residents source ---------------------------------------------------


def _payload(handlers, creds=CARD, kind: str = "resident_record") -> dict:
    """A request signed over central's challenge (minted by `handlers` for kita-01)."""
    if isinstance(handlers, Issuer):
        handlers = handlers.handlers()
    return signed_request(
        handlers, "kita-01", creds.certificate_der, rsa_signer(creds.key), certificate=kind
    )


@pytest.fixture
def office():
    with ResidentsBackOffice({KEY: RECORD}) as office:
        yield office


def _issuer(tmp_path, url: str) -> Issuer:
    return Issuer(
        IssuerConfig(trusted_cas=(CA.certificate,), city_name="豊橋市"),
        tmp_path / "issuer.db",
        secret=SECRET,
        document_key=Ed25519PrivateKey.generate(),
        residents=_adapter(url, read_timeout_s=0.5),
    )


def _database_text(path) -> str:
    db = sqlite3.connect(str(path))
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return repr([db.execute(f"SELECT * FROM {t}").fetchall() for t in tables])
    finally:
        db.close()


def test_the_reply_carries_the_holder_and_nothing_else_does(tmp_path, office, caplog):
    caplog.set_level(logging.DEBUG)
    issuer = _issuer(tmp_path, office.url)
    try:
        reply = issuer.certificate_issue("kita-01", _payload(issuer))
    finally:
        issuer.close()
    assert reply["ok"] is True, reply
    assert reply["holder"] == RECORD and reply["issuer"] == "豊橋市"
    document = {k: reply[k] for k in ("type", "document_id", "verification_code", "issued_at")}
    signed = json.dumps({**document, "copies": 1}, sort_keys=True, separators=(",", ":"))
    issuer._document_key.public_key().verify(
        base64.b64decode(reply["signature"]), DOCUMENT_DOMAIN + signed.encode()
    )
    stored = _database_text(tmp_path / "issuer.db")
    assert reply["document_id"] in stored  # the row is there, the holder is not
    for text in (*RECORD.values(), "窓口", "豊橋市今橋"):
        assert text not in stored
        assert text not in caplog.text


def test_not_a_resident_is_refused_and_the_challenge_stays_unused(tmp_path, office):
    """Decision: a refusal uses nothing up; once the city files the record, the same signed
    challenge (still fresh) issues. A replay of an issued one never reaches the back office."""
    assert "not_a_resident" in REASONS
    issuer = _issuer(tmp_path, office.url)
    try:
        payload = _payload(issuer, STRANGER)
        assert issuer.certificate_issue("kita-01", payload) == {
            "ok": False,
            "reason": "not_a_resident",
        }
        office.records[key_of(STRANGER.certificate, CA.certificate)] = RECORD
        assert issuer.certificate_issue("kita-01", payload)["holder"] == RECORD
        asked = len(office.requests)
        assert issuer.certificate_issue("kita-01", payload)["reason"] == "challenge_reused"
        assert len(office.requests) == asked
    finally:
        issuer.close()


@pytest.mark.parametrize("mode", ["down", "500", "slow", "body:{}"])
def test_back_office_trouble_issues_without_holder(tmp_path, office, caplog, mode):
    caplog.set_level(logging.INFO)
    office.slow_s = 2.0
    office.script = [mode]
    issuer = _issuer(tmp_path, refused_url() if mode == "down" else office.url)
    try:
        reply = issuer.certificate_issue("kita-01", _payload(issuer))
    finally:
        issuer.close()
    assert reply["ok"] is True and reply["verification_code"], reply
    assert "holder" not in reply and "issuer" not in reply
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "ResidentLookupError" in warning.getMessage()
    assert "窓口" not in caplog.text


def test_default_handlers_read_residents_json(tmp_path, office, monkeypatch):
    """What `madoguchi central serve` wires from the central key directory."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from provisioning import init_central

    keys = init_central(tmp_path / "central")
    (keys.directory / "jpki-ca").mkdir()
    (keys.directory / "jpki-ca" / "sim.pem").write_bytes(CA.certificate.public_bytes(Encoding.PEM))
    (keys.directory / "residents.json").write_text(
        json.dumps({"url": office.url, "city_name": "豊橋市", "token_env": "RESIDENTS_TOKEN"})
    )
    monkeypatch.setenv("RESIDENTS_TOKEN", "abc")
    handlers = default_handlers(keys, str(tmp_path / "central.db"))
    issue = handlers["certificate.issue"]
    reply = issue("kita-01", _payload(handlers))
    assert reply["holder"] == RECORD and reply["issuer"] == "豊橋市"
    assert office.requests[-1]["headers"]["Authorization"] == "Bearer abc"
    assert issue("kita-01", _payload(handlers, STRANGER))["reason"] == "not_a_resident"
