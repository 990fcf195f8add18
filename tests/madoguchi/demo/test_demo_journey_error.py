"""A scripted visit that does not reach the step it expects stops with a `JourneyError`, a
`KioskError` (hence a `MadoguchiError`): `madoguchi demo` reports it as one line with exit code 1,
never a traceback. Driven here with the session's in-memory ports and a card whose PIN is
blocked, so the visit stops at the first card step."""

from __future__ import annotations

import pytest

from kiosk.errors import KioskError
from kiosk.session.memory import MemoryKit
from madoguchi.core.errors import MadoguchiError
from madoguchi.demo._journey import JourneyError, run_journey


class _BlockedCardServices:
    """`run_journey`'s services: in-memory ports; the card is on the reader from the start."""

    def __init__(self) -> None:
        self.kit = MemoryKit()
        self.kit.card.kenhojo_tries = 0

    def ports(self):
        return self.kit.ports()

    def watch_cards(self, session, schedule):
        schedule(session.card_inserted)
        return None


def test_a_stuck_visit_is_a_one_line_kiosk_error():
    assert issubclass(JourneyError, KioskError) and issubclass(JourneyError, MadoguchiError)
    services = _BlockedCardServices()
    with pytest.raises(JourneyError) as e:
        run_journey(services, "C01")  # waits its 20 s for a PIN screen that never comes
    message = str(e.value)
    assert "\n" not in message
    assert "pin_blocked" in message and "expected" in message
    # Nothing personal in it, and the session was wiped on the way out.
    assert "山田" not in message
    assert services.kit.printer.session == []
