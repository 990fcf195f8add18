"""The screens of the way into a video consultation (オンライン窓口) the session shows before the
call screens (kiosk/ui/screens/_call.py): the topic (「わからない・総合案内」 first, then the
catalog's topics) and, when a call cannot be had now (offline, outside hours, no call worker),
why in plain words with a booking instead.

Invariants: they show the session's state and call its typed consult flow
(`flows.consult`); nothing here starts a call (only the consent screen's Start tap does).
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.ui.screens._base import KScreen
from kiosk.ui.screens._datewords import slot_words

__all__ = ["ConsultTopicScreen", "ConsultUnavailableScreen"]

GENERAL = "general"


class ConsultTopicScreen(KScreen):
    GUIDANCE = "What would you like to talk about?"

    def render(self, s: Any) -> None:
        choose = self.flows.consult.choose_topic
        rows = []
        if GENERAL in s.catalog.topics:  # the resident who does not know where it belongs
            rows.append(("topic_general", self.tr("I am not sure / general information"),
                         "primary", self.tap(choose, GENERAL)))  # fmt: skip
        rows += [
            (f"topic_{t.id}", self.t(s, t.name), "choice", self.tap(choose, t.id))
            for t in s.catalog.topics.values()
            if t.id != GENERAL
        ]
        self.fill(self.ids.rows, rows, personal=False)


class ConsultUnavailableScreen(KScreen):
    GUIDANCE = "Video consultation is not available now."
    why = StringProperty("")
    when = StringProperty("")  # outside hours: when calls are taken

    def render(self, s: Any) -> None:
        reason = getattr(s, "consult_unavailable", None) or "error"
        self.why = {
            "offline": self.tr("This terminal cannot reach city hall right now."),
            "hours": self.tr("It is outside the hours for video consultation."),
        }.get(reason, self.tr("Video consultation is not available now."))
        self.when = self._when(s) if reason == "hours" else ""

    def _when(self, s: Any) -> str:
        """Why today is closed, the weekly hours, the closing days and when calls are next
        taken, in the reader's words."""
        consult = self.flows.consult
        hours = consult.hours()
        closed_today, upcoming = consult.when_open()
        lines = []
        if closed_today == "holiday":
            lines.append(self.tr("Today is a national holiday, and city hall is closed."))
        elif closed_today == "year_end":
            lines.append(self.tr("City hall is closed for the New Year holidays"
                                 " (29 December to 3 January)."))  # fmt: skip
        elif closed_today is not None:
            lines.append(self.tr("City hall is closed today."))
        runs = hours.runs()
        if runs:
            lines.append(self.tr("Hours for video consultation:"))
            lines += [
                self.tr("{days}, {start} to {end}", days=self._days(a, b), start=start, end=end)
                for a, b, start, end in runs
            ]
            if hours.holidays_closed:
                lines.append(self.tr("Closed on national holidays and from 29 December"
                                     " to 3 January."))  # fmt: skip
        if upcoming is not None:
            lines.append(
                self.tr("Next time you can talk: {when}", when=slot_words(upcoming, s.language))
            )
        return "\n".join(lines)

    def _days(self, first: int, last: int) -> str:
        names = (
            self.tr("Monday"),
            self.tr("Tuesday"),
            self.tr("Wednesday"),
            self.tr("Thursday"),
            self.tr("Friday"),
            self.tr("Saturday"),
            self.tr("Sunday"),
        )  # fmt: skip  (0 = Monday, as kiosk.session.ConsultHours)
        if first == last:
            return names[first]
        return self.tr("{first} to {last}", first=names[first], last=names[last])
