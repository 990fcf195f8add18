"""The pcscd + vpcd rig is real: pyscard sees the virtual reader, the card, its ATR, an APDU
exchange and the card's removal, all through the pcscd daemon we started."""

import time

import pytest
from smartcard import scard
from smartcard.System import readers

from devices.card.simulator.vpcd import VirtualCardLink

ATR = bytes.fromhex("3B8880010000000000000000")


class EchoCard:
    """A tiny card: answers every APDU with its own bytes reversed and 90 00."""

    atr = ATR

    def __init__(self):
        self.powered = False
        self.seen: list[bytes] = []

    def power_on(self):
        self.powered = True

    def power_off(self):
        self.powered = False

    def reset(self):
        self.powered = True

    def process(self, apdu: bytes) -> bytes:
        self.seen.append(apdu)
        return apdu[::-1] + b"\x90\x00"


def _reader(pcsc):
    names = [str(r) for r in readers()]
    assert pcsc.reader_name(0) in names, names
    return next(r for r in readers() if str(r) == pcsc.reader_name(0))


def _wait_presence(reader_name: str, present: bool, timeout=10.0):
    """Wait on pcscd's own reader state (SCardGetStatusChange) until the card is (not) present."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS
    try:
        deadline = time.monotonic() + timeout
        state = scard.SCARD_STATE_UNAWARE
        while time.monotonic() < deadline:
            hresult, states = scard.SCardGetStatusChange(context, 200, [(reader_name, state)])
            if hresult == scard.SCARD_S_SUCCESS:
                state = states[0][1]
                if bool(state & scard.SCARD_STATE_PRESENT) == present:
                    return
        pytest.fail(f"card presence did not become {present}")
    finally:
        scard.SCardReleaseContext(context)


def test_pcscd_lists_virtual_reader(pcsc):
    names = [str(r) for r in readers()]
    assert pcsc.reader_name(0) in names
    assert pcsc.reader_name(1) in names


def test_card_seen_atr_apdu_and_removal(pcsc):
    reader = _reader(pcsc)
    card = EchoCard()
    link = VirtualCardLink(card, port=pcsc.vpcd_port)
    link.insert()
    try:
        _wait_presence(pcsc.reader_name(0), True)
        conn = reader.createConnection()
        conn.connect()
        assert bytes(conn.getATR()) == ATR
        data, sw1, sw2 = conn.transmit([0x00, 0xA4, 0x04, 0x0C, 0x02, 0x12, 0x34])
        assert (sw1, sw2) == (0x90, 0x00)
        assert bytes(data) == bytes([0x00, 0xA4, 0x04, 0x0C, 0x02, 0x12, 0x34])[::-1]
        assert card.seen[-1] == bytes([0x00, 0xA4, 0x04, 0x0C, 0x02, 0x12, 0x34])
        conn.disconnect()
    finally:
        link.remove()
    _wait_presence(pcsc.reader_name(0), False)


def test_client_reaches_our_pcscd_not_the_system_one(pcsc):
    import os

    assert os.environ["PCSCLITE_CSOCK_NAME"] == str(pcsc.socket_path)
    assert pcsc.socket_path.exists()
