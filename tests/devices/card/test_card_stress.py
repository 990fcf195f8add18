"""Long fault loop (slow): a card pulled at every possible APDU of a full kenhojo + JPKI session,
again and again, with a watcher running. Every pull gives CardRemovedError (never wrong data or a
hang), the watcher pairs every insert with a remove, and the next card reads cleanly."""

import hashlib
import queue

import pytest

from devices.card import CardReader, CardRemovedError, CardWatcher
from devices.card.simulator import SimulatedCard

pytestmark = pytest.mark.slow


class Events:
    def __init__(self):
        self.q: queue.Queue = queue.Queue()

    def card_inserted(self, reader):
        self.q.put("in")

    def card_removed(self, reader):
        self.q.put("out")


def _session(card, profile):
    card.kenhojo_tries_left()
    card.verify_kenhojo_pin(profile.kenhojo_pin)
    b = card.read_basic4()
    assert b.address == profile.address
    card.read_auth_certificate()
    card.jpki_auth_tries_left()
    card.verify_jpki_auth_pin(profile.jpki_auth_pin)
    card.sign_sha256_digest(hashlib.sha256(b"x").digest())


def test_pull_at_every_apdu_repeatedly(pcsc):
    reader = pcsc.reader_name(0)
    events = Events()
    with CardWatcher(events, reader_name=reader):
        for _round in range(3):
            for pull_at in range(1, 17):
                with SimulatedCard("long-address", port=pcsc.vpcd_port, reader_name=reader) as c:
                    assert events.q.get(timeout=10) == "in"
                    with CardReader(reader).connect() as card:
                        c.link.remove_after_apdus(pull_at)
                        try:
                            _session(card, c.sim.profile)
                            pulled = False
                        except CardRemovedError:
                            pulled = True
                    # 16 APDUs per session: a pull at 1..16 always lands inside it
                    assert pulled, pull_at
                assert events.q.get(timeout=10) == "out"
        with SimulatedCard("long-address", port=pcsc.vpcd_port, reader_name=reader) as c:
            assert events.q.get(timeout=10) == "in"
            with CardReader(reader).connect() as card:
                _session(card, c.sim.profile)
        assert events.q.get(timeout=10) == "out"
    assert events.q.empty()
