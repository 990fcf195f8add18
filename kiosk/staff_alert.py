"""The "call staff" alert at the terminal: a fixed spoken call in Japanese for the center's staff
(espeak-ng through `Voice`), whatever the resident's own voice guidance setting is.

Invariants: the words are fixed (no card data, no screen content: nothing personal is said
aloud); a missing espeak-ng or a speaker that fails makes the alert silent and logged, never an
error for the resident, whose notice ("a staff member is coming") shows either way. Not Kivy.
"""

from __future__ import annotations

import logging

from kiosk.voice import Voice, VoiceConfig

__all__ = ["STAFF_CALL_PHRASE", "StaffAlert"]

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
