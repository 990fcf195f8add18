"""The simulated card answers like the real one, seen through the real pcscd + vpcd: SELECT by
AID and file id, VERIFY with and without data, the 3-strike lock and its reset, tries kept across
power-off and re-insertion, READ BINARY with offsets and short/extended Le, SIGN, and the status
words for commands out of order."""

import pytest

from devices.card import CardReader, _apdu
from devices.card.simulator import MyNumberCardSim, SimulatedCard, load_profile
from devices.card.simulator.profile import PROFILE_DIR


def _inserted(pcsc, profile="ordinary", **kw):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0), **kw)


def _sw(card, apdu: str | bytes):
    r = card.transmit(bytes.fromhex(apdu) if isinstance(apdu, str) else apdu, accept=None)
    return r.sw, r.data


KENHOJO = "00a4040c0ad3921000310001010408"
JPKI = "00a4040c0ad392f000260100000001"

# (name, [(apdu hex, expected SW), ...]) each sequence runs on a fresh card session
SEQUENCES = [
    ("unknown AID", [("00a4040c05a000000001", 0x6A82)]),
    ("card-face AID", [("00a4040c0ad3921000310001010402", 0x9000)]),
    ("unknown EF", [(KENHOJO, 0x9000), ("00a4020c02abcd", 0x6A82)]),
    ("EF before any AID", [("00a4020c020011", 0x6A82)]),
    ("SELECT with P2 asking for FCI", [("00a404000ad3921000310001010408", 0x6A86)]),
    ("SELECT with bad Lc", [("00a4040c0bd3921000310001010408", 0x6700)]),
    ("tries left", [(KENHOJO, 0x9000), ("00a4020c020011", 0x9000), ("00200080", 0x63C3)]),
    ("VERIFY with no PIN EF", [(KENHOJO, 0x9000), ("00200080", 0x6986)]),
    ("VERIFY on a data EF", [(KENHOJO, 0x9000), ("00a4020c020002", 0x9000), ("00200080", 0x6986)]),
    ("VERIFY wrong P2", [(KENHOJO, 0x9000), ("00a4020c020011", 0x9000), ("00200081", 0x6A86)]),
    (
        "basic-4 before VERIFY",
        [(KENHOJO, 0x9000), ("00a4020c020002", 0x9000), ("00b0000005", 0x6982)],
    ),
    (
        "My Number before VERIFY",
        [(KENHOJO, 0x9000), ("00a4020c020001", 0x9000), ("00b0000011", 0x6982)],
    ),
    ("READ a PIN EF", [(KENHOJO, 0x9000), ("00a4020c020011", 0x9000), ("00b0000004", 0x6981)]),
    ("READ with no EF", [(KENHOJO, 0x9000), ("00b0000004", 0x6986)]),
    ("READ short-EF form", [(KENHOJO, 0x9000), ("00a4020c020005", 0x9000), ("00b0810004", 0x6A86)]),
    ("READ bad length", [(KENHOJO, 0x9000), ("00a4020c020005", 0x9000), ("00b000000102", 0x6700)]),
    ("READ past the end", [(KENHOJO, 0x9000), ("00a4020c020005", 0x9000), ("00b0010000", 0x6B00)]),
    (
        "READ across the end",
        [(KENHOJO, 0x9000), ("00a4020c020005", 0x9000), ("00b0000010", 0x6282)],
    ),
    (
        "auth cert needs no PIN",
        [(JPKI, 0x9000), ("00a4020c02000a", 0x9000), ("00b0000004", 0x9000)],
    ),
    (
        "sign cert needs the signature password",
        [(JPKI, 0x9000), ("00a4020c020001", 0x9000), ("00b0000004", 0x6982)],
    ),
    (
        "SIGN before VERIFY",
        [
            (JPKI, 0x9000),
            ("00a4020c020017", 0x9000),
            ("802a008033" + _apdu.sha256_digest_info(bytes(32)).hex() + "00", 0x6982),
        ],
    ),
    (
        "SIGN with no key EF",
        [(JPKI, 0x9000), ("802a008033" + _apdu.sha256_digest_info(bytes(32)).hex() + "00", 0x6986)],
    ),
    ("unknown INS", [("00ca000000", 0x6D00)]),
    ("unknown CLA", [("a0a4040c0ad3921000310001010408", 0x6E00)]),
]


