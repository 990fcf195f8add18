"""The reader never spends a PIN try on its own: one VERIFY per call, no retry after a wrong PIN,
no VERIFY at all when the card says 0 tries left, no VERIFY for a malformed entry, and tries are
asked with the empty VERIFY that costs nothing. Proven from the APDUs the simulated card received."""

import pytest

from devices.card import CardReader, PinBlockedError, WrongPinError
from devices.card.simulator import SimulatedCard


def _inserted(pcsc, profile="ordinary"):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0))


@pytest.mark.parametrize(
    "tries_method,verify_method,pin_key",
    [
        ("kenhojo_tries_left", "verify_kenhojo_pin", "kenhojo"),
        ("jpki_auth_tries_left", "verify_jpki_auth_pin", "jpki_auth"),
    ],
)
def test_wrong_pin_is_sent_once_and_never_retried(pcsc, tries_method, verify_method, pin_key):
    with _inserted(pcsc) as inserted:
        sim = inserted.sim
        with CardReader().connect() as card:
            assert getattr(card, tries_method)() == 3
            with pytest.raises(WrongPinError) as info:
                getattr(card, verify_method)("9999")
            assert (info.value.pin, info.value.tries_left) == (pin_key, 2)
            assert "9999" not in str(info.value)
            assert len(sim.verify_apdus(with_data=True)) == 1
            # the reader's other calls never send a VERIFY by themselves
            assert getattr(card, tries_method)() == 2
            if pin_key == "kenhojo":
                with pytest.raises(Exception):  # noqa: B017 - any refusal; not a retry
                    card.read_basic4()
            assert len(sim.verify_apdus(with_data=True)) == 1
        assert sim.tries[pin_key] == 2


def test_three_wrong_entries_block_and_the_fourth_is_never_sent(pcsc):
    with _inserted(pcsc) as inserted:
        sim = inserted.sim
        with CardReader().connect() as card:
            for left in (2, 1):
                with pytest.raises(WrongPinError) as info:
                    card.verify_kenhojo_pin("0000")
                assert info.value.tries_left == left
            with pytest.raises(PinBlockedError) as info:
                card.verify_kenhojo_pin("0000")
            assert info.value.just_now
            sent = len(sim.verify_apdus(with_data=True))
            assert sent == 3
            with pytest.raises(PinBlockedError) as info:
                card.verify_kenhojo_pin("1234")  # even the right PIN is not sent
            assert not info.value.just_now
            assert len(sim.verify_apdus(with_data=True)) == 3
        # a fresh session learns the state from the card and refuses as well
        with CardReader().connect() as card:
            with pytest.raises(PinBlockedError):
                card.verify_kenhojo_pin("1234")
        assert len(sim.verify_apdus(with_data=True)) == 3
        assert sim.tries["kenhojo"] == 0 and sim.tries["jpki_auth"] == 3


def test_one_try_left_wrong_entry_blocks(pcsc):
    with _inserted(pcsc, "one-try-left") as inserted:
        with CardReader().connect() as card:
            assert card.kenhojo_tries_left() == 1
            with pytest.raises(PinBlockedError) as info:
                card.verify_kenhojo_pin("9999")
            assert info.value.just_now
        assert len(inserted.sim.verify_apdus(with_data=True)) == 1


def test_correct_pin_after_a_wrong_one_resets_the_count(pcsc):
    with _inserted(pcsc) as inserted:
        with CardReader().connect() as card:
            with pytest.raises(WrongPinError):
                card.verify_kenhojo_pin("1111")
            card.verify_kenhojo_pin("1234")
            assert card.read_basic4().name == inserted.sim.profile.holder_name
            assert card.kenhojo_tries_left() == 3


@pytest.mark.parametrize("pin", ["", "123", "12345", "12a4", "１２３４", " 123", "12.4"])
def test_malformed_pin_is_never_sent(pcsc, pin):
    with _inserted(pcsc) as inserted:
        with CardReader().connect() as card:
            with pytest.raises(ValueError):
                card.verify_kenhojo_pin(pin)
        assert inserted.sim.verify_apdus(with_data=True) == []


def test_verify_without_asking_first_checks_tries_without_spending(pcsc):
    with _inserted(pcsc, "blocked") as inserted:
        with CardReader().connect() as card:
            with pytest.raises(PinBlockedError):
                card.verify_jpki_auth_pin("1234")
        assert inserted.sim.verify_apdus(with_data=False)  # asked with the empty form
        assert inserted.sim.verify_apdus(with_data=True) == []
