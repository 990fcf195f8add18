"""A card that answers the entry spending the last try with 69 83 (instead of 63 C0): the reader
says "blocked by this entry" (`PinBlockedError.just_now`), for both 4-digit PINs, through the real
pcscd + vpcd; a card already blocked still says `just_now=False` and gets no VERIFY at all.
The kiosk session shows `pin_blocked_now` ("you have just locked it; unlock it at the counter")
for the first and `pin_blocked` for the second."""

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


# -- the kiosk session tells the resident which case it is ----------------------------------
def _session(catalog, kit, pcsc):
    from kiosk.services import CardReaderAdapter
    from kiosk.session import KioskSession, SessionConfig

    ports = kit.ports()
    ports.card = CardReaderAdapter(CardReader(pcsc.reader_name(0)))
    return KioskSession(catalog, ports, SessionConfig(device_id="C08"))


def test_the_kiosk_says_the_pin_was_locked_just_now(catalog, kit, pcsc):
    from kiosk.session import NoticeCode, Step
    from tests.support.session_fixtures import to_pin_entry

    session = _session(catalog, kit, pcsc)
    with _inserted(pcsc, "blocks-with-6983") as inserted:
        to_pin_entry(session)
        assert session.tries_left == 1 and session.last_try_warning
        session.submit_pin("9999")
        assert session.step is Step.PIN_BLOCKED
        assert session.notice.code is NoticeCode.PIN_BLOCKED_NOW
        assert not session.submit_pin("1234")
        assert len(inserted.sim.verify_apdus(with_data=True)) == 1
    session.card_removed(pcsc.reader_name(0))


def test_the_kiosk_says_locked_before_for_a_card_blocked_earlier(catalog, kit, pcsc):
    from kiosk.session import NoticeCode, Step

    session = _session(catalog, kit, pcsc)
    with _inserted(pcsc, "blocked") as inserted:
        assert session.open_procedures()
        assert session.choose_procedure("seal_registration_cancel")
        assert session.start_procedure()
        session.card_inserted(pcsc.reader_name(0))
        assert session.step is Step.PIN_BLOCKED
        assert session.notice.code is NoticeCode.PIN_BLOCKED
        assert inserted.sim.verify_apdus(with_data=True) == []
    session.card_removed(pcsc.reader_name(0))
