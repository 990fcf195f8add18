"""basic-4 integrity: duplicated or unexpected structural tags are `CardDataError` (table-driven,
pure), and with a `CardTrust` naming the kenhojo authority the reader returns card data only
after the signature file (EF 0003) verified and its digests matched the bytes read, through the
real pcscd + vpcd. A counterfeit (altered attributes), a bad signature, an unknown authority and a
missing signature file are each refused with a reason for staff (`CardNotGenuineError.reason`)."""

import datetime

import pytest

from devices.card import CardDataError, CardReader
from devices.card._apdu import encode_tlv
from devices.card.data import (
    encode_basic4,
    encode_my_number,
    encode_signature_file,
    kenhojo_digest,
    parse_basic4,
    parse_my_number,
    parse_signature_file,
)
from devices.card.errors import CardNotGenuineError
from devices.card.simulator import SimulatedCard, load_profile
from devices.card.simulator.ca import _new_ca
from devices.card.trust import CardTrust

DATE = datetime.date(1990, 1, 2)


def _inserted(pcsc, profile):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0))


def _fields(*extra: tuple[int, bytes], drop: int | None = None) -> bytes:
    items = [
        (0xDF21, bytes(8)),
        (0xDF22, "山田 花子".encode()),
        (0xDF23, "東京都".encode()),
        (0xDF24, b"19900102"),
        (0xDF25, b"2"),
        *extra,
    ]
    return b"".join(encode_tlv(t, v) for t, v in items if t != drop)


BAD_BASIC4 = [
    ("second name", encode_tlv(0xFF20, _fields((0xDF22, "別人".encode()))), "DF22 appears twice"),
    ("second sex", encode_tlv(0xFF20, _fields((0xDF25, b"1"))), "DF25 appears twice"),
    ("second header", encode_tlv(0xFF20, _fields((0xDF21, bytes(8)))), "DF21 appears twice"),
    ("unknown tag inside", encode_tlv(0xFF20, _fields((0xDF26, b"x"))), "unexpected tag DF26"),
    ("nested template", encode_tlv(0xFF20, _fields((0xFF20, b""))), "unexpected tag FF20"),
    (
        "second template after",
        encode_tlv(0xFF20, _fields()) + encode_tlv(0xFF20, _fields()),
        "unexpected tag FF20 after",
    ),
    ("wrong outer tag", encode_tlv(0xFF21, _fields()), "no FF20 template"),
    ("missing name", encode_tlv(0xFF20, _fields(drop=0xDF22)), "missing tag(s) DF22"),
]


@pytest.mark.parametrize(
    "data,problem", [b[1:] for b in BAD_BASIC4], ids=[b[0] for b in BAD_BASIC4]
)
def test_structural_tag_problems_are_card_data_errors(data, problem):
    with pytest.raises(CardDataError) as info:
        parse_basic4(data)
    assert problem in info.value.problem
    assert "別人" not in str(info.value) and "山田" not in str(info.value)


def test_the_well_formed_file_still_parses_and_padding_is_allowed():
    good = encode_basic4("山田 花子", "東京都", DATE, 2)
    assert parse_basic4(good + b"\xff\xff").name == "山田 花子"


def test_my_number_file_with_a_second_field_is_refused():
    with pytest.raises(CardDataError, match="unexpected tag DF11"):
        parse_my_number(encode_my_number("123456789018") + encode_tlv(0xDF11, b"1"))


BAD_SIGNATURE_FILES = [
    (
        "duplicate DF33",
        encode_tlv(
            0xFF30,
            encode_tlv(0xDF31, bytes(32))
            + encode_tlv(0xDF32, bytes(32))
            + encode_tlv(0xDF33, b"s")
            + encode_tlv(0xDF33, b"t"),
        ),
        "DF33 appears twice",
    ),  # noqa: E501
    (
        "missing DF33",
        encode_tlv(0xFF30, encode_tlv(0xDF31, bytes(32)) + encode_tlv(0xDF32, bytes(32))),
        "missing tag(s) DF33",
    ),  # noqa: E501
    ("short digest", encode_signature_file(bytes(31), bytes(32), b"s"), "DF31 is not a SHA-256"),
    ("old placeholder", bytes.fromhex("ff3000"), "missing tag(s)"),
]


