"""The center's services and the checks every input to the queue passes (labels, services,
languages, counters): one place, so the host, the terminal and the tests agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kiosk.center.errors import QueueInputError

__all__ = ["EVENTS", "LABEL", "SERVICES", "Service"]


@dataclass(frozen=True)
class Service:
    id: str
    letter: str
    name_ja: str
    priority: int


# 予約あり is called before the others: a resident with a reservation does not queue again.
SERVICES = {
    s.id: s
    for s in (
        Service("procedure", "A", "手続き", 0),
        Service("certificate", "B", "証明書", 0),
        Service("consultation", "C", "相談", 0),
        Service("reserved", "R", "予約あり", 1),
    )
}
EVENTS = ("issued", "called", "recalled", "started", "ended", "no_show", "transferred")
LABEL = re.compile(r"^[ABCR][1-9]?-[0-9]{3,4}$")
_COUNTER = re.compile(r"^[0-9A-Za-z]{1,8}$")
_LANG = re.compile(r"^[a-z]{2}(-[A-Za-z]{2,4})?$")


def _check_service(service: Any) -> None:
    if not isinstance(service, str) or service not in SERVICES:
        raise QueueInputError("unknown_service", str(service)[:20])


def _check_language(language: Any) -> None:
    if not isinstance(language, str) or not _LANG.match(language):
        raise QueueInputError("bad_language")


def _check_counter(counter: Any) -> None:
    if not isinstance(counter, str) or not _COUNTER.match(counter):
        raise QueueInputError("bad_counter")
