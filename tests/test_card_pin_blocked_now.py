"""A card that answers the entry spending the last try with 69 83 (instead of 63 C0): the reader
says "blocked by this entry" (`PinBlockedError.just_now`), for both 4-digit PINs, through the real
pcscd + vpcd; a card already blocked still says `just_now=False` and gets no VERIFY at all."""

import pytest

from devices.card import CardReader, PinBlockedError
from devices.card.simulator import SimulatedCard


def _inserted(pcsc, profile):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0))


@pytest.mark.parametrize(
    "tries_method,verify_method,pin_key",
    [
        ("kenhojo_tries_left", "verify_kenhojo_pin", "kenhojo"),
        ("jpki_auth_tries_left", "verify_jpki_auth_pin", "jpki_auth"),
    ],
)
def test_6983_on_the_last_try_means_blocked_just_now(pcsc, tries_method, verify_method, pin_key):
    with _inserted(pcsc, "blocks-with-6983") as inserted:
        with CardReader().connect() as card:
            assert getattr(card, tries_method)() == 1
            with pytest.raises(PinBlockedError) as info:
                getattr(card, verify_method)("9999")
            assert (info.value.pin, info.value.just_now) == (pin_key, True)
            assert "by this wrong entry" in str(info.value)
            assert "9999" not in str(info.value)
            # the card did answer 69 83 (not 63 C0) to the one VERIFY sent
            assert len(inserted.sim.verify_apdus(with_data=True)) == 1
            # and now the reader knows: the right PIN is not even sent
            with pytest.raises(PinBlockedError) as again:
                getattr(card, verify_method)("1234")
            assert not again.value.just_now
            assert len(inserted.sim.verify_apdus(with_data=True)) == 1
        assert inserted.sim.tries[pin_key] == 0


def test_blocked_before_this_session_is_not_just_now(pcsc):
    with _inserted(pcsc, "blocks-with-6983") as inserted:
        with CardReader().connect() as card:
            with pytest.raises(PinBlockedError):
                card.verify_kenhojo_pin("0000")
        with CardReader().connect() as card:
            with pytest.raises(PinBlockedError) as info:
                card.verify_kenhojo_pin("1234")
            assert not info.value.just_now
        assert len(inserted.sim.verify_apdus(with_data=True)) == 1
