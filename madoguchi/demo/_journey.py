"""A resident's visit, scripted, for the demo without a display.

It drives the same `KioskSession` the touch screen drives, over the same real services (the
simulated card behind pcscd, cupsd, the sealed outbox, the sync agent's request socket): moving
in with the card, a queue ticket, a resident-record certificate issued online by the central
issuer, and the satisfaction question. It narrates steps and outcomes, never the resident's data.
Card events arrive on the watcher thread and are run on this thread, as Kivy's clock would.
"""

from __future__ import annotations

import queue
import sys
import time
from collections.abc import Callable

from kiosk.catalog import default_catalog
from kiosk.errors import KioskError
from kiosk.session import KioskSession, SessionConfig, Step

DEMO_PIN = "1234"  # the simulated card's PINs (devices/card/simulator/profiles/ordinary.toml)

# What the resident confirms or corrects on the prefilled form (the card fills the rest).
_MOVING_IN_ANSWERS = {
    "name_kana": "ヤマダ ハナコ",
    "name_latin": "Hanako Yamada",
    "new_town": "sakura",
    "new_chome": "2",
    "new_lot": "15",
    "moved_on": "2026-11-20",
    "household_size": "3",
    "phone": "0532000000",
}


class JourneyError(KioskError):
    """The scripted visit did not reach the step it expected. A `KioskError`: `madoguchi demo`
    reports it as one line and exit code 1, never a traceback."""


class _UiThread:
    """Stands in for Kivy's clock: device threads post callables, the script runs them."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def schedule(self, fn: Callable[[], None]) -> None:
        self._calls.put(fn)

    def pump_until(self, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                self._calls.get(timeout=min(0.05, left))()
            except queue.Empty:
                continue
        return True


def _say(message: str) -> None:
    print(f"demo: resident: {message}", file=sys.stderr, flush=True)


def run_journey(services, device_id: str) -> dict[str, object]:
    """Walk one visit through the session; returns what happened (no personal data)."""
    ui = _UiThread()
    session = KioskSession(default_catalog(), services.ports(), SessionConfig(device_id=device_id))
    watcher = services.watch_cards(session, ui.schedule)

    def expect(step: Step, what: str, timeout: float = 20.0) -> None:
        if not ui.pump_until(lambda: session.step is step, timeout):
            notice = session.notice.code if session.notice else None
            raise JourneyError(f"{what}: at step {session.step} (notice {notice}), expected {step}")

    outcome: dict[str, object] = {}
    try:
        session.choose_language("ja")
        session.open_life_events()
        session.choose_life_event("moving_in")
        while session.step is Step.LIFE_EVENT_QUESTIONS:
            question = session.current_question
            session.answer(question.id, question.id == "has_children_under_18")
        outcome["checklist"] = [item.procedure_id for item in session.checklist]
        _say(f"moving in: the checklist has {len(session.checklist)} procedures")

        session.choose_procedure("moving_in")
        session.start_procedure()
        expect(Step.PIN_ENTRY, "card read for the moving-in form")
        _say(f"card placed; {session.tries_left} PIN tries left; entering the PIN")
        session.submit_pin(DEMO_PIN)
        expect(Step.FORM_CONFIRM, "form prefilled from the card")
        _say("form prefilled from the card (name, address, birth date, sex); confirming")
        for name, value in _MOVING_IN_ANSWERS.items():
            session.correct_field(name, value)
        session.confirm()
        expect(Step.DONE, "application submitted")
        outcome["reference"] = session.reference
        outcome["receipt_printed"] = session.receipt_printed
        _say(
            f"submitted; reference {session.reference}; receipt printed: {session.receipt_printed}"
        )
        session.finish()
        session.submit_survey(9, ["ease"])
        expect(Step.HOME, "survey answered")

        session.take_queue_ticket()
        expect(Step.QUEUE_TICKET, "queue ticket")
        outcome["ticket"] = session.ticket.number
        _say(f"queue ticket {session.ticket.number} for the center's staff")
        session.finish()
        session.skip_survey()

        session.open_certificates()
        session.choose_certificate("resident_record", 1, "work")
        expect(Step.PIN_ENTRY, "card read for the certificate")
        session.submit_pin(DEMO_PIN)
        ok = ui.pump_until(
            lambda: session.step in (Step.CERTIFICATE_PRINTED, Step.CLAIM_SLIP, Step.SERVICE_ERROR),
            30,
        )
        if not ok:
            raise JourneyError(f"certificate: stuck at {session.step}")
        outcome["certificate"] = str(session.step)
        _say(f"certificate request ended at '{session.step}' (online issue, or queued offline)")
        session.finish()
        session.submit_survey(10, [])
        expect(Step.HOME, "second survey")
    finally:
        session.wipe()
        if watcher is not None:
            watcher.stop()
    return outcome
