"""The pure core of the card reader: APDU forms, BER-TLV, basic-4 / My Number parsing, holders
that never print personal data, and the simulator's PKCS#1 v1.5 signer. No PC/SC here."""

import datetime
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from devices.card import Basic4, CardDataError, MyNumber, Sex, _apdu
from devices.card.data import (
    encode_basic4,
    encode_my_number,
    my_number_check_digit,
    parse_basic4,
    parse_my_number,
)
from devices.card.simulator import load_profile
from devices.card.simulator.card import _pkcs1_v15_sign

BIRTH = datetime.date(1985, 4, 1)


def test_apdu_bytes_follow_the_reference():
    assert _apdu.select_aid(_apdu.AID_KENHOJO).hex() == "00a4040c0ad3921000310001010408"
    assert _apdu.select_aid(_apdu.AID_JPKI).hex() == "00a4040c0ad392f000260100000001"
    assert _apdu.select_fid(_apdu.FID_KENHOJO_PIN).hex() == "00a4020c020011"
    assert _apdu.verify(None).hex() == "00200080"
    assert _apdu.verify(b"1234").hex() == "002000800431323334"
    assert _apdu.read_binary(0, 5).hex() == "00b0000005"
    assert _apdu.read_binary(0x0105, 256).hex() == "00b0010500"
    assert _apdu.read_binary(5, 0x0169).hex() == "00b00005000169"  # extended Le
    di = _apdu.sha256_digest_info(bytes(32))
    assert di.hex().startswith("3031300d060960864801650304020105000420") and len(di) == 51
    assert _apdu.sign(di).hex() == "802a008033" + di.hex() + "00"


@pytest.mark.parametrize("offset,length", [(-1, 1), (0x8000, 1), (0, 0), (0, 0x10000)])
def test_read_binary_rejects_out_of_range(offset, length):
    with pytest.raises(ValueError):
        _apdu.read_binary(offset, length)


def test_basic4_round_trip_with_rare_kanji_and_long_address():
    address = "東" * 120
    raw = encode_basic4("𠮷野 𠮷太郎", address, BIRTH, 9)
    assert raw[:2] == b"\xff\x20" and raw[2] == 0x82  # long form length
    b = parse_basic4(raw + b"\xff" * 7)  # trailing file padding is ignored
    assert (b.name, b.address, b.birth_date, b.sex) == (
        "𠮷野 𠮷太郎",
        address,
        BIRTH,
        Sex.NOT_APPLICABLE,
    )
    assert Sex(1) is Sex.MALE and Sex(2) is Sex.FEMALE and int(Sex.NOT_APPLICABLE) == 9


def _b4(fields: dict[int, bytes]) -> bytes:
    from devices.card._apdu import encode_tlv

    return encode_tlv(0xFF20, b"".join(encode_tlv(t, v) for t, v in fields.items()))


GOOD = {
    0xDF21: bytes(8),
    0xDF22: "山田".encode(),
    0xDF23: "東京".encode(),
    0xDF24: b"19850401",
    0xDF25: b"1",
}

BAD_BASIC4 = [
    ("empty", b""),
    ("wrong template", _apdu.encode_tlv(0xFF30, b"")),
    ("value runs past end", bytes.fromhex("FF2015DF21020000DF2240E6B8A1E8BEBA20E59B9BE9838E")),
    ("truncated length", bytes.fromhex("FF2082")),
    ("5-byte length form", bytes.fromhex("FF2085000000000000")),
    ("missing sex", _b4({k: v for k, v in GOOD.items() if k != 0xDF25})),
    ("bad date", _b4({**GOOD, 0xDF24: b"19851301"})),
    ("date not digits", _b4({**GOOD, 0xDF24: b"1985-4-1"})),
    ("sex 3", _b4({**GOOD, 0xDF25: b"3"})),
    ("sex not ascii digit", _b4({**GOOD, 0xDF25: b"M"})),
    ("name not utf-8", _b4({**GOOD, 0xDF22: b"\xff\xfe"})),
    ("address not utf-8", _b4({**GOOD, 0xDF23: b"\xc3"})),
]


@pytest.mark.parametrize("case,raw", BAD_BASIC4, ids=[c for c, _ in BAD_BASIC4])
def test_malformed_basic4_is_a_card_data_error(case, raw):
    with pytest.raises(CardDataError) as info:
        parse_basic4(raw)
    assert info.value.file == "basic-4 (0002)"


def test_good_basic4_builder_sanity():
    assert parse_basic4(_b4(GOOD)).sex is Sex.MALE


def test_my_number_check_digit_and_parse():
    assert my_number_check_digit("12345678901") == 8
    assert parse_my_number(encode_my_number("123456789018") + b"\xff\xff").value == "123456789018"


BAD_MY_NUMBER = [
    ("wrong check digit", encode_my_number("123456789012")),
    ("11 digits", encode_my_number("12345678901")),
    ("letters", encode_my_number("12345678901X")),
    ("wrong tag", _apdu.encode_tlv(0xDF11, b"123456789018")),
    ("truncated", bytes.fromhex("DF100C3132")),
]


@pytest.mark.parametrize("case,raw", BAD_MY_NUMBER, ids=[c for c, _ in BAD_MY_NUMBER])
def test_malformed_my_number_is_a_card_data_error(case, raw):
    with pytest.raises(CardDataError):
        parse_my_number(raw)


def test_holders_never_print_personal_data_and_can_be_wiped():
    b = Basic4("山田 花子", "東京都千代田区", BIRTH, Sex.FEMALE)
    for text in (repr(b), str(b), f"{b}", repr([b])):
        assert "山田" not in text and "東京" not in text and "1985" not in text
    b.wipe()
    assert b.wiped and "wiped" in repr(b)
    with pytest.raises(ValueError):
        _ = b.name
    n = MyNumber("123456789018")
    assert "1234" not in repr(n) and "1234" not in str(n)
    n.wipe()
    with pytest.raises(ValueError):
        _ = n.value


@pytest.mark.parametrize("algorithm", [hashes.SHA256(), hashes.SHA1(), hashes.SHA512()])
def test_simulator_signs_any_digest_info_like_pkcs1_v15(algorithm):
    """The pure-Python PKCS#1 v1.5 path and the library path agree with a standard verifier."""
    profile = load_profile("ordinary")
    digest = hashlib.new(algorithm.name, b"challenge").digest()
    prefixes = {
        "sha256": _apdu.SHA256_DIGESTINFO_PREFIX,
        "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
        "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
    }
    signature = _pkcs1_v15_sign(profile, prefixes[algorithm.name] + digest)
    profile.auth_certificate.public_key().verify(
        signature, digest, padding.PKCS1v15(), utils.Prehashed(algorithm)
    )
    assert _pkcs1_v15_sign(profile, bytes(246)) is None  # longer than k - 11
