"""Staff mode: behind the staff PIN (a PBKDF2 hash in config, never the PIN itself).

Invariants: entering staff mode first wipes any resident session; repeated wrong PINs lock the
entry for `staff_lockout_s`; staff see counts and states only (queue numbers, printer reasons,
pending reprints, outbox depth, last sync), never record contents; staff mode leaves by itself
after `staff_idle_timeout_s` without a touch.
"""

from __future__ import annotations

from typing import Any

from kiosk.session._base import _SessionCore
from kiosk.session.config import verify_staff_pin
from kiosk.session.ports import PortPrintError
from kiosk.session.steps import BUSY_STEPS, NoticeCode, Step


class _StaffFlow(_SessionCore):
    # ---- staff mode ------------------------------------------------------------------------

    def open_staff(self) -> bool:
        """The hidden staff gesture: ask for the staff PIN (the only way out of out-of-service)."""
        if self.step in BUSY_STEPS or not self.config.staff_pin_hash:
            return False
        self._last_activity = self._clock()
        self._resume_step = self.step if self.step is Step.OUT_OF_SERVICE else None
        self._go(Step.STAFF_PIN)
        self.notice = None
        self._changed()
        return True

    def submit_staff_pin(self, pin: str) -> bool:
        if self.step is not Step.STAFF_PIN:
            return False
        self._last_activity = now = self._clock()
        if now < self._staff_locked_until or not verify_staff_pin(pin, self.config.staff_pin_hash):
            self._staff_failures += 1
            if self._staff_failures >= self.config.staff_pin_max_failures:
                self._staff_locked_until = now + self.config.staff_lockout_s
                self._staff_failures = 0
            self._notice(NoticeCode.STAFF_PIN_WRONG)
            self._changed()
            return False
        self._staff_failures = 0
        # A resident's half-finished session never stays behind staff mode.
        self.wipe(reason="staff", keep_preferences=True)
        self._go(Step.STAFF_MENU)
        self.refresh_status()
        self._changed()
        return True

    def staff_call_next(self) -> int | None:
        if self.step is not Step.STAFF_MENU or self.ports.queue is None:
            return None
        self._last_activity = self._clock()
        self.called_ticket = self.ports.queue.call_next()
        self._changed()
        return self.called_ticket

    def staff_reprint(self) -> bool:
        """Reprint every held document (through the worker: each waits for its job); the
        outcome arrives as notice `reprinted{count}` or `printer_failed{reasons}`."""
        if self.step is not Step.STAFF_MENU or self.ports.printer is None:
            return False
        self._last_activity = self._clock()
        printer = self.ports.printer

        def done(count: Any, error: BaseException | None) -> None:
            if isinstance(error, PortPrintError):
                self._notice(NoticeCode.PRINTER_FAILED, reasons=list(error.reasons))
            elif error is not None:
                raise error
            else:
                self._notice(NoticeCode.REPRINTED, count=count)
            self.refresh_status()

        self._run(printer.reprint_pending, done)
        return True

    def staff_set_out_of_service(self, on: bool) -> None:
        if self.step is Step.STAFF_MENU:
            self.out_of_service = bool(on)
            self._changed()

    def staff_set_shelter_mode(self, on: bool) -> None:
        if self.step is Step.STAFF_MENU:
            self.shelter_mode = bool(on)
            self._changed()

    @property
    def queue_waiting(self) -> int:
        return self.ports.queue.waiting() if self.ports.queue is not None else 0
