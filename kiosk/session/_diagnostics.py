"""Diagnostics of the device: one snapshot of what every port knows (reader, printers, outbox,
sync, agent, clock) as names, states, counts and times, never content or personal data.

`collect_diagnostics` is what the staff diagnostics screen shows (`_staff`) and what the
terminal's `device_health` records report to city hall (`_health`). It blocks (pcscd, CUPS and
the disk are asked): run it on the session's worker. It never raises: a probe that fails is a
`ProbeFailed` with the error's class name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.session.ports import ClockInfo, PortError, PortPrintError, SessionPorts
from kiosk.session.steps import Diagnostics, ProbeFailed
from madoguchi.core import __version__

__all__ = ["collect_diagnostics"]

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
