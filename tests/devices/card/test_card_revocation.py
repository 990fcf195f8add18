"""Card certificates: revocation (CRLs issued by the simulator's test CA), KeyUsage and validity,
checked by the kiosk's reader (`read_auth_certificate(trust=CardTrust(...))`) and by the central
JPKI check (`sync.central.jpki_auth.verify_card`) with the certificate and signature a simulated
card gave through the real pcscd + vpcd. `card-sim revoke` / `card-sim crl` make the CRL."""

import datetime
import hashlib

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from devices.card import CardReader, CertificateExpiredError
from devices.card._cli import card_sim
from devices.card.errors import (
    CardTrustConfigError,
    CertificateRejectedError,
    CertificateRevokedError,
)
from devices.card.simulator import (
    ProfileError,
    SimulatedCard,
    default_test_ca,
    load_profile,
    make_test_ca,
)
from devices.card.simulator.ca import TestCA, _new_ca, issue_crl, revoked_serials
from devices.card.trust import CardTrust, card_trust_entry, card_trust_from_config
from sync.central.jpki_auth import (
    CrlError,
    IssuerRefusedError,
    load_crls,
    revoked_serials_from_crls,
    verify_card,
)

NOW = datetime.datetime.now(datetime.UTC)


def _inserted(pcsc, profile):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0))


def _other_ca() -> TestCA:
    return TestCA(*_new_ca("another CA"))


def _trust(**kw) -> CardTrust:
    load_profile("revoked-auth-cert")  # puts its certificate on the default CA's list
    ca = default_test_ca()
    return CardTrust(jpki_cas=(ca.certificate,), crls=(issue_crl(ca),), **kw)


def _card_auth(pcsc, profile: str) -> tuple[bytes, bytes, bytes]:
    """(certificate DER, challenge, signature) as the kiosk gets them from the card."""
    challenge = hashlib.sha256(profile.encode()).digest()
    with _inserted(pcsc, profile):
        with CardReader().connect() as card:
            cert = card.read_auth_certificate(check_validity=False)
            card.verify_jpki_auth_pin("1234")
            signature = card.sign_sha256_digest(hashlib.sha256(challenge).digest())
    return cert.public_bytes(Encoding.DER), challenge, signature


# -- the kiosk's reader ----------------------------------------------------------------------
def test_revoked_card_is_refused_by_the_reader(pcsc):
    trust = _trust()
    with _inserted(pcsc, "revoked-auth-cert"):
        with CardReader().connect() as card:
            with pytest.raises(CertificateRevokedError) as info:
                card.read_auth_certificate(trust=trust)
            assert info.value.reason == "revoked"
            assert "city office" in str(info.value)
            # the same certificate without the CRL: revocation is what refused it
            card.read_auth_certificate(trust=CardTrust(jpki_cas=trust.jpki_cas))


def test_ordinary_card_passes_the_same_trust(pcsc):
    with _inserted(pcsc, "ordinary"):
        with CardReader().connect() as card:
            cert = card.read_auth_certificate(trust=_trust())
            assert cert.serial_number not in revoked_serials(default_test_ca())


def test_certificate_without_key_usage_is_refused_even_without_a_trust(pcsc):
    with _inserted(pcsc, "no-key-usage"):
        with CardReader().connect() as card:
            for trust in (None, _trust()):
                with pytest.raises(CertificateRejectedError) as info:
                    card.read_auth_certificate(trust=trust)
                assert info.value.reason == "not_an_auth_certificate"


def test_card_from_an_untrusted_ca_is_refused(pcsc):
    with _inserted(pcsc, "ordinary"):
        with CardReader().connect() as card:
            with pytest.raises(CertificateRejectedError) as info:
                card.read_auth_certificate(trust=CardTrust(jpki_cas=(_other_ca().certificate,)))
            assert info.value.reason == "untrusted"


def test_expired_certificate_is_refused_with_a_trust_too(pcsc):
    with _inserted(pcsc, "expired-auth-cert"):
        with CardReader().connect() as card:
            with pytest.raises(CertificateExpiredError):
                card.read_auth_certificate(trust=_trust())


