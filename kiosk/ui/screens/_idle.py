"""The "still there?" screen: a visible countdown to the wipe and one big "still using" button.

Invariant: the seconds shown are the session's (`still_there_seconds_left`, from its clock); the
screen keeps no state of its own and decides nothing (the session wipes at zero). A card still in
the reader is named in words and said aloud (`CardReminder`) before the wipe."""

from __future__ import annotations

from typing import Any

from kiosk.ui.screens._base import KScreen
from kiosk.ui.screens._card import CardReminder, show_take_card


class StillThereScreen(CardReminder, KScreen):
    GUIDANCE = "Are you still there? Touch the screen to continue."

    def render(self, s: Any) -> None:
        seconds = int(getattr(s, "still_there_seconds_left", 0))
        self.ids.countdown.text = self.tr("Erased in {seconds} seconds", seconds=seconds)
        show_take_card(self.ids.take_card, self.host, s)
        self.remind_card(s)

    def clear(self) -> None:
        self.stop_reminder()
        super().clear()
