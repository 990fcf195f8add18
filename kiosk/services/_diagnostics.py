"""`DiagnosticsPort` over the real parts: names, states, counts and times, never content."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.session.ports import (
    AgentInfo,
    ClockInfo,
    OutboxInfo,
    PortProbeError,
    PrinterRoleInfo,
    ReaderInfo,
    SiteInfo,
)

log = logging.getLogger("kiosk.services")


class DiagnosticsAdapter:
    """`DiagnosticsPort` over the real parts: pcscd's reader list, each CUPS queue's state, the
    outbox's counts and file system, the agent's status file and the system clock. A library
    error becomes `PortProbeError(what, <its class name>)`; nothing here reads record content."""

    def __init__(
        self,
        *,
        card_reader: Any = None,  # devices.card.CardReader (its reader_name, if any)
        printer: Any = None,  # devices.printer.Printer
        outbox: Any = None,  # sync.outbox.Outbox
        agent_status_path: Path | None = None,
        center_name: str = "",
        city_name: str = "",
        fresh_s: float = 30.0,
        clock: Callable[[], tuple[float, bool]] | None = None,
    ) -> None:
        self._reader = card_reader
        self.printer = printer
        self._outbox = outbox
        self.agent_status_path = agent_status_path
        self.center_name = center_name
        self.city_name = city_name
        self.fresh_s = fresh_s
        self._clock = clock

    def site(self) -> SiteInfo:
        return SiteInfo(center=self.center_name, city=self.city_name)

    def card_reader(self) -> ReaderInfo:
        from devices.card import CardError, list_readers

        try:
            names = list_readers()
        except CardError as e:
            raise PortProbeError("card_reader", type(e).__name__) from e
        wanted = getattr(self._reader, "reader_name", None)
        if wanted:
            return ReaderInfo(present=wanted in names, name=wanted)
        return ReaderInfo(present=bool(names), name=names[0] if names else "")

    def printers(self) -> tuple[PrinterRoleInfo, ...]:
        from devices.printer import CupsUnavailableError, PrinterError

        if self.printer is None:
            raise PortProbeError("printers", "not_configured")
        roles = sorted(self.printer.config.queues, key=lambda r: (r != "receipt", r))
        out = []
        for role in roles:
            try:
                st = self.printer.status(role)
            except CupsUnavailableError as e:  # cupsd itself: no role can be known
                raise PortProbeError("printers", type(e).__name__) from e
            except PrinterError as e:  # this queue only (missing, refused the query)
                queue = self.printer.config.queues.get(role, "")
                reasons = tuple(e.reasons) or (type(e).__name__,)
                out.append(PrinterRoleInfo(role, queue, "unknown", False, reasons))
                continue
            out.append(PrinterRoleInfo(role, st.queue, st.state, st.accepting, st.blocking))
        return tuple(out)

    def outbox(self) -> OutboxInfo:
        from sync.errors import SyncError

        if self._outbox is None:
            raise PortProbeError("outbox", "not_configured")
        try:
            st = self._outbox.stats()
        except SyncError as e:
            raise PortProbeError("outbox", type(e).__name__) from e
        config = getattr(self._outbox, "config", None)
        free = None
        if config is not None:
            try:
                free = shutil.disk_usage(Path(config.path).parent).free
            except OSError as e:
                log.info("free space unknown: %s", type(e).__name__)
        return OutboxInfo(
            pending=st.pending,
            last_seq=st.last_seq,
            last_acked_seq=st.last_acked_seq,
            free_bytes=free,
            reserve_bytes=getattr(config, "reserve_bytes", None),
        )

    def agent(self) -> AgentInfo | None:
        from sync.agent import read_status
        from sync.errors import SyncError

        if self.agent_status_path is None:
            return None
        try:
            st = read_status(self.agent_status_path)
        except SyncError as e:
            raise PortProbeError("agent", type(e).__name__) from e
        if st is None:
            return None
        now = self.clock().now
        return AgentInfo(
            state=str(st.state),
            online=bool(st.connected and now - st.updated_at <= self.fresh_s),
            last_success_at=st.last_success_at,
            last_error=str(st.last_error)[:64],
            reconnects=int(st.reconnects),
            catalog_version=int(st.catalog_version),
            updated_at=float(st.updated_at),
        )

    def clock(self) -> ClockInfo:
        clock = self._clock
        if clock is None:
            from sync.outbox import system_clock

            clock = system_clock
        try:
            now, synced = clock()
        except OSError as e:
            raise PortProbeError("clock", type(e).__name__) from e
        return ClockInfo(now=now, synchronized=bool(synced))
