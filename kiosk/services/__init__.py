"""The real devices and sync parts behind the session's ports (no Kivy).

`KioskServices` (here) holds the objects an entry point built (card reader, printer + renderer,
outbox, local state, online-request client, agent status file) and `ports()` adapts them to
`kiosk.session.ports`. Each adapter translates the library's exceptions into the `Port*Error`s
right where it calls it, so the session never sees `devices`/`sync` types. The adapters live
by area: `_card`, `_printer`, `_sync` (outbox, online, status, queue), `_diagnostics`.

Invariants:
- Card data crosses here once: `read_basic4()` copies the four attributes into a `CardData`
  (which the session wipes) and wipes the reader's `Basic4` at once.
- Printed documents carry a reference number, titles and dates, never the resident's card data
  (certificates print holder data only when central's reply carries it).
- The queue uses LocalState day counters only (issued, called): numbers, no personal data.
- Nothing here logs values; adapters log error class names and codes only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig, bundles_dir
from kiosk.services._card import CardReaderAdapter, translate_card_error
from kiosk.services._config_bundle import ConfigBundleView
from kiosk.services._diagnostics import DiagnosticsAdapter
from kiosk.services._payment import (
    CounterPayment,
    PaymentConfig,
    TerminalPayment,
    open_payment,
    payment_config,
)
from kiosk.services._printer import PrinterAdapter
from kiosk.services._sync import LocalQueueAdapter, OnlineAdapter, OutboxAdapter, StatusAdapter
from kiosk.session.ports import SessionPorts

__all__ = [
    "CardReaderAdapter",
    "ConfigBundleView",
    "CounterPayment",
    "DiagnosticsAdapter",
    "KioskServices",
    "LocalQueueAdapter",
    "PaymentConfig",
    "OnlineAdapter",
    "OutboxAdapter",
    "PrinterAdapter",
    "StatusAdapter",
    "TerminalPayment",
    "open_payment",
    "payment_config",
    "open_services",
    "translate_card_error",
]


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
    # The city on every printout: device.toml's `city`, overridden by the signed config bundle's
    # `city` entry (name, mayor, seal). Never a made-up default: empty until configured.
    city_name: str = ""
    center_name: str = "Community Center"
    staff_alert: Any = None  # kiosk.staff_alert.StaffAlert (default) or another AlertPort
    # kiosk.center.TerminalQueue: the center's shared queue and staff calls (docs/center.md);
    # None: the terminal's own LocalState counter and the spoken call only.
    center_queue: Any = None
    center_config: Any = None  # kiosk.center.config.CenterConfig, when [center] is set
    center_host_db: Path | None = None  # the queue host's SQLite file (this terminal serves)
    center_tls: Any = None  # kiosk.center.tls.HostCert of this queue host (https)
    _center_server: Any = field(default=None, init=False, repr=False)
    # The signed config bundle's card trust and staff PINs (None: not configured).
    config_bundle: ConfigBundleView | None = None
    # How fees are paid (CounterPayment, TerminalPayment); None: no payment step (tests,
    # previews). `open_services` wires `[payment]`, pay at the counter by default (issue 20).
    payment: Any = None
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
                self.printer,
                renderer,
                city_name=self.city_name,
                center_name=self.center_name,
                city=self.config_bundle.city if self.config_bundle is not None else None,
            )
        return SessionPorts(
            card=CardReaderAdapter(
                self.card_reader,
                self.config_bundle.card_trust if self.config_bundle is not None else None,
            ),
            outbox=OutboxAdapter(self.outbox),
            printer=self._printer_adapter,
            online=OnlineAdapter(self.online_client) if self.online_client is not None else None,
            status=StatusAdapter(self.agent_status_path, self.outbox),
            queue=self._queue(),
            diagnostics=DiagnosticsAdapter(
                card_reader=self.card_reader,
                printer=self.printer,
                outbox=self.outbox,
                agent_status_path=self.agent_status_path,
                center_name=self.center_name,
                city_name=self.city_name,
            ),
            alert=self._alert(),
            payment=self.payment,
        )

    def _queue(self) -> Any:
        if self.center_queue is not None:
            return self.center_queue
        return LocalQueueAdapter(self.local_state) if self.local_state is not None else None

    def _alert(self) -> Any:
        if self.staff_alert is None:
            from kiosk.staff_alert import CenterStaffAlert, StaffAlert

            self.staff_alert = (
                CenterStaffAlert(self.center_queue)
                if self.center_queue is not None
                else StaffAlert()
            )
        return self.staff_alert

    def watch_cards(self, session: Any, scheduler: Callable[[Callable[[], None]], Any]) -> Any:
        """Start a `CardWatcher` whose events reach `session` through `scheduler` (UI thread)."""
        from devices.card import CardWatcher, ScheduledObserver

        reader_name = getattr(self.card_reader, "reader_name", None)
        self._watcher = CardWatcher(ScheduledObserver(session, scheduler), reader_name).start()
        return self._watcher

    def start_center_host(self, staff_pin_hash: Callable[[], str | None]) -> Any:
        """On the center's queue host terminal (`[center] serve`): serve the queue, the staff
        console and the calling display from this process, events into this outbox (one
        appending process per outbox). Returns the server, or None when this is not the host."""
        cfg = self.center_config
        if cfg is None or cfg.serve is None or self._center_server is not None:
            return None
        from kiosk.center import CenterQueue
        from kiosk.center.host import CenterHost, HostConfig, create_app
        from kiosk.center.server import HostServer

        queue = CenterQueue(self.center_host_db, cfg.center)
        host = CenterHost(
            HostConfig(cfg.center, cfg.name, cfg.token, counters=cfg.counters, places=cfg.places),
            queue,
            self.outbox.append,
            staff_pin_hash,
            city_notices=(
                (lambda: bundle.notices(cfg.center)) if (bundle := self.config_bundle) else None
            ),
            # Staff manage central's booking slots from the console through this terminal.
            online=self.online_client.request if self.online_client is not None else None,
            print_slip=self._print_slip if self.printer is not None else None,
        )
        tls = self.center_tls if cfg.tls else None  # https: TLS in front, waitress on loopback
        app = create_app(host, secure_cookie=tls is not None)
        self._center_server = HostServer(app, *cfg.serve, tls=tls).start()
        self._center_server.queue = queue
        return self._center_server

    def _print_slip(self, data: dict[str, Any]) -> None:
        """A booking slip staff reprint from the center's console (this terminal's roll)."""
        from kiosk.session.ports import PrintJob

        self.ports().printer.print_job(PrintJob("consultation_slip", "ja", data))

    def close(self) -> None:
        server, self._center_server = self._center_server, None
        if server is not None:
            server.stop()
            server.queue.close()
        center, self.center_queue = self.center_queue, None
        if center is not None:
            center.close()
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
    from sync.agent import RequestClient
    from sync.keyfiles import load_device_config
    from sync.localstate import LocalState
    from sync.outbox import AnnouncedSealingKey, Outbox, OutboxConfig

    # Checked before any device opens: a bad [payment] is one clear line, not a half-started kiosk.
    payment = payment_config(config.payment)
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
        city_name=device.city,
        center_name=device.center,
        config_bundle=ConfigBundleView(bundles_dir(config), device.catalog_public),
        payment=open_payment(payment, config.state.with_name("payment-incidents.jsonl")),
    )
    if config.center:
        from kiosk.center.config import center_config

        services.center_config = center = center_config(config.center)
        if center.serve is not None and center.tls:  # the host: its certificate, made once
            from kiosk.center.tls import ensure_host_cert

            tls_dir = center.tls_dir or config.state.with_name("center-tls")
            services.center_tls = ensure_host_cert(tls_dir, center.center, center.host_url)
        pinned = center.host_cert or (services.center_tls.cert if services.center_tls else None)
        bundle = services.config_bundle
        services.center_queue = _center_queue(
            config, center, device.device_id, outbox, pinned,
            (lambda: bundle.notices(center.center)) if bundle is not None else None,
        ).start()  # fmt: skip
        services.center_host_db = config.state.with_name("center-host.sqlite3")
    return services, device


def _center_queue(
    config: KioskConfig,
    center: Any,
    device_id: str,
    outbox: Any,
    pinned: Any = None,
    city_notices: Any = None,
) -> Any:
    """The center's shared queue from `[center]` (docs/center.md); https pins `pinned`."""
    from kiosk.center import CenterQueue, HostClient, TerminalQueue

    fallback = center.fallback_path or config.state.with_name("center-fallback.sqlite3")
    return TerminalQueue(
        HostClient(center.host_url, center.token, timeout_s=center.timeout_s, pinned_cert=pinned),
        CenterQueue(fallback, center.center, mark=center.mark),
        outbox.append,  # a refusal keeps the events for the next flush (CenterQueue.flush)
        terminal=device_id,
        city_notices=city_notices,
    )