def test_command_sequences(pcsc):
    """One card, one exclusive session per sequence (close resets the card between them)."""
    with _inserted(pcsc):
        reader = CardReader(pcsc.reader_name(0))
        for name, steps in SEQUENCES:
            with reader.connect() as card:
                for apdu, expected in steps:
                    sw, _ = _sw(card, apdu)
                    assert sw == expected, f"{name}: {apdu} -> {sw:04X}, expected {expected:04X}"


def test_verify_lock_reset_and_count_kept_across_power_off(pcsc):
    sim = MyNumberCardSim(load_profile("ordinary"))
    reader = CardReader(pcsc.reader_name(0))
    pin_ef = [KENHOJO, "00a4020c020011"]
    with _inserted(pcsc, sim):
        with reader.connect() as card:
            for apdu in pin_ef:
                assert _sw(card, apdu)[0] == 0x9000
            assert _sw(card, "002000800439393939")[0] == 0x63C2
            assert _sw(card, "00200080")[0] == 0x63C2  # asking does not spend a try
            assert _sw(card, "002000800431323334")[0] == 0x9000  # success resets the count
            assert _sw(card, "00200080")[0] == 0x63C3
            assert _sw(card, "002000800439393939")[0] == 0x63C2
        # the card is reset when the session closes: the count survives it
        with reader.connect() as card:
            for apdu in pin_ef:
                _sw(card, apdu)
            assert _sw(card, "00200080")[0] == 0x63C2
            assert _sw(card, "002000800439393939")[0] == 0x63C1
    sim.power_off()
    sim.power_on()
    with _inserted(pcsc, sim):  # pulled out and put back: still 1 try
        with reader.connect() as card:
            for apdu in pin_ef:
                _sw(card, apdu)
            assert _sw(card, "00200080")[0] == 0x63C1
            assert _sw(card, "002000800439393939")[0] == 0x63C0  # third wrong in a row: locked
            assert _sw(card, "00200080")[0] == 0x6983
            assert _sw(card, "002000800431323334")[0] == 0x6983  # even the right PIN
            # the JPKI PIN is a separate counter
            for apdu in (JPKI, "00a4020c020018", "00200080"):
                sw, _ = _sw(card, apdu)
            assert sw == 0x63C3


def test_read_binary_offsets_short_and_extended(pcsc):
    profile = load_profile("long-address")
    from devices.card.data import encode_basic4

    expected = encode_basic4(profile.holder_name, profile.address, profile.birth_date, profile.sex)
    assert len(expected) > 256
    reader = CardReader(pcsc.reader_name(0))
    with _inserted(pcsc, profile):
        with reader.connect() as card:
            for apdu in (KENHOJO, "00a4020c020011", "002000800430303030", "00a4020c020002"):
                assert _sw(card, apdu)[0] == 0x9000
            sw, head = _sw(card, "00b0000005")
            assert (sw, head) == (0x9000, expected[:5])
            sw, body = _sw(card, _apdu.read_binary(5, len(expected) - 5))  # extended Le
            assert (sw, head + body) == (0x9000, expected)
            sw, chunk = _sw(card, "00b0010000")  # offset 256, Le 00 = 256: ends early
            assert (sw, chunk) == (0x6282, expected[256:])
            sw, chunk = _sw(card, "00b0000000")  # Le 00 = 256 bytes
            assert (sw, chunk) == (0x9000, expected[:256])


def test_extended_length_refused_when_profile_says_so(pcsc, tmp_path):
    text = (PROFILE_DIR / "long-address.toml").read_text(encoding="utf-8")
    path = tmp_path / "short-only.toml"
    path.write_text(text + "\n[card]\nextended_length = false\n", encoding="utf-8")
    with _inserted(pcsc, load_profile(path)):
        with CardReader(pcsc.reader_name(0)).connect() as card:
            card.verify_kenhojo_pin("0000")
            assert len(card.read_basic4().address) == 120  # fell back to 256-byte reads
            for apdu in (KENHOJO, "00a4020c020011", "002000800430303030", "00a4020c020002"):
                assert _sw(card, apdu)[0] == 0x9000
            assert _sw(card, "00b00005000169")[0] == 0x6700


@pytest.mark.parametrize("apdu", ["00", "00a4", "00a404"])
def test_too_short_apdus(apdu):
    sim = MyNumberCardSim(load_profile("ordinary"))
    assert sim.process(bytes.fromhex(apdu)) == b"\x67\x00"