@pytest.mark.parametrize(
    "data,problem", [b[1:] for b in BAD_SIGNATURE_FILES], ids=[b[0] for b in BAD_SIGNATURE_FILES]
)
def test_malformed_signature_files_are_card_data_errors(data, problem):
    with pytest.raises(CardDataError) as info:
        parse_signature_file(data)
    assert problem in info.value.problem


def test_trust_checks_each_digest_against_the_bytes_read():
    p = load_profile("ordinary")
    trust = CardTrust(kenhojo_authorities=(p.kenhojo_authority_certificate,))
    sig = parse_signature_file(p.kenhojo_signature_file)
    trust.check_kenhojo(sig, basic4=p.basic4_file, my_number=encode_my_number(p.my_number))
    with pytest.raises(CardNotGenuineError) as info:
        trust.check_kenhojo(sig, my_number=encode_my_number("123456789026"))
    assert info.value.reason == "my_number_mismatch"
    assert kenhojo_digest(p.basic4_file) == sig.attributes_hash


# -- through pcscd + vpcd -----------------------------------------------------------------------
def _trust(profile_name: str = "ordinary") -> CardTrust:
    return CardTrust(
        kenhojo_authorities=(load_profile(profile_name).kenhojo_authority_certificate,)
    )


def test_genuine_card_reads_with_the_signature_checked(pcsc):
    with _inserted(pcsc, "ordinary") as inserted:
        with CardReader().connect() as card:
            card.verify_kenhojo_pin("1234")
            before = card.apdu_count
            basic4 = card.read_basic4(trust=_trust())
            # SELECT 0002 + 2 READs, then SELECT 0003 + 2 READs for the signature file
            assert card.apdu_count - before == 6
            assert basic4.name == inserted.sim.profile.holder_name
            assert card.read_my_number(trust=_trust()).value == inserted.sim.profile.my_number


@pytest.mark.parametrize(
    "profile,reason",
    [("bad-kenhojo-signature", "bad_signature"), ("altered-attributes", "attributes_mismatch")],
)
def test_counterfeit_cards_are_refused_before_any_data_is_returned(pcsc, profile, reason):
    with _inserted(pcsc, profile) as inserted:
        with CardReader().connect() as card:
            card.verify_kenhojo_pin("1234")
            with pytest.raises(CardNotGenuineError) as info:
                card.read_basic4(trust=_trust(profile))
            assert info.value.reason == reason
            assert inserted.sim.profile.holder_name not in str(info.value)
            # without the trust the same card reads: the check, not the card, refuses it
            assert card.read_basic4().name == inserted.sim.profile.holder_name


def test_a_card_signed_by_an_unknown_authority_is_refused(pcsc):
    _key, other_authority = _new_ca("some other authority")
    with _inserted(pcsc, "ordinary"):
        with CardReader().connect() as card:
            card.verify_kenhojo_pin("1234")
            with pytest.raises(CardNotGenuineError) as info:
                card.read_basic4(trust=CardTrust(kenhojo_authorities=(other_authority,)))
            assert info.value.reason == "bad_signature"


def test_a_card_without_a_signature_file_is_refused(pcsc, tmp_path):
    path = tmp_path / "no-signature.toml"
    path.write_text('[faults]\nkenhojo_signature = "missing"\n', encoding="utf-8")
    with _inserted(pcsc, load_profile(path)):
        with CardReader().connect() as card:
            card.verify_kenhojo_pin("1234")
            with pytest.raises(CardNotGenuineError) as info:
                card.read_basic4(trust=_trust())
            assert info.value.reason == "no_signature_file"


def test_duplicated_name_tag_is_refused_through_the_reader(pcsc):
    with _inserted(pcsc, "duplicate-name-tag"):
        with CardReader().connect() as card:
            card.verify_kenhojo_pin("1234")
            for trust in (None, _trust("duplicate-name-tag")):
                with pytest.raises(CardDataError) as info:
                    card.read_basic4(trust=trust)
                assert "DF22 appears twice" in info.value.problem
