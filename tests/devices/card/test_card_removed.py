"""Cards leaving the reader and readers that are not there: pulling the card in the middle of a
read gives CardRemovedError (the simulator closes its socket after n APDUs), an empty reader
gives NoCardError, an unknown reader NoReaderError, and a closed session refuses to work."""

import pytest

from devices.card import (
    CardError,
    CardReader,
    CardRemovedError,
    NoCardError,
    NoReaderError,
    list_readers,
    wait_for_card,
)
from devices.card.simulator import SimulatedCard


def _inserted(pcsc, profile="ordinary"):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0))


# APDUs of the kenhojo read: 1 SELECT AP, 2 SELECT PIN EF, 3 tries, 4 VERIFY, 5 SELECT 0002,
# 6 READ head, 7 READ rest. Pull the card as each arrives.
@pytest.mark.parametrize("pull_at", [1, 3, 4, 6, 7])
def test_card_pulled_mid_read(pcsc, pull_at):
    with _inserted(pcsc, "long-address") as inserted:
        with CardReader().connect() as card:
            inserted.link.remove_after_apdus(pull_at)
            with pytest.raises(CardRemovedError) as info:
                card.kenhojo_tries_left()
                card.verify_kenhojo_pin("0000")
                card.read_basic4()
            assert info.value.operation
            with pytest.raises(CardError):  # the session is dead, not silently re-selected
                card.read_basic4()
        assert wait_for_card(pcsc.reader_name(0), present=False, timeout=10)
        assert not inserted.link.inserted


def test_card_pulled_mid_signature(pcsc):
    with _inserted(pcsc) as inserted:
        with CardReader().connect() as card:
            card.verify_jpki_auth_pin("1234")
            inserted.link.remove_after_apdus(2)  # SELECT key EF, then SIGN
            with pytest.raises(CardRemovedError):
                card.sign_sha256_digest(bytes(32))


def test_empty_reader(pcsc):
    assert wait_for_card(pcsc.reader_name(0), present=False, timeout=10)
    with pytest.raises(NoCardError) as info:
        CardReader(pcsc.reader_name(0)).connect()
    assert info.value.reader == pcsc.reader_name(0)
    with pytest.raises(NoCardError):
        CardReader().connect()  # no reader holds a card


def test_unknown_reader(pcsc):
    assert pcsc.reader_name(0) in list_readers()
    with pytest.raises(NoReaderError) as info:
        CardReader("No Such Reader 00 00").connect()
    assert info.value.reader == "No Such Reader 00 00"


def test_second_slot_and_closed_session(pcsc):
    with SimulatedCard("ordinary", port=pcsc.vpcd_port + 1, reader_name=pcsc.reader_name(1)):
        card = CardReader().connect()  # the first reader with a card
        assert card.reader_name == pcsc.reader_name(1)
        assert card.kenhojo_tries_left() == 3
        card.close()
        card.close()  # idempotent
        with pytest.raises(CardError):
            card.kenhojo_tries_left()
