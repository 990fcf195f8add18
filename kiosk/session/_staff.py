"""Staff mode: behind the staff PIN (a PBKDF2 hash in config, never the PIN itself).

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
from collections.abc import Callable
from typing import Any

from kiosk.session._base import _SessionCore
from kiosk.session._staff_lockout import StaffLockout
from kiosk.session.config import verify_staff_pin
from kiosk.session.ports import (
    ClockInfo,
    PortError,
    PortPrintError,
    SessionPorts,
)
from kiosk.session.steps import BUSY_STEPS, Diagnostics, NoticeCode, ProbeFailed, Step
from madoguchi.core import __version__

log = logging.getLogger("kiosk.session")


def _probe(what: str, fn: Callable[[], Any]) -> Any:
    """One diagnostics probe: its value, or `ProbeFailed` with the error's class name."""
    try:
        return fn()
    except PortError as e:
        cause = getattr(e, "cause", "") or type(e).__name__
        log.info("diagnostics: %s unknown (%s)", what, cause)
        return ProbeFailed(cause)
    except Exception as e:  # noqa: BLE001 - a broken probe must not take staff mode down
        log.warning("diagnostics: %s probe raised %s", what, type(e).__name__)
        return ProbeFailed(type(e).__name__)


def collect_diagnostics(
    ports: SessionPorts,
    *,
    device_id: str,
    catalog_version: int,
    card_present: bool,
    wall_clock: Callable[[], float],
    last_card_refusal: str | None = None,
) -> Diagnostics:
    """Ask every port what it knows (blocking: run it on the worker). Never raises."""
    diag, status, printer = ports.diagnostics, ports.status, ports.printer
    unknown = ProbeFailed()

    def pending_reprints() -> int:
        if printer is None:
            raise PortPrintError(("no_printer",))
        return printer.state().pending_reprints

    def sync() -> Any:
        return status.sync_status() if status is not None else unknown

    def clock() -> Any:
        if diag is None:
            return ClockInfo(now=wall_clock(), synchronized=None)
        return diag.clock()

    return Diagnostics(
        taken_at=wall_clock(),
        device_id=device_id,
        software_version=__version__,
        catalog_version=catalog_version,
        site=_probe("site", diag.site) if diag else unknown,
        reader=_probe("card reader", diag.card_reader) if diag else unknown,
        card_present=card_present,
        printers=_probe("printers", diag.printers) if diag else unknown,
        pending_reprints=_probe("pending reprints", pending_reprints),
        outbox=_probe("outbox", diag.outbox) if diag else unknown,
        sync=_probe("sync status", sync),
        agent=_probe("sync agent", diag.agent) if diag else unknown,
        clock=_probe("clock", clock),
        last_card_refusal=last_card_refusal,
    )


class _StaffFlow(_SessionCore):
    # ---- staff mode ------------------------------------------------------------------------

    # The entry point may set `staff_pin_source`: a callable giving this center's staff PIN hash
    # from the signed config bundle (None when the bundle carries none: the config's hash holds).
    staff_pin_source: Callable[[], str | None] | None = None

    def _staff_pin_hash(self) -> str | None:
        if self.staff_pin_source is not None:
            encoded = self.staff_pin_source()
            if encoded:
                return encoded
        return self.config.staff_pin_hash

    def open_staff(self) -> bool:
        """The hidden staff gesture: ask for the staff PIN (the only way out of out-of-service)."""
        if self.step in BUSY_STEPS or not self._staff_pin_hash():
            return False
        self._last_activity = self._clock()
        self._resume_step = self.step if self.step is Step.OUT_OF_SERVICE else None
        self._go(Step.STAFF_PIN)
        self.notice = None
        self._changed()
        return True

    def _staff_lockout(self) -> StaffLockout:
        # Created on first use, so the file is read once per session object (i.e. per start).
        lockout = getattr(self, "_staff_lockout_store", None)
        if lockout is None:
            lockout = self._staff_lockout_store = StaffLockout(
                self.config.staff_lockout_file,
                max_failures=self.config.staff_pin_max_failures,
                lockout_s=self.config.staff_lockout_s,
                now=self._wall_clock(),
            )
        return lockout

    def submit_staff_pin(self, pin: str) -> bool:
        if self.step is not Step.STAFF_PIN:
            return False
        self._last_activity = now = self._clock()
        lockout, wall = self._staff_lockout(), self._wall_clock()
        # Locked if either clock says so: the monotonic one cannot jump, the durable wall-clock
        # one survives restarts (see kiosk.session._staff_lockout).
        locked = now < self._staff_locked_until or lockout.locked(wall)
        if locked or not verify_staff_pin(pin, self._staff_pin_hash()):
            lockout.failed(wall)
            self._staff_failures += 1
            if self._staff_failures >= self.config.staff_pin_max_failures:
                self._staff_locked_until = now + self.config.staff_lockout_s
                self._staff_failures = 0
            self._notice(NoticeCode.STAFF_PIN_WRONG)
            self._changed()
            return False
        self._staff_failures = 0
        lockout.succeeded()
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

    # ---- diagnostics ---------------------------------------------------------------------------

    def staff_diagnostics(self) -> bool:
        """Staff menu → the diagnostics screen; a first snapshot is taken at once."""
        if self.step is not Step.STAFF_MENU:
            return False
        self._last_activity = self._clock()
        self.diagnostics = None
        self.notice = None
        self._go(Step.STAFF_DIAGNOSTICS)
        if not self.staff_refresh_diagnostics():  # one already in flight: its outcome shows
            self._changed()
        return True

    def staff_refresh_diagnostics(self) -> bool:
        """Probe again (through the worker: CUPS, pcscd or the disk may be slow); while a probe
        runs `diagnostics_refreshing` is True and another tap does nothing."""
        if self.step is not Step.STAFF_DIAGNOSTICS or self._diagnostics_busy:
            return False
        self._last_activity = self._clock()
        self._diagnostics_busy = True
        ports, config, card_present = self.ports, self.config, self.card_present
        catalog_version, wall_clock = self.catalog.version, self._wall_clock
        refusal = getattr(self, "last_card_refusal", None)

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
            self._diagnostics_busy = False
            if error is not None:
                raise error
            self.diagnostics = result

        self._changed()
        self._run(job, done)
        return True

    @property
    def diagnostics_refreshing(self) -> bool:
        return self._diagnostics_busy

    # ---- assisting a resident --------------------------------------------------------------

    def staff_assist(self) -> bool:
        """Staff start a session for a resident they help: home, with the banner on, and the
        resident idle timeout `assist_idle_timeout_s`. Not while out of service."""
        if self.step is not Step.STAFF_MENU or self.out_of_service:
            return False
        self.staff_exit()  # the resident starts with the default language, sizes
        self.assisted = True
        self._last_activity = self._clock()
        self._changed()
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
