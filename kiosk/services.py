"""The real devices and sync parts behind the session's ports (no Kivy).

`KioskServices` holds the objects an entry point built (card reader, printer + renderer,
outbox, local state, online-request client, agent status file) and `ports()` adapts them to
`kiosk.session.ports`. Each adapter translates the library's exceptions into the `Port*Error`s
right where it calls it, so the session never sees `devices`/`sync` types.

Invariants:
- Card data crosses here once: `read_basic4()` copies the four attributes into a `CardData`
  (which the session wipes) and wipes the reader's `Basic4` at once.
- Printed documents carry a reference number, titles and dates, never the resident's card data
  (certificates print holder data only when central's reply carries it).
- The queue uses LocalState day counters only (issued, called): numbers, no personal data.
- Nothing here logs values; adapters log error class names and codes only.
"""

from __future__ import annotations

import datetime as _dt
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig, bundles_dir
from kiosk.session.ports import (
    AgentInfo,
    Appended,
    CardData,
    ClockInfo,
    OutboxInfo,
    PortCardDataError,
    PortCardRemovedError,
    PortCertificateExpiredError,
    PortError,
    PortNoCardError,
    PortNotMyNumberCardError,
    PortOfflineError,
    PortOutboxFullError,
    PortPinBlockedError,
    PortPrintError,
    PortProbeError,
    PortRefusedError,
    PortWrongPinError,
    PrinterRoleInfo,
    PrinterState,
    PrintJob,
    ReaderInfo,
    SessionPorts,
    SiteInfo,
    SyncStatus,
)

__all__ = [
    "CardReaderAdapter",
    "DiagnosticsAdapter",
    "KioskServices",
    "LocalQueueAdapter",
    "OnlineAdapter",
    "OutboxAdapter",
    "PrinterAdapter",
    "StatusAdapter",
    "open_services",
    "translate_card_error",
]

log = logging.getLogger("kiosk.services")

# Catalog ids → the printer's document vocabulary (devices.printer.documents).
_CERT_KINDS = {
    "resident_record": "residence",
    "resident_record_items": "residence",
    "seal_certificate": "seal",
    "tax_certificate": "tax",
}
_TOPICS = {"child_care": "child-care"}
_WHERE = {"kiosk": "here", "online": "online", "office": "office"}


# ---- card ------------------------------------------------------------------------------------


def translate_card_error(e: Exception) -> PortError:
    from devices.card import errors as ce

    if isinstance(e, ce.WrongPinError):
        return PortWrongPinError(e.tries_left)
    if isinstance(e, ce.PinBlockedError):
        return PortPinBlockedError(str(e))
    if isinstance(e, ce.CardRemovedError):
        return PortCardRemovedError(str(e))
    if isinstance(e, (ce.NoCardError, ce.NoReaderError)):
        return PortNoCardError(str(e))
    if isinstance(e, ce.NotMyNumberCardError):
        return PortNotMyNumberCardError(str(e))
    if isinstance(e, ce.CertificateExpiredError):
        return PortCertificateExpiredError(str(e))
    return PortCardDataError(type(e).__name__)


