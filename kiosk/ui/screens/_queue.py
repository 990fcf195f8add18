"""The queue_service screen: which queue the ticket is for (手続き, 証明書, 相談, 予約あり), each
with one line saying what it is for and the wait a ticket taken now would have (from the center's
queue host); 予約あり asks the booking slip's number and says plainly what central answered.

Invariants: the screen decides nothing: a tap calls `flows.services.take_queue_ticket(service)`
or `flows.services.check_reservation(number)`; the typed number lives only in the keyboard
(cleared with the screen); the rows carry no personal data.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty

from kiosk.ui.screens._base import KScreen

# service id -> (its name, the one line that says what it is for); the order on screen.
SERVICES = (
    ("procedure", "Procedures", "Moving, family, insurance and other applications"),
    ("certificate", "Certificates", "Resident record, family register, tax and other certificates"),
    ("consultation", "Consultation", "Talk with staff about your worries or questions"),
    ("reserved", "I have a booking", "Enter the number on your booking slip"),
)


class QueueServiceScreen(KScreen):
    GUIDANCE = "What is your visit for? Touch one to take a ticket."
    entry = BooleanProperty(False)  # presentation only: the keyboard for the slip's number
    offer_procedure = BooleanProperty(False)  # the booking check failed: 手続き offered instead

    def render(self, s: Any) -> None:
        choice = s.queue_choice
        waits = choice.estimates if choice is not None else {}
        services = self.flows.services
        rows = []
        for sid, name, line in SERVICES:
            text = f"{self.tr(name)}\n{self.tr(line)}"
            if sid != "reserved" and sid in waits:
                text += "\n" + self._wait(waits[sid])
            tap = (lambda: self._open_entry()) if sid == "reserved" else self.tap(
                services.take_queue_ticket, sid
            )  # fmt: skip
            rows.append((f"service_{sid}", text, "choice", tap))
        self.fill(self.ids.rows, rows, personal=False)
        state = choice.reservation if choice is not None else ""
        self.ids.message.text = self._message(state, choice.start if choice else "")
        self.offer_procedure = state not in ("", "checking", "today")
        if self.offer_procedure:
            self.entry = False  # the answer is shown with the 手続き ticket offered
            # back at the top of the list: each row's name in view, not a wait line under
            # the message as if it belonged to nothing (review)
            self.ids.rows.parent.scroll_y = 1.0

    def _wait(self, minutes: int) -> str:
        if minutes <= 0:
            return self.tr("Wait: you will be called soon")
        return self.tr("Wait: about {minutes} minutes", minutes=minutes)

    def _message(self, state: str, start: str) -> str:
        when = start.replace("T", " ")
        return {
            "checking": self.tr("Checking your booking..."),
            "pending": self.tr("Your booking is not confirmed yet (provisional). Please take"
                               " a ticket for procedures; staff will check it."),
            "other_day": self.tr("Your booking is for another day: {start}. Please come at"
                                 " that time, or take a ticket for procedures.", start=when),
            "callback": self.tr("For this booking, city staff will call you. Please take a"
                                " ticket for procedures if you need help today."),
            "unknown": self.tr("We could not find this number. Please check the slip, or take"
                               " a ticket for procedures."),
            "offline": self.tr("Your booking cannot be checked now. Please take a ticket for"
                               " procedures; staff will check it."),
        }.get(state, "")  # fmt: skip

    def _open_entry(self) -> None:
        self.ids.message.text = ""
        self.entry = True

    def submit(self, value: str) -> None:
        self.ids.reference.clear()
        self.act(self.flows.services.check_reservation, value)

    def back(self) -> None:
        if self.entry:
            self.entry = False
            self.ids.reference.clear()
            return
        self.act(self.flows.visit.home)

    def clear(self) -> None:
        self.entry = self.offer_procedure = False
        super().clear()