def test_a_crl_no_configured_ca_signed_is_a_config_error():
    other = _other_ca()
    with pytest.raises(CardTrustConfigError) as info:
        CardTrust(jpki_cas=(default_test_ca().certificate,), crls=(issue_crl(other),))
    assert info.value.field == "crls[0]"


def test_config_entry_round_trip_and_bad_fields():
    trust = _trust(kenhojo_authorities=(load_profile("ordinary").kenhojo_authority_certificate,))
    entry = card_trust_entry(
        jpki_cas=trust.jpki_cas, crls=trust.crls, kenhojo_authorities=trust.kenhojo_authorities
    )
    again = card_trust_from_config(entry)
    assert again.jpki_cas == trust.jpki_cas and again.checks_kenhojo
    assert [len(c) for c in again.crls] == [len(c) for c in trust.crls]
    assert card_trust_from_config(None) == CardTrust()
    for bad, field in [
        ({"crls": "x"}, "crls"),
        ({"crls": ["%%%"]}, "crls[0]"),
        ({"crls": ["AAAA"]}, "crls[0]"),
        ({"jpki_cas": ["AAAA"]}, "jpki_cas[0]"),
        ({"kenhojo_authority": []}, "card_trust"),
        ([], "card_trust"),
    ]:
        with pytest.raises(CardTrustConfigError) as info:
            card_trust_from_config(bad)
        assert info.value.field == field


# -- the central JPKI check ------------------------------------------------------------------
def test_central_refuses_a_revoked_card(pcsc):
    ca = default_test_ca()
    der, challenge, signature = _card_auth(pcsc, "revoked-auth-cert")
    crl = issue_crl(ca)
    with pytest.raises(IssuerRefusedError) as info:
        verify_card(der, challenge, signature, (ca.certificate,), frozenset(), NOW, crls=(crl,))
    assert info.value.reason == "revoked_certificate"
    # the same through IssuerConfig.revoked_serials, folded from the verified CRL
    serials = revoked_serials_from_crls((crl,), (ca.certificate,))
    with pytest.raises(IssuerRefusedError, match="revoked_certificate"):
        verify_card(der, challenge, signature, (ca.certificate,), serials, NOW)
    # without the CRL the card's signature is good: revocation is what refused it
    verify_card(der, challenge, signature, (ca.certificate,), frozenset(), NOW)


def test_central_ignores_a_crl_its_ca_did_not_sign(pcsc):
    ca, other = default_test_ca(), _other_ca()
    der, challenge, signature = _card_auth(pcsc, "revoked-auth-cert")
    serial = x509.load_der_x509_certificate(der).serial_number
    from devices.card.simulator.ca import revoke

    revoke(other, serial)  # a list by someone else naming the same serial
    foreign = issue_crl(other)
    verify_card(der, challenge, signature, (ca.certificate,), frozenset(), NOW, crls=(foreign,))
    assert revoked_serials_from_crls((foreign,), (ca.certificate,)) == frozenset()


def test_central_passes_an_ordinary_card_and_refuses_one_without_key_usage(pcsc):
    ca = default_test_ca()
    crls = (issue_crl(ca),)
    der, challenge, signature = _card_auth(pcsc, "ordinary")
    cert, issuer = verify_card(
        der, challenge, signature, (ca.certificate,), frozenset(), NOW, crls=crls
    )
    assert issuer == ca.certificate
    der, challenge, signature = _card_auth(pcsc, "no-key-usage")
    with pytest.raises(IssuerRefusedError) as info:
        verify_card(der, challenge, signature, (ca.certificate,), frozenset(), NOW, crls=crls)
    assert info.value.reason == "not_an_auth_certificate"


def test_central_load_crls_from_the_key_directory(tmp_path):
    ca = default_test_ca()
    assert load_crls(tmp_path, (ca.certificate,)) == ()
    (tmp_path / "jpki-crl").mkdir()
    (tmp_path / "jpki-crl" / "ca.crl").write_bytes(issue_crl(ca).public_bytes(Encoding.DER))
    (tmp_path / "jpki-crl" / "ca.pem").write_bytes(issue_crl(ca).public_bytes(Encoding.PEM))
    (tmp_path / "jpki-crl" / "README").write_text("ignored")
    assert len(load_crls(tmp_path, (ca.certificate,))) == 2
    (tmp_path / "jpki-crl" / "x.der").write_bytes(b"not a crl")
    with pytest.raises(CrlError, match="x.der: not an X.509 CRL"):
        load_crls(tmp_path, (ca.certificate,))
    (tmp_path / "jpki-crl" / "x.der").write_bytes(issue_crl(_other_ca()).public_bytes(Encoding.DER))
    with pytest.raises(CrlError, match="x.der: not signed by any trusted JPKI CA"):
        load_crls(tmp_path, (ca.certificate,))


