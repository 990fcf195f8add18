"""The "call staff" alert at the terminal: a fixed spoken call in Japanese for the center's staff
(espeak-ng through `Voice`), whatever the resident's own voice guidance setting is.

Invariants: the words are fixed (no card data, no screen content: nothing personal is said
aloud); a missing espeak-ng or a speaker that fails makes the alert silent and logged, never an
error for the resident, whose notice ("a staff member is coming") shows either way. Not Kivy.

`CenterStaffAlert` also sends the call to the center's staff console through the queue host
(`kiosk.center.TerminalQueue`): only the terminal's id and the screen's name; the session then
follows the call's state (see kiosk/session/_staff_call.py) and says honestly whether someone is
coming, nobody has answered yet, or the call could not be delivered.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.voice import Voice, VoiceConfig

__all__ = ["STAFF_CALL_PHRASE", "CenterStaffAlert", "StaffAlert"]

log = logging.getLogger(__name__)

# Said twice, slowly enough to be understood across a community center's room.
STAFF_CALL_PHRASE = "窓口端末で、係員をお呼びです。窓口端末で、係員をお呼びです。"


class StaffAlert:
    """`AlertPort` at the terminal itself (a device may add a buzzer or a staff tablet)."""

    def __init__(self, voice: Voice | None = None, language: str = "ja") -> None:
        self.voice = voice or Voice(VoiceConfig(words_per_minute=120, enabled_by_default=True))
        self.voice.enabled = True  # the staff's call does not depend on the resident's setting
        self.language = language
        self.calls = 0

    def staff_called(self, calls: int) -> None:
        self.calls = calls
        if not self.voice.available:
            log.warning("staff call %d: no speech (espeak-ng missing)", calls)
            return
        self.voice.say(self.language, STAFF_CALL_PHRASE)
        log.info("staff call %d announced", calls)

    def close(self) -> None:
        self.voice.stop()


class CenterStaffAlert(StaffAlert):
    """The spoken call at the terminal plus the call on the staff console (blocking methods: the
    session runs them on its worker)."""

    def __init__(self, center: Any, voice: Voice | None = None, language: str = "ja") -> None:
        super().__init__(voice, language)
        self.center = center  # kiosk.center.TerminalQueue

    def raise_call(self, screen: str) -> str:
        return self.center.staff_call(screen)

    def call_state(self, call_id: str) -> dict[str, Any]:
        return self.center.staff_call_state(call_id)
