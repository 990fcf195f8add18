"""The free-space check before the card step (issue 23): a resident is told that this terminal
cannot take a submission now before they place their card and type their PIN, not after.

Invariants:
- The check reads only the diagnostics port's outbox probe (counts and free bytes, never
  content); when it cannot find out (no diagnostics port, a probe error) the journey goes on
  and the outbox's own refusal at submission stays the last line (`OUTBOX_FULL`).
- "Full" is `OutboxInfo.disk_low` (free space under twice the outbox's reserve): the outbox would
  soon refuse, and a resident's visit takes minutes while logs and the print spool keep growing.
- Stopping moves to the service-error screen (call staff, back to the start) with the
  `DISK_FULL` notice; nothing is submitted, printed or logged with personal data.
Plain functions over the session's ports; no Kivy, no devices.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.session.ports import PortError
from kiosk.session.steps import NoticeCode, Step

__all__ = ["disk_too_full", "stop_if_disk_full"]

log = logging.getLogger("kiosk.session")


def disk_too_full(diagnostics: Any) -> bool:
    """True when the outbox's file system is (nearly) full; False when it is not or unknown."""
    if diagnostics is None:
        return False
    try:
        return bool(diagnostics.outbox().disk_low)
    except PortError as e:  # unknown: the submission's own check still refuses safely
        log.info("free space unknown before the card step: %s", type(e).__name__)
        return False


def stop_if_disk_full(session: Any) -> bool:
    """Before the card step: stop the journey when the disk is (nearly) full. True if stopped."""
    if not disk_too_full(session.ports.diagnostics):
        return False
    log.warning("card step refused: the outbox's disk is nearly full")
    session._go(Step.SERVICE_ERROR)
    session._notice(NoticeCode.DISK_FULL)
    session._changed()
    return True