class _CardHandle:
    def __init__(self, card: Any) -> None:
        self._card = card

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        from devices.card.errors import CardError

        try:
            return fn(*args)
        except CardError as e:
            raise translate_card_error(e) from e

    def kenhojo_tries_left(self) -> int:
        return self._call(self._card.kenhojo_tries_left)

    def verify_kenhojo_pin(self, pin: str) -> None:
        self._call(self._card.verify_kenhojo_pin, pin)

    def read_basic4(self) -> CardData:
        basic4 = self._call(self._card.read_basic4)
        try:
            return CardData(
                name=basic4.name,
                address=basic4.address,
                birth_date=basic4.birth_date.isoformat(),
                sex=str(int(basic4.sex)),
            )
        finally:
            basic4.wipe()

    def jpki_auth_tries_left(self) -> int:
        return self._call(self._card.jpki_auth_tries_left)

    def verify_jpki_auth_pin(self, pin: str) -> None:
        self._call(self._card.verify_jpki_auth_pin, pin)

    def read_auth_certificate(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        cert = self._call(self._card.read_auth_certificate)
        return cert.public_bytes(Encoding.DER)

    def sign_sha256_digest(self, digest: bytes) -> bytes:
        return self._call(self._card.sign_sha256_digest, digest)

    def close(self) -> None:
        from devices.card.errors import CardError

        try:
            self._card.close()
        except CardError as e:
            log.info("card close: %s", type(e).__name__)


class CardReaderAdapter:
    """`CardPort` over `devices.card.CardReader` (a named reader, or the first with a card)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def connect(self) -> _CardHandle:
        from devices.card.errors import CardError

        try:
            return _CardHandle(self.reader.connect())
        except CardError as e:
            raise translate_card_error(e) from e


# ---- printer ---------------------------------------------------------------------------------


class PrinterAdapter:
    """`PrinterPort` over `devices.printer.Printer` + `DocumentRenderer`.

    Failed jobs stay in the printer's `pending` holder (staff reprint); printed ones are kept in
    `session_prints` until `wipe_session()`."""

    def __init__(
        self,
        printer: Any,
        renderer: Any,
        *,
        city_name: str,
        center_name: str,
        session_prints: Any = None,
        wait_timeout_s: float | None = 30.0,
        now: Callable[[], _dt.datetime] = _dt.datetime.now,
    ) -> None:
        from devices.printer import SessionPrints

        self.printer = printer
        self.renderer = renderer
        self.city_name = city_name
        self.center_name = center_name
        self.session_prints = session_prints if session_prints is not None else SessionPrints()
        self.wait_timeout_s = wait_timeout_s
        self._now = now

    def render(self, job: PrintJob) -> tuple[str, bytes, str]:
        """(role, pdf, title) for a session print job."""
        from devices.printer import documents as d

        base = {
            "language": job.language,
            "city_name": self.city_name,
            "center_name": self.center_name,
            "issued_at": self._now(),
        }
        data = job.data
        r = self.renderer
        if job.kind == "receipt":
            info = d.ReceiptInfo(**base, reference=data["reference"], procedures=(data["title"],))
            return "receipt", r.receipt(info), "receipt"
        if job.kind == "checklist":
            items = tuple(
                d.ChecklistItem(name=i["name"], where=_WHERE[i["where"]], office=i["office"] or "")
                for i in data["items"]
            )
            info = d.ChecklistInfo(**base, life_event=data["title"], items=items)
            return "receipt", r.checklist(info), "checklist"
        if job.kind == "queue_ticket":
            info = d.TicketInfo(
                **base, ticket_number=str(data["number"]), waiting=data["waiting_before"]
            )
            return "receipt", r.queue_ticket(info), "ticket"
        if job.kind == "consultation_slip":
            if data.get("start"):
                info = d.SlipInfo(
                    **base,
                    reference=data["reference"],
                    topic=_TOPICS.get(data["topic"], data["topic"]),
                    starts_at=_dt.datetime.fromisoformat(data["start"]),
                    duration_min=int(data["minutes"]),
                    place=self.center_name,
                )
                return "receipt", r.consultation_slip(info), "consultation"
            info = d.ReceiptInfo(**base, reference=data["reference"], procedures=(data["title"],))
            return "receipt", r.receipt(info), "callback"
        if job.kind in ("claim_slip", "certificate"):
            kind = _CERT_KINDS.get(data.get("certificate", ""))
            doc = data.get("document") or {}
            holder = doc.get("holder") if isinstance(doc, dict) else None
            reference = str(data.get("reference") or doc.get("reference") or "")
            if job.kind == "certificate" and kind and isinstance(holder, dict):
                info = d.CertificateInfo(
                    **base,
                    certificate_kind=kind,
                    reference=reference,
                    holder_name=holder["name"],
                    holder_address=holder["address"],
                    holder_birth_date=_dt.date.fromisoformat(holder["birth_date"]),
                    issuer=str(doc.get("issuer") or self.city_name),
                    verification_code=str(doc.get("verification_code", "")),
                )
                return "document", r.certificate(info), "certificate"
            # Without holder data from central (or for a type the renderer lacks), the resident
            # gets a slip with the reference to collect the document at the counter; it says
            # whether the request is still queued (offline) or was issued (online).
            if kind:
                info = d.ClaimSlipInfo(
                    **base,
                    certificate_kind=kind,
                    reference=reference,
                    queued=job.kind == "claim_slip",
                )
                return "receipt", r.claim_slip(info), "claim slip"
            info = d.ReceiptInfo(**base, reference=reference, procedures=(data["title"],))
            return "receipt", r.receipt(info), "claim slip"
        raise PortPrintError(("unknown-document",))

    def print_job(self, job: PrintJob) -> None:
        from devices.printer import DocumentDataError, PrinterError

        try:
            role, pdf, title = self.render(job)
        except (DocumentDataError, KeyError, ValueError) as e:
            raise PortPrintError(("document-data",)) from e
        try:
            self.printer.print_and_wait(role, pdf, title, timeout=self.wait_timeout_s)
        except PrinterError as e:
            raise PortPrintError(tuple(e.reasons) or ("printer-error",)) from e
        self.session_prints.remember(role, pdf, title)

    def state(self) -> PrinterState:
        from devices.printer import PrinterError

        try:
            status = self.printer.status("receipt")
        except PrinterError as e:
            return PrinterState(
                ok=False, reasons=tuple(e.reasons), pending_reprints=len(self.printer.pending)
            )
        return PrinterState(
            ok=status.ok, reasons=status.blocking, pending_reprints=len(self.printer.pending)
        )

    def reprint_pending(self) -> int:
        from devices.printer import PrinterError

        done = 0
        for doc in self.printer.pending.list():
            try:
                self.printer.pending.reprint(doc.id, self.printer, timeout=self.wait_timeout_s)
            except PrinterError as e:
                raise PortPrintError(tuple(e.reasons) or ("printer-error",)) from e
            done += 1
        return done

    def wipe_session(self) -> None:
        self.session_prints.wipe()


# ---- outbox, online, status, queue -----------------------------------------------------------


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
        from sync.protocol_errors import (
            RequestRefusedError,
            RequestTimeoutError,
            SyncTransportError,
        )

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
    """The center's queue on LocalState day counters: `queue.issued` and `queue.called`."""

    def __init__(self, state: Any, today: Callable[[], str] | None = None) -> None:
        self.state = state
        self._today = today or (lambda: _dt.date.today().isoformat())

    def take_ticket(self) -> tuple[int, int]:
        day = self._today()
        number = self.state.next_counter("queue.issued", day)
        called = self.state.counter("queue.called", day)
        return number, max(0, number - called - 1)

    def call_next(self) -> int | None:
        day = self._today()
        if self.state.counter("queue.called", day) >= self.state.counter("queue.issued", day):
            return None
        return self.state.next_counter("queue.called", day)

    def waiting(self) -> int:
        day = self._today()
        return max(
            0, self.state.counter("queue.issued", day) - self.state.counter("queue.called", day)
        )


# ---- diagnostics -----------------------------------------------------------------------------


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


# ---- the bundle ------------------------------------------------------------------------------


@dataclass
class KioskServices:
    """The real parts one kiosk runs with. Built by the entry point (which reads the config)."""

    card_reader: Any  # devices.card.CardReader
    outbox: Any  # sync.outbox.Outbox (open)
    printer: Any = None  # devices.printer.Printer
    # devices.printer.documents.RemoteRenderer (default: started here, closed by `close()`) or
    # any renderer with the same methods, e.g. an in-process DocumentRenderer in tests.
    renderer: Any = None
    local_state: Any = None  # sync.localstate.LocalState
    online_client: Any = None  # sync.agent.RequestClient or Agent
    agent_status_path: Path | None = None
    city_name: str = "Madoguchi City"
    center_name: str = "Community Center"
    staff_alert: Any = None  # kiosk.staff_alert.StaffAlert (default) or another AlertPort
    _printer_adapter: PrinterAdapter | None = field(default=None, init=False, repr=False)
    _watcher: Any = field(default=None, init=False, repr=False)
    _owns_renderer: bool = field(default=False, init=False, repr=False)

    def ports(self) -> SessionPorts:
        if self.printer is not None and self._printer_adapter is None:
            renderer = self.renderer
            if renderer is None:
                # Documents render in a worker process: the UI process never loads the PDF
                # stack and the CJK font (over 100 MB), and the worker warms up meanwhile.
                from devices.printer.documents import RemoteRenderer

                renderer = self.renderer = RemoteRenderer().start()
                self._owns_renderer = True
            self._printer_adapter = PrinterAdapter(
                self.printer, renderer, city_name=self.city_name, center_name=self.center_name
            )
        return SessionPorts(
            card=CardReaderAdapter(self.card_reader),
            outbox=OutboxAdapter(self.outbox),
            printer=self._printer_adapter,
            online=OnlineAdapter(self.online_client) if self.online_client is not None else None,
            status=StatusAdapter(self.agent_status_path, self.outbox),
            queue=LocalQueueAdapter(self.local_state) if self.local_state is not None else None,
            diagnostics=DiagnosticsAdapter(
                card_reader=self.card_reader,
                printer=self.printer,
                outbox=self.outbox,
                agent_status_path=self.agent_status_path,
                center_name=self.center_name,
                city_name=self.city_name,
            ),
            alert=self._alert(),
        )

    def _alert(self) -> Any:
        if self.staff_alert is None:
            from kiosk.staff_alert import StaffAlert

            self.staff_alert = StaffAlert()
        return self.staff_alert

    def watch_cards(self, session: Any, scheduler: Callable[[Callable[[], None]], Any]) -> Any:
        """Start a `CardWatcher` whose events reach `session` through `scheduler` (UI thread)."""
        from devices.card import CardWatcher, ScheduledObserver

        reader_name = getattr(self.card_reader, "reader_name", None)
        self._watcher = CardWatcher(ScheduledObserver(session, scheduler), reader_name).start()
        return self._watcher

    def close(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        if self._owns_renderer:
            self._owns_renderer = False
            self.renderer.close()


def open_services(config: KioskConfig) -> tuple[KioskServices, Any]:
    """The real parts from the device bundle and the kiosk config: (KioskServices, DeviceConfig).
    The caller closes them: `services.close()` and `services.outbox.close()`."""
    from devices.card import CardReader
    from devices.printer import Printer, PrinterConfig
    from kiosk.services import KioskServices
    from provisioning import load_device_config
    from sync.agent import RequestClient
    from sync.localstate import LocalState
    from sync.outbox import AnnouncedSealingKey, Outbox, OutboxConfig

    device = load_device_config(config.bundle)
    outbox = Outbox(
        OutboxConfig(config.outbox),
        device.device_id,
        device.sealing_public,
        device.sealing_key_id,
        # a central rotation reaches us as a config bundle the agent applies (kiosk.config)
        key_source=AnnouncedSealingKey(bundles_dir(config), device.catalog_public),
    ).open()
    printer = Printer(
        PrinterConfig(server=config.cups_server or None, queues=dict(device.printer_queues))
    )
    services = KioskServices(
        card_reader=CardReader(config.reader or None),
        outbox=outbox,
        printer=printer,
        local_state=LocalState(config.state),
        online_client=RequestClient(config.request_socket) if config.request_socket else None,
        agent_status_path=config.agent_status,
        city_name=device.city or "Madoguchi City",
        center_name=device.center,
    )
    return services, device
