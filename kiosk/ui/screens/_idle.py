"""The "still there?" screen: a visible countdown to the wipe and one big "still using" button.

Invariant: the seconds shown are the session's (`still_there_seconds_left`, from its clock); the
screen keeps no state of its own and decides nothing (the session wipes at zero)."""

from __future__ import annotations

from typing import Any

from kiosk.ui.screens._base import KScreen


class StillThereScreen(KScreen):
    GUIDANCE = "Are you still there? Touch the screen to continue."

    def render(self, s: Any) -> None:
        seconds = int(getattr(s, "still_there_seconds_left", 0))
        self.ids.countdown.text = self.tr("Erased in {seconds} seconds", seconds=seconds)
