"""Reading works for every bundled profile through pcscd + vpcd, and each bad profile gives its
own clear error: the kenhojo read (tries, PIN, basic-4, My Number on request) and the JPKI
authentication (certificate chained to the test CA, signature over a challenge digest)."""

import datetime
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from devices.card import (
    CardDataError,
    CardReader,
    CertificateExpiredError,
    NotMyNumberCardError,
    PinBlockedError,
    Sex,
)
from devices.card.simulator import SimulatedCard, bundled_profiles, load_profile


def _inserted(pcsc, profile):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0))


GOOD = [
    ("ordinary", "山田 花子", 14, datetime.date(1985, 4, 1), Sex.FEMALE, 3),
    ("rare-kanji", "𠮷野 𠮷太郎", 16, datetime.date(1958, 11, 30), Sex.MALE, 3),
    ("long-address", "佐藤 一郎", 120, datetime.date(1972, 2, 29), Sex.MALE, 3),
    ("sex-not-applicable", "高橋 ひかる", 19, datetime.date(2001, 7, 7), Sex.NOT_APPLICABLE, 3),
    ("one-try-left", "鈴木 次郎", 21, datetime.date(1949, 12, 31), Sex.MALE, 1),
    ("expired-auth-cert", "伊藤 美咲", 16, datetime.date(1995, 3, 3), Sex.FEMALE, 3),
]


def test_every_bundled_profile_is_covered():
    bad = {
        "blocked",
        "not-mynumber",
        "malformed-tlv",
        "blocks-with-6983",
        "duplicate-name-tag",
        "bad-kenhojo-signature",
        "altered-attributes",
        "revoked-auth-cert",
        "no-key-usage",
    }
    assert set(bundled_profiles()) == {g[0] for g in GOOD} | bad


@pytest.mark.parametrize("profile,name,address_len,birth,sex,tries", GOOD, ids=[g[0] for g in GOOD])
def test_kenhojo_read(pcsc, profile, name, address_len, birth, sex, tries):
    with _inserted(pcsc, profile) as inserted:
        p = inserted.sim.profile
        with CardReader().connect() as card:
            assert card.reader_name == pcsc.reader_name(0)
            start = card.apdu_count
            assert card.kenhojo_tries_left() == tries
            card.verify_kenhojo_pin(p.kenhojo_pin)
            b = card.read_basic4()
            assert card.apdu_count - start <= 8
            assert (b.name, len(b.address), b.address, b.birth_date, b.sex) == (
                name,
                address_len,
                p.address,
                birth,
                sex,
            )
            assert b.name not in repr(b)
            assert not any(a[5:7] == b"\x00\x01" and a[1] == 0xA4 for a in inserted.sim.received), (
                "the My Number file is never selected unless asked"
            )
            assert card.read_my_number().value == p.my_number
            assert card.kenhojo_tries_left() == 3  # success reset the count


@pytest.mark.parametrize("profile", ["ordinary", "rare-kanji", "one-try-left"])
def test_jpki_authentication(pcsc, profile):
    with _inserted(pcsc, profile) as inserted:
        p = inserted.sim.profile
        with CardReader(pcsc.reader_name(0)).connect() as card:
            cert = card.read_auth_certificate()
            cert.verify_directly_issued_by(p.ca_certificate)
            assert card.jpki_auth_tries_left() == p.jpki_auth_tries_left
            card.verify_jpki_auth_pin(p.jpki_auth_pin)
            challenge = hashlib.sha256(b"issuer nonce 42").digest()
            signature = card.sign_sha256_digest(challenge)
            assert len(signature) == 256
            cert.public_key().verify(
                signature, challenge, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
            )
            with pytest.raises(ValueError):
                card.sign_sha256_digest(b"short")


def test_same_pin_for_both_applications_verified_separately(pcsc):
    """Residents may use one PIN for both; each application still needs its own VERIFY."""
    from devices.card import PinNotVerifiedError

    with _inserted(pcsc, "ordinary"):
        with CardReader().connect() as card:
            card.verify_kenhojo_pin("1234")
            with pytest.raises(PinNotVerifiedError):
                card.sign_sha256_digest(bytes(32))
            card.verify_jpki_auth_pin("1234")
            card.sign_sha256_digest(bytes(32))
            # selecting the other application ends the first one's verified state
            with pytest.raises(PinNotVerifiedError) as info:
                card.read_basic4()
            assert info.value.pin == "kenhojo"


def test_read_before_verify_is_a_clear_error(pcsc):
    from devices.card import PinNotVerifiedError

    with _inserted(pcsc, "ordinary"):
        with CardReader().connect() as card:
            with pytest.raises(PinNotVerifiedError):
                card.read_basic4()
            with pytest.raises(PinNotVerifiedError):
                card.read_my_number()


def test_not_a_my_number_card(pcsc):
    with _inserted(pcsc, "not-mynumber") as inserted:
        with CardReader().connect() as card:
            with pytest.raises(NotMyNumberCardError) as info:
                card.kenhojo_tries_left()
            assert info.value.application == "kenhojo" and info.value.status == 0x6A82
            with pytest.raises(NotMyNumberCardError) as info:
                card.read_auth_certificate()
            assert info.value.application == "JPKI"
        assert all(a[1] == 0xA4 for a in inserted.sim.received)  # nothing but SELECTs sent


def test_malformed_tlv(pcsc):
    with _inserted(pcsc, "malformed-tlv"):
        with CardReader().connect() as card:
            card.verify_kenhojo_pin("1234")
            with pytest.raises(CardDataError) as info:
                card.read_basic4()
            assert info.value.file == "basic-4 (0002)"
            assert "DF22" in info.value.problem


def test_blocked_card(pcsc):
    with _inserted(pcsc, "blocked") as inserted:
        with CardReader().connect() as card:
            assert card.kenhojo_tries_left() == 0
            assert card.jpki_auth_tries_left() == 0
            with pytest.raises(PinBlockedError) as info:
                card.verify_kenhojo_pin("1234")
            assert info.value.pin == "kenhojo" and not info.value.just_now
            with pytest.raises(PinBlockedError):
                card.verify_jpki_auth_pin("1234")
        assert inserted.sim.verify_apdus(with_data=True) == []  # no VERIFY ever sent


def test_expired_auth_certificate(pcsc):
    with _inserted(pcsc, "expired-auth-cert") as inserted:
        with CardReader().connect() as card:
            with pytest.raises(CertificateExpiredError) as info:
                card.read_auth_certificate()
            assert info.value.not_after < datetime.datetime.now(datetime.UTC).isoformat()
            cert = card.read_auth_certificate(check_validity=False)
            assert cert.not_valid_after_utc < datetime.datetime.now(datetime.UTC)
        assert inserted.sim.verify_apdus(with_data=True) == []


def test_profiles_load_once_per_process():
    assert load_profile("ordinary").auth_key is load_profile("ordinary").auth_key