# -- card-sim revoke / crl ---------------------------------------------------------------------
def test_card_sim_revoke_and_crl_commands(pcsc, tmp_path):
    ca_dir, out = tmp_path / "ca", tmp_path / "ca.crl"
    runner = CliRunner()
    assert runner.invoke(card_sim, ["make-ca", str(ca_dir)]).exit_code == 0
    assert (ca_dir / "kenhojo-authority.cert.pem").exists()
    result = runner.invoke(card_sim, ["crl", "--ca-dir", str(ca_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    ca = make_test_ca(ca_dir)
    assert len(x509.load_der_x509_crl(out.read_bytes())) == 0
    result = runner.invoke(card_sim, ["revoke", "--ca-dir", str(ca_dir), "--profile", "ordinary"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(card_sim, ["crl", "--ca-dir", str(ca_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    crl = x509.load_der_x509_crl(out.read_bytes())
    assert crl.is_signature_valid(ca.certificate.public_key())
    profile = load_profile("ordinary", ca_dir)
    trust = CardTrust(jpki_cas=(ca.certificate,), crls=(crl,))
    with _inserted(pcsc, profile):
        with CardReader().connect() as card:
            with pytest.raises(CertificateRevokedError):
                card.read_auth_certificate(trust=trust)
    bad = runner.invoke(card_sim, ["revoke", "--ca-dir", str(ca_dir), "--profile", "no-such"])
    assert bad.exit_code != 0 and isinstance(bad.exception, ProfileError)  # one line in the CLI


def test_issuer_from_the_key_directory_refuses_a_revoked_card(pcsc, tmp_path):
    """What `madoguchi central serve` loads: <keys>/jpki-ca and <keys>/jpki-crl; the simulated
    card signs central's challenge through pcscd; the revoked one is refused, the ordinary one
    gets its certificate; a CRL no trusted CA signed stops the issuer from starting."""
    from sync.central.config_files import issuer_config_from_dir
    from sync.central.issuer import Issuer, IssuerError
    from tests.support.issuer import signed_request

    ca = default_test_ca()
    load_profile("revoked-auth-cert")
    (tmp_path / "jpki-ca").mkdir()
    (tmp_path / "jpki-ca" / "ca.pem").write_bytes(ca.certificate.public_bytes(Encoding.PEM))
    (tmp_path / "jpki-crl").mkdir()
    (tmp_path / "jpki-crl" / "ca.crl").write_bytes(issue_crl(ca).public_bytes(Encoding.DER))
    config = issuer_config_from_dir(tmp_path)
    assert len(config.crls) == 1
    issuer = Issuer(config, tmp_path / "issuer.db", secret=b"0123456789abcdef0123456789abcdef")
    try:
        for profile, expected in [
            ("revoked-auth-cert", {"ok": False, "reason": "revoked_certificate"}),
            ("ordinary", None),
        ]:
            with _inserted(pcsc, profile):
                with CardReader().connect() as card:
                    der = card.read_auth_certificate().public_bytes(Encoding.DER)
                    card.verify_jpki_auth_pin("1234")
                    payload = signed_request(
                        issuer.handlers(),
                        "K1",
                        der,
                        lambda m, c=card: c.sign_sha256_digest(hashlib.sha256(m).digest()),
                    )
            reply = issuer.certificate_issue("K1", payload)
            if expected is None:
                assert reply["ok"] is True, reply
            else:
                assert reply == expected
    finally:
        issuer.close()
    (tmp_path / "jpki-crl" / "other.crl").write_bytes(
        issue_crl(_other_ca()).public_bytes(Encoding.DER)
    )
    with pytest.raises(IssuerError, match="other.crl: not signed by any trusted JPKI CA"):
        issuer_config_from_dir(tmp_path)
