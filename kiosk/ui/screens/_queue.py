"""The queue_service screen: which queue the ticket is for (手続き, 証明書, 相談, 予約あり), each
with one line saying what it is for and the wait a ticket taken now would have (from the center's
queue host); 予約あり asks the booking slip's number and says plainly what central answered.

The slip's number (`kiosk-0001-000042-7`: this terminal's device id, 6 digits and a check
digit; `kiosk.session._slip_number`) is typed on a big number pad: the device id and the
hyphens are filled in and shown, the resident types the 7 digits only. A number that starts
with other letters (another terminal's slip) can still be typed whole on the letters keyboard.

Invariants: the screen decides nothing: a tap calls `flows.services.take_queue_ticket(service)`
or `flows.services.check_reservation(number)`; the typed number lives only in the keyboards
(kept while the resident corrects a number the session found incomplete or mistyped, cleared
when the answer closes the pad and with the screen); the rows carry no personal data.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from kiosk.session import SLIP_DIGITS, slip_number
from kiosk.ui.screens._base import KScreen

EMPTY_DIGIT = "□"  # a digit still to type, on the number's display
# The session's answers that keep the pad open with what was typed: the resident corrects it.
_CORRECT = ("incomplete", "mistyped")

# service id -> (its name, the one line that says what it is for); the order on screen.
SERVICES = (
    ("procedure", "Procedures", "Moving, family, insurance and other applications"),
    ("certificate", "Certificates", "Resident record, family register, tax and other certificates"),
    ("consultation", "Consultation", "Talk with staff about your worries or questions"),
    ("reserved", "I have a booking", "Enter the number on your booking slip"),
)


class QueueServiceScreen(KScreen):
    GUIDANCE = "What is your visit for? Touch one to take a ticket."
    entry = BooleanProperty(False)  # presentation only: the pad for the slip's number
    letters = BooleanProperty(False)  # presentation only: the letters keyboard instead
    slip_prefix = StringProperty("")  # what this terminal prints before the slip's digits
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
        self.slip_prefix = choice.slip_prefix if choice is not None else ""
        self.ids.message.text = self._message(state, choice.start if choice else "")
        mistake = state in _CORRECT and self.entry  # on a warn box, over the number to correct
        self.ids.message.style, self.ids.message.filled = ("warn" if mistake else "body"), mistake
        self.offer_procedure = state not in ("", "checking", "today", *_CORRECT)
        if self.offer_procedure:
            self.entry = False  # the answer is shown with the 手続き ticket offered
            self._clear_entry()
            # back at the top of the list: each row's name in view, not a wait line under
            # the message as if it belonged to nothing (review)
            scroll = self.ids.rows.parent
            scroll.scroll_y = 1.0
            # and again once laid out: the message above takes its height only then (an empty
            # message has none), and the list's view shrinks under it
            Clock.schedule_once(lambda _dt: setattr(scroll, "scroll_y", 1.0), 0)

    def _wait(self, minutes: int) -> str:
        if minutes <= 0:
            return self.tr("Wait: you will be called soon")
        return self.tr("Wait: about {minutes} minutes", minutes=minutes)

    def _message(self, state: str, start: str) -> str:
        when = start.replace("T", " ")
        if state in _CORRECT and not self.entry:
            return ""  # said over the pad only, while the resident corrects the number
        return {
            "incomplete": self.tr("Some digits are missing. Please enter all {n} digits of"
                                  " the number on the slip.", n=SLIP_DIGITS),
            "mistyped": self.tr("This number is not right: a digit may be mistyped. Please"
                                " compare it with the slip and correct it."),
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
        self._quiet()
        self.letters = False
        self.entry = True

    def _quiet(self) -> None:
        self.ids.message.text, self.ids.message.style, self.ids.message.filled = "", "body", False

    def number_text(self, digits: str, prefix: str) -> str:
        """`kiosk-0001 - 00004□ - □`: the fixed part, the digits typed, □ for each one still to
        type; the last digit (the check digit) apart, as on the slip."""
        shown = digits + EMPTY_DIGIT * max(SLIP_DIGITS - len(digits), 0)
        return f"{prefix} - {shown[:-1]} - {shown[-1]}"

    def submit_digits(self, digits: str) -> None:
        """OK on the number pad: the slip's number with its fixed part (the digits stay on the
        pad until the answer closes it, so a mistyped digit is corrected, not typed again)."""
        self.act(self.flows.services.check_reservation, slip_number(self.slip_prefix, digits))

    def submit(self, value: str) -> None:
        """OK on the letters keyboard: the number as typed."""
        self.act(self.flows.services.check_reservation, value)

    def _clear_entry(self) -> None:
        self.ids.reference.clear()
        self.ids.reference_letters.clear()

    def back(self) -> None:
        if self.entry:
            self.entry = self.letters = False
            self._quiet()
            self._clear_entry()
            return
        self.act(self.flows.visit.home)

    def clear(self) -> None:
        self.entry = self.letters = self.offer_procedure = False
        super().clear()
