"""Staff mode: behind the staff PIN (a PBKDF2 hash in config, never the PIN itself).

`StaffFlow` is `KioskSession.flows.staff`; it keeps no state of its own (the failure counts,
the lockout store, the diagnostics snapshot and the called ticket are the session's device state).
Staff credentials: this center's hash from the signed config bundle when it carries one
(`staff_pin_source`), else `SessionConfig.staff_pin_hash`.

Invariants: entering staff mode first wipes any resident session; repeated wrong PINs lock the
entry for `staff_lockout_s`, counted durably in `staff_lockout_file` when set (a restart does
not reset the count or the lockout); staff see counts and states only (queue numbers, printer reasons,
pending reprints, outbox depth, last sync, the diagnostics snapshot with why the last card was
refused, as a code), never record contents;
staff mode (diagnostics included) leaves by itself after `staff_idle_timeout_s` without a touch.
A diagnostics probe that fails shows as `ProbeFailed(cause)`, never as an error of the kiosk.
An assisted session (`staff_assist`) is an ordinary resident session with a longer idle timeout
whose metrics carry `assisted: true`; no staff identity is recorded, and the wipe ends it.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.session._base import _SessionCore
from kiosk.session._diagnostics import collect_diagnostics
from kiosk.session._staff_lockout import StaffLockout
from kiosk.session.config import verify_staff_pin
from kiosk.session.ports import PortPrintError
from kiosk.session.steps import BUSY_STEPS, Diagnostics, NoticeCode, Step

__all__ = ["StaffFlow"]

log = logging.getLogger("kiosk.session")


class StaffFlow:
    """Staff mode behind the staff PIN: queue, reprint, out of service, shelter mode, assisting
    a resident, diagnostics (counts and states only, never record contents). Holds no state of
    its own: the staff counters and the diagnostics snapshot are the session's device state."""

    __slots__ = ("_s",)

    def __init__(self, session: _SessionCore) -> None:
        self._s = session  # the KioskSession (typed as its core: no import of the session)

    # ---- staff mode ------------------------------------------------------------------------

    def pin_hash(self) -> str | None:
        s = self._s
        if s.staff_pin_source is not None:
            encoded = s.staff_pin_source()
            if encoded:
                return encoded
        return s.config.staff_pin_hash

    def open(self) -> bool:
        """The hidden staff gesture: ask for the staff PIN (the only way out of out-of-service)."""
        s = self._s
        if s.step in BUSY_STEPS or not self.pin_hash():
            return False
        s._last_activity = s._clock()
        s._resume_step = s.step if s.step is Step.OUT_OF_SERVICE else None
        s._go(Step.STAFF_PIN)
        s.notice = None
        s._changed()
        return True

    def lockout(self) -> StaffLockout:
        """The durable failure count, created on first use: the file is read once per session
        object (i.e. per start) and kept on the session."""
        s = self._s
        lockout = getattr(s, "_staff_lockout_store", None)
        if lockout is None:
            lockout = s._staff_lockout_store = StaffLockout(
                s.config.staff_lockout_file,
                max_failures=s.config.staff_pin_max_failures,
                lockout_s=s.config.staff_lockout_s,
                now=s._wall_clock(),
            )
        return lockout

    def submit_pin(self, pin: str) -> bool:
        s = self._s
        if s.step is not Step.STAFF_PIN:
            return False
        s._last_activity = now = s._clock()
        lockout, wall = self.lockout(), s._wall_clock()
        # Locked if either clock says so: the monotonic one cannot jump, the durable wall-clock
        # one survives restarts (see kiosk.session._staff_lockout).
        locked = now < s._staff_locked_until or lockout.locked(wall)
        if locked or not verify_staff_pin(pin, self.pin_hash()):
            lockout.failed(wall)
            s._staff_failures += 1
            if s._staff_failures >= s.config.staff_pin_max_failures:
                s._staff_locked_until = now + s.config.staff_lockout_s
                s._staff_failures = 0
            s._notice(NoticeCode.STAFF_PIN_WRONG)
            s._changed()
            return False
        s._staff_failures = 0
        lockout.succeeded()
        # A resident's half-finished session never stays behind staff mode.
        s.wipe(reason="staff", keep_preferences=True)
        s._go(Step.STAFF_MENU)
        s.refresh_status()
        s._changed()
        return True

    def call_next(self) -> int | None:
        s = self._s
        if s.step is not Step.STAFF_MENU or s.ports.queue is None:
            return None
        s._last_activity = s._clock()
        s.called_ticket = s.ports.queue.call_next()
        s._changed()
        return s.called_ticket

    def reprint(self) -> bool:
        """Reprint every held document (through the worker: each waits for its job); the
        outcome arrives as notice `reprinted{count}` or `printer_failed{reasons}`."""
        s = self._s
        if s.step is not Step.STAFF_MENU or s.ports.printer is None:
            return False
        s._last_activity = s._clock()
        printer = s.ports.printer

        def done(count: Any, error: BaseException | None) -> None:
            if isinstance(error, PortPrintError):
                s._notice(NoticeCode.PRINTER_FAILED, reasons=list(error.reasons))
            elif error is not None:
                raise error
            else:
                s._notice(NoticeCode.REPRINTED, count=count)
            s.refresh_status()

        s._run(printer.reprint_pending, done)
        return True

    # ---- diagnostics ---------------------------------------------------------------------------

    def diagnostics(self) -> bool:
        """Staff menu → the diagnostics screen; a first snapshot is taken at once."""
        s = self._s
        if s.step is not Step.STAFF_MENU:
            return False
        s._last_activity = s._clock()
        s.diagnostics = None
        s.notice = None
        s._go(Step.STAFF_DIAGNOSTICS)
        if not self.refresh_diagnostics():  # one already in flight: its outcome shows
            s._changed()
        return True

    def refresh_diagnostics(self) -> bool:
        """Probe again (through the worker: CUPS, pcscd or the disk may be slow); while a probe
        runs `diagnostics_refreshing` is True and another tap does nothing."""
        s = self._s
        if s.step is not Step.STAFF_DIAGNOSTICS or s._diagnostics_busy:
            return False
        s._last_activity = s._clock()
        s._diagnostics_busy = True
        ports, config, card_present = s.ports, s.config, s.card_present
        catalog_version, wall_clock = s.catalog.version, s._wall_clock
        refusal = getattr(s, "last_card_refusal", None)

        def job() -> Diagnostics:
            return collect_diagnostics(
                ports,
                device_id=config.device_id,
                catalog_version=catalog_version,
                card_present=card_present,
                wall_clock=wall_clock,
                last_card_refusal=refusal,
            )

        def done(result: Any, error: BaseException | None) -> None:
            s._diagnostics_busy = False
            if error is not None:
                raise error
            s.diagnostics = result

        s._changed()
        s._run(job, done)
        return True

    @property
    def refreshing(self) -> bool:
        return self._s._diagnostics_busy

    # ---- assisting a resident --------------------------------------------------------------

    def assist(self) -> bool:
        """Staff start a session for a resident they help: home, with the banner on, and the
        resident idle timeout `assist_idle_timeout_s`. Not while out of service."""
        s = self._s
        if s.step is not Step.STAFF_MENU or s.out_of_service:
            return False
        s.staff_exit()  # the resident starts with the default language, sizes
        s.assisted = True
        s._last_activity = s._clock()
        s._changed()
        return True

    def set_out_of_service(self, on: bool) -> None:
        s = self._s
        if s.step is Step.STAFF_MENU:
            s.out_of_service = bool(on)
            s._changed()

    def set_shelter_mode(self, on: bool) -> None:
        s = self._s
        if s.step is Step.STAFF_MENU:
            s.shelter_mode = bool(on)
            s._changed()

    @property
    def waiting(self) -> int:
        s = self._s
        return s.ports.queue.waiting() if s.ports.queue is not None else 0

    def exit(self) -> None:
        """Leave staff mode (the session wipes: the next resident starts afresh)."""
        self._s.staff_exit()
