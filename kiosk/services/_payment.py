"""`PaymentPort` implementations: pay at the counter (the default) and a cashless terminal.

Invariants:
- `CounterPayment` never charges: the session prints a payment slip and the certificate is
  handed over at the counter once paid.
- `TerminalPayment.charge` returns `Paid` only for the terminal's approval of exactly this
  amount; every `devices.payment` error becomes `PortPaymentError(reason, code)` here, so the
  session never sees a `devices` type.
- Incidents (a payment whose document then failed to print) are appended to a JSON-lines file
  (0600, fsynced) for staff: time, reference, amount, method, transaction id, printer reasons.
  Never a name, address, birth date or card data; log lines carry the reference only.
- `payment_config` reads the kiosk TOML's `[payment]` table: absent or `method = "counter"` is
  pay at the counter (issue 20: the default; a certificate with a fee prints only after payment,
  so without a terminal the kiosk prints a payment slip and the counter hands the certificate
  over); `method = "terminal"` needs the terminal bridge's `host` and `port`. A bad value is
  `KioskConfigError` naming the key, before any device opens.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfigError
from kiosk.session.ports import Paid, PortPaymentError

log = logging.getLogger("kiosk.services")

__all__ = ["CounterPayment", "PaymentConfig", "TerminalPayment", "open_payment", "payment_config"]

_INCIDENT_KEYS = ("reference", "amount_yen", "method", "transaction_id", "reasons", "document")


class _Incidents:
    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.kept: list[dict[str, Any]] = []  # this process's, for the staff screen
        self._lock = threading.Lock()

    def record(self, incident: dict[str, Any]) -> None:
        entry = {"at": time.time(), **{k: incident.get(k) for k in _INCIDENT_KEYS}}
        with self._lock:
            self.kept.append(entry)
            if self.path is not None:
                line = json.dumps(entry, ensure_ascii=False) + "\n"
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
        log.warning(
            "paid but not printed: reference %s, %s yen to refund or reprint",
            entry["reference"],
            entry["amount_yen"],
        )


class CounterPayment:
    """Pay at the counter: a payment slip prints; nothing is charged here."""

    method = "counter"

    def __init__(self, incidents_path: Path | None = None) -> None:
        self.incidents = _Incidents(incidents_path)

    def charge(self, amount_yen: int, reference: str) -> Paid:
        raise PortPaymentError("counter")  # the session never charges with this method

    def record_incident(self, incident: dict[str, Any]) -> None:
        self.incidents.record(incident)


class TerminalPayment:
    """A cashless terminal behind `devices.payment.PaymentTerminal` (e.g.
    `SocketPaymentTerminal`); `timeout_s` bounds the resident's time at the terminal."""

    method = "terminal"

    def __init__(
        self, terminal: Any, *, timeout_s: float = 90.0, incidents_path: Path | None = None
    ) -> None:
        self.terminal = terminal
        self.timeout_s = timeout_s
        self.incidents = _Incidents(incidents_path)

    def charge(self, amount_yen: int, reference: str) -> Paid:
        from devices.payment import PaymentError

        try:
            approval = self.terminal.charge(amount_yen, reference, self.timeout_s)
        except PaymentError as e:
            log.info("payment for %s not approved: %s", reference, e.reason)
            raise PortPaymentError(e.reason, e.code) from e
        except ValueError as e:
            raise PortPaymentError("protocol") from e
        if approval.amount_yen != amount_yen:
            raise PortPaymentError("protocol")
        return Paid("terminal", approval.amount_yen, approval.transaction_id)

    def record_incident(self, incident: dict[str, Any]) -> None:
        self.incidents.record(incident)


@dataclass(frozen=True)
class PaymentConfig:
    """`[payment]` of the kiosk TOML (see the module docstring)."""

    method: str = "counter"  # "counter" | "terminal"
    host: str = ""  # the payment terminal's bridge (method "terminal")
    port: int = 0
    timeout_s: float = 90.0  # the resident's time at the terminal, then `abort`
    connect_timeout_s: float = 3.0


_PAYMENT_KEYS = ("method", "host", "port", "timeout_s", "connect_timeout_s")


def payment_config(table: dict[str, Any] | None) -> PaymentConfig:
    """The checked `[payment]` table; an empty or absent one is pay at the counter."""
    table = dict(table or {})
    unknown = sorted(set(table) - set(_PAYMENT_KEYS))
    if unknown:
        raise KioskConfigError(f"[payment]: unknown key(s) {', '.join(unknown)}")
    method = table.get("method", "counter")
    if method not in ("counter", "terminal"):
        raise KioskConfigError('[payment] method must be "counter" or "terminal"')
    for key, low, high in (("timeout_s", 5, 600), ("connect_timeout_s", 0.1, 30)):
        value = table.get(key, getattr(PaymentConfig, key))
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise KioskConfigError(f"[payment] {key} must be a number of seconds {low}..{high}")
    if method == "counter":
        if "host" in table or "port" in table:
            raise KioskConfigError('[payment] host and port are for method = "terminal"')
        return PaymentConfig(**{k: v for k, v in table.items() if k != "method"})
    host, port = table.get("host"), table.get("port")
    if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host):
        raise KioskConfigError("[payment] host must name the payment terminal's bridge")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise KioskConfigError("[payment] port must be 1..65535")
    return PaymentConfig(**table)


def open_payment(config: PaymentConfig, incidents_path: Path | None) -> Any:
    """The `PaymentPort` for `config`; incidents (paid, not printed) go to `incidents_path`."""
    if config.method == "terminal":
        from devices.payment import SocketPaymentTerminal

        terminal = SocketPaymentTerminal(
            config.host, config.port, connect_timeout_s=config.connect_timeout_s
        )
        return TerminalPayment(terminal, timeout_s=config.timeout_s, incidents_path=incidents_path)
    return CounterPayment(incidents_path=incidents_path)
