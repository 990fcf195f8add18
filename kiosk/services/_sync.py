"""The sync-side ports: outbox appends, online requests through the agent, the agent's status
file, and the local queue counters (ticket labels and counts only)."""

from __future__ import annotations

import datetime as _dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.center import label_for
from kiosk.session.ports import (
    Appended,
    PortOfflineError,
    PortOutboxFullError,
    PortRefusedError,
    SyncStatus,
)

log = logging.getLogger("kiosk.services")


class OutboxAdapter:
    def __init__(self, outbox: Any) -> None:
        self.outbox = outbox

    def append(self, kind: str, body: dict[str, Any]) -> Appended:
        from sync.errors import OutboxFullError, SyncError

        try:
            result = self.outbox.append(kind, body)
        except OutboxFullError as e:
            raise PortOutboxFullError(str(e)) from e
        except SyncError as e:  # damaged file, a record too large to seal, ...: never a crash
            raise PortOutboxFullError(type(e).__name__) from e
        return Appended(seq=result.seq, record_id=result.record_id)


class OnlineAdapter:
    """`OnlinePort` over anything with `request(kind, payload, timeout) -> dict` (the agent's
    `RequestClient`, or `Agent` itself in one process)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def request(self, method: str, params: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        from sync.errors import RequestRefusedError, RequestTimeoutError, SyncTransportError

        try:
            reply = self.client.request(method, params, timeout_s)
        except RequestRefusedError as e:
            raise PortRefusedError(str(getattr(e, "code", "") or "refused")) from e
        except (RequestTimeoutError, SyncTransportError) as e:
            raise PortOfflineError(type(e).__name__) from e
        if not isinstance(reply, dict):
            raise PortRefusedError("bad_reply")
        if reply.get("ok") is False:
            raise PortRefusedError(str(reply.get("reason", "refused")))
        return reply


class StatusAdapter:
    """Online = the agent reported "connected" recently; depth from its backlog (or the outbox)."""

    def __init__(
        self,
        status_path: Path | None,
        outbox: Any = None,
        *,
        fresh_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.status_path = status_path
        self.outbox = outbox
        self.fresh_s = fresh_s
        self._clock = clock

    def sync_status(self) -> SyncStatus:
        from sync.agent import read_status
        from sync.errors import SyncError

        status = None
        if self.status_path is not None:
            try:
                status = read_status(self.status_path)
            except SyncError as e:
                log.info("agent status unreadable: %s", type(e).__name__)
        depth = 0
        if self.outbox is not None:
            try:
                depth = self.outbox.stats().pending
            except SyncError as e:
                log.info("outbox stats unavailable: %s", type(e).__name__)
        if status is None:
            return SyncStatus(online=False, outbox_depth=depth)
        fresh = self._clock() - status.updated_at <= self.fresh_s
        return SyncStatus(
            online=bool(status.connected and fresh),
            outbox_depth=max(depth, status.backlog),
            last_sync=status.last_success_at,
        )


class LocalQueueAdapter:
    """The center's queue on LocalState day counters: `queue.issued` and `queue.called`.

    Tickets carry the same label the center's calling display uses (`A-001`, from
    `kiosk.center.label_for`), so a terminal without a center host issues, prints, shows and
    calls one number in one format."""

    def __init__(self, state: Any, today: Callable[[], str] | None = None) -> None:
        self.state = state
        self._today = today or (lambda: _dt.date.today().isoformat())

    def take_ticket(self) -> tuple[str, int]:
        day = self._today()
        number = self.state.next_counter("queue.issued", day)
        called = self.state.counter("queue.called", day)
        return label_for("procedure", number), max(0, number - called - 1)

    def call_next(self) -> str | None:
        day = self._today()
        if self.state.counter("queue.called", day) >= self.state.counter("queue.issued", day):
            return None
        return label_for("procedure", self.state.next_counter("queue.called", day))

    def waiting(self) -> int:
        day = self._today()
        return max(
            0, self.state.counter("queue.issued", day) - self.state.counter("queue.called", day)
        )
