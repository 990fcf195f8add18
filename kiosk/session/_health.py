"""The terminal's health, reported to city hall as `device_health` records.

A terminal nobody looks at must still tell IT when its paper runs out or its card reader is
gone: every `SessionConfig.health_interval_s` (and soon after the printer's state changes) the
session takes one diagnostics snapshot (`_diagnostics.collect_diagnostics`, on the worker) and
appends it to the outbox as status words the dashboard's terminal table shows
(`sync.central.store_reads.HEALTH_FIELDS`): `printer`, `paper`, `card_reader`,
`outbox_pending`, `software_version`, `catalog_version`.

Guarantees: the body holds states, counts and version strings only, never a reader or queue
name, a reason text from a library, or anything of a resident; at most one report is in flight;
no report starts while a resident's step is busy (card read, submission, printing), so it never
delays them; a report the outbox refuses is logged by its error class and tried again at the
next interval, never shown to a resident.
"""

from __future__ import annotations

import math

from kiosk.session.ports import PrinterRoleInfo, ReaderInfo
from kiosk.session.steps import Diagnostics

__all__ = ["HealthSchedule", "health_body"]

# CUPS printer-state-reasons (without their -error/-warning/-report suffix) that are about paper:
# shown as the `paper` word, not as a printer fault.
_PAPER_EMPTY = ("media-empty", "media-needed")
_PAPER_LOW = ("media-low",)
_JAM = ("media-jam",)
_OFFLINE = ("offline", "connecting-to-device", "shutdown")


def _base(reason: str) -> str:
    for suffix in ("-error", "-warning", "-report"):
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


def _paper(printers: tuple[PrinterRoleInfo, ...]) -> str:
    reasons = {_base(r) for p in printers for r in p.reasons}
    if reasons & set(_PAPER_EMPTY):
        return "empty"
    if reasons & set(_PAPER_LOW):
        return "low"
    return "ok"


def _printer(printers: tuple[PrinterRoleInfo, ...]) -> str:
    """The worst state of the terminal's printers (receipt and A4), paper aside."""
    worst = "ok"
    rank = {"ok": 0, "jam": 1, "error": 2, "offline": 3, "missing": 4}
    for p in printers:
        reasons = {_base(r) for r in p.reasons} - set(_PAPER_EMPTY) - set(_PAPER_LOW)
        if p.state == "unknown" and not p.accepting:
            word = "missing"  # the queue is not there (or refused the query)
        elif reasons & set(_OFFLINE):
            word = "offline"
        elif reasons & set(_JAM):
            word = "jam"
        elif reasons:
            word = "error"
        elif (p.state == "stopped" or not p.accepting) and not p.reasons:
            word = "error"  # stopped with no reason given: someone must look
        else:
            word = "ok"  # stopped for paper only: that is the paper word's business
        if rank[word] > rank[worst]:
            worst = word
    return worst


def health_body(d: Diagnostics) -> dict[str, str | int]:
    """The `device_health` record body of one snapshot: status words, counts, versions."""
    body: dict[str, str | int] = {
        "software_version": d.software_version[:40],
        "catalog_version": str(d.catalog_version),
    }
    if isinstance(d.printers, tuple):
        body["printer"] = _printer(d.printers) if d.printers else "missing"
        body["paper"] = _paper(d.printers) if d.printers else "ok"
    else:  # CUPS itself could not be asked
        body["printer"] = "error"
    if isinstance(d.reader, ReaderInfo):
        body["card_reader"] = "ok" if d.reader.present else "missing"
    else:
        body["card_reader"] = "error"
    pending = getattr(d.outbox, "pending", None)
    if isinstance(pending, int):
        body["outbox_pending"] = pending
    return body


class HealthSchedule:
    """When the next report is due: `first_after_s` after start, then every `interval_s`;
    a printer state change brings it forward, but never closer than `min_gap_s` to the last
    one (a flapping printer must not fill the outbox). `interval_s` 0: never."""

    def __init__(self, interval_s: float, *, first_after_s: float = 30.0, min_gap_s: float = 60.0):
        self.interval_s = interval_s
        self.first_after_s = first_after_s
        self.min_gap_s = min_gap_s
        self._next_at: float | None = None  # set at the first tick (the session's clock)
        self._last_at = -math.inf
        self.in_flight = False

    def due(self, now: float) -> bool:
        if self.interval_s <= 0 or self.in_flight:
            return False
        if self._next_at is None:
            self._next_at = now + self.first_after_s
        return now >= self._next_at

    def started(self, now: float) -> None:
        self.in_flight = True
        self._last_at = now
        self._next_at = now + self.interval_s

    def finished(self) -> None:
        self.in_flight = False

    def state_changed(self, now: float) -> None:
        if self.interval_s <= 0 or self._next_at is None:
            return
        self._next_at = min(self._next_at, max(now, self._last_at + self.min_gap_s))
