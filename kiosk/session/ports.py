"""The small interfaces the session logic needs from devices and sync, and the errors they raise.

The session sees only these ports; `kiosk.services` adapts the real `devices.card`,
`devices.printer`, `sync.outbox`, `sync.localstate` and sync-agent objects to them and translates
their exceptions into the `Port*Error`s (defined in `kiosk.session.errors`, importable from here;
so the session never imports device or network
code, and tests can drive it with small in-process implementations).

Threading: ports may block (card APDUs, CUPS submission, online requests). The session calls them
through its `Worker`, never while holding any lock, and only one port call is in flight at a time.
Personal data passes through `CardHandle.read_basic4()` and `OutboxPort.append(body)` only; nothing
here logs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.session.errors import (  # the errors live with the package's others; kept here too
    PortCardDataError,
    PortCardRefusedError,
    PortCardRemovedError,
    PortCertificateExpiredError,
    PortError,
    PortNoCardError,
    PortNotMyNumberCardError,
    PortOfflineError,
    PortOutboxFullError,
    PortPaymentError,
    PortPinBlockedError,
    PortPrintError,
    PortProbeError,
    PortRefusedError,
    PortWrongPinError,
)

__all__ = [
    "AlertPort",
    "AgentInfo",
    "Appended",
    "CardData",
    "CardHandle",
    "CardPort",
    "ClockInfo",
    "DiagnosticsPort",
    "OnlinePort",
    "OutboxInfo",
    "OutboxPort",
    "Paid",
    "PaymentPort",
    "PortError",
    "PortPaymentError",
    "PortPinBlockedError",
    "PortWrongPinError",
    "PortCardRemovedError",
    "PortNoCardError",
    "PortNotMyNumberCardError",
    "PortCardDataError",
    "PortCardRefusedError",
    "PortCertificateExpiredError",
    "PortOutboxFullError",
    "PortOfflineError",
    "PortPrintError",
    "PortProbeError",
    "PortRefusedError",
    "PrintJob",
    "PrinterPort",
    "PrinterRoleInfo",
    "PrinterState",
    "QueuePort",
    "ReaderInfo",
    "SessionPorts",
    "SiteInfo",
    "StatusPort",
    "SyncStatus",
]


# ---- values -------------------------------------------------------------------------------


@dataclass
class CardData:
    """Basic-4 attributes read from the card. Mutable on purpose: `wipe()` blanks them."""

    name: str
    address: str
    birth_date: str  # YYYY-MM-DD
    sex: str  # ISO 5218: "1", "2", "9"

    def as_fields(self) -> dict[str, str]:
        return {
            "name": self.name,
            "address": self.address,
            "birth_date": self.birth_date,
            "sex": self.sex,
        }

    def wipe(self) -> None:
        self.name = self.address = self.birth_date = self.sex = ""


@dataclass(frozen=True)
class Appended:
    seq: int
    record_id: str


@dataclass(frozen=True)
class PrintJob:
    """A document to render and print. `kind` picks the template and the printer role:
    receipt, queue_ticket, consultation_slip, checklist, claim_slip → receipt roll;
    certificate → A4 document. `data` holds the template values (plain JSON types)."""

    kind: str
    language: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrinterState:
    ok: bool  # the receipt printer (the badge's first word, as before roles were reported)
    reasons: tuple[str, ...] = ()
    pending_reprints: int = 0
    # Per role (receipt, document): (role, ok, blocking reasons); empty when not reported.
    roles: tuple[tuple[str, bool, tuple[str, ...]], ...] = ()

    def role_ok(self, role: str) -> bool:
        """Whether `role` can print now; a role not reported follows `ok`."""
        for name, ok, _reasons in self.roles:
            if name == role:
                return ok
        return self.ok


@dataclass(frozen=True)
class SyncStatus:
    online: bool
    outbox_depth: int = 0
    last_sync: float | None = None  # wall-clock seconds since the epoch of the last ack


# ---- diagnostics values (names, states, counts and times; never content) ------------------


@dataclass(frozen=True)
class SiteInfo:
    center: str
    city: str = ""


@dataclass(frozen=True)
class ReaderInfo:
    """The PC/SC reader the kiosk uses: `present` False with `name` "" when none is attached."""

    present: bool
    name: str = ""


@dataclass(frozen=True)
class PrinterRoleInfo:
    """One printer role (receipt, document) as CUPS reports its queue."""

    role: str
    queue: str
    state: str  # idle | processing | stopped | unknown
    accepting: bool
    reasons: tuple[str, ...] = ()  # blocking reasons only (media-empty, offline, paused, ...)

    @property
    def ok(self) -> bool:
        return self.accepting and not self.reasons and self.state != "stopped"


@dataclass(frozen=True)
class OutboxInfo:
    pending: int
    last_seq: int
    last_acked_seq: int
    free_bytes: int | None = None  # on the outbox's file system
    reserve_bytes: int | None = None  # below this, submissions are refused

    @property
    def disk_low(self) -> bool:
        """Less than twice the reserve left: the kiosk will soon refuse submissions."""
        if self.free_bytes is None or self.reserve_bytes is None:
            return False
        return self.free_bytes < 2 * self.reserve_bytes


@dataclass(frozen=True)
class AgentInfo:
    """The sync agent's last status file (it writes one every few seconds)."""

    state: str  # connecting | connected | backoff | revoked | stopped
    online: bool  # connected, and the status is fresh
    last_success_at: float | None = None  # wall-clock seconds of the last ack
    last_error: str = ""  # an error code or class name, never content
    reconnects: int = 0
    catalog_version: int = 0  # the newest catalog the agent received
    updated_at: float = 0.0


@dataclass(frozen=True)
class ClockInfo:
    now: float  # wall-clock seconds
    synchronized: bool | None  # NTP-synchronized; None when the device cannot tell


# ---- ports --------------------------------------------------------------------------------


class CardHandle(Protocol):
    """A connected My Number card (the subset of `devices.card.MyNumberCard` the kiosk uses)."""

    def kenhojo_tries_left(self) -> int: ...
    def verify_kenhojo_pin(self, pin: str) -> None: ...
    def read_basic4(self) -> CardData: ...
    def jpki_auth_tries_left(self) -> int: ...
    def verify_jpki_auth_pin(self, pin: str) -> None: ...
    def read_auth_certificate(self) -> bytes: ...
    def sign_sha256_digest(self, digest: bytes) -> bytes: ...
    def close(self) -> None: ...


class CardPort(Protocol):
    def connect(self) -> CardHandle:
        """Connect to the card in the kiosk's reader (raises PortNoCardError, PortNotMyNumberCardError)."""
        ...


class PrinterPort(Protocol):
    def print_job(self, job: PrintJob) -> None:
        """Render and print; raises PortPrintError. A failed job is kept for a staff reprint."""
        ...

    def state(self) -> PrinterState: ...

    def reprint_pending(self) -> int:
        """Staff: print again every job that failed. Returns how many printed."""
        ...

    def wipe_session(self) -> None:
        """Forget the current resident's reprint buffer (jobs that printed fine)."""
        ...


class OutboxPort(Protocol):
    def append(self, kind: str, body: dict[str, Any]) -> Appended:
        """Seal and store one record durably; raises PortOutboxFullError."""
        ...


class OnlinePort(Protocol):
    def request(self, method: str, params: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """One request to central over the sync connection. Raises PortOfflineError (no answer
        in time: fall back) or PortRefusedError (central said no, including `{"ok": false}`)."""
        ...


class StatusPort(Protocol):
    def sync_status(self) -> SyncStatus: ...


class QueuePort(Protocol):
    """The center's own waiting queue (tickets), kept locally."""

    def take_ticket(self) -> tuple[int | str, int]:
        """Issue the next ticket: (its label, people waiting before it). The label is the one
        the calling display calls (`A-001`); the screen, the printed ticket and the voice show
        it as given."""
        ...

    def call_next(self) -> int | str | None:
        """Staff: the label now called, or None when nobody waits."""
        ...

    def waiting(self) -> int: ...


class AlertPort(Protocol):
    """Reaches the center's staff when a resident touches "call staff" (at the kiosk: a spoken
    call; a device may add a buzzer or a staff tablet). Carries no personal data: only how many
    calls the terminal has had since it started."""

    def staff_called(self, calls: int) -> None: ...


class DiagnosticsPort(Protocol):
    """Staff diagnostics: what is attached and how it is doing. Each method is one probe that
    raises `PortProbeError` (with the library error's class name) when it cannot find out; the
    values are names, states, counts and times, never record content or personal data."""

    def site(self) -> SiteInfo: ...
    def card_reader(self) -> ReaderInfo: ...
    def printers(self) -> tuple[PrinterRoleInfo, ...]: ...
    def outbox(self) -> OutboxInfo: ...
    def agent(self) -> AgentInfo | None:
        """None: the agent never wrote a status file (not running, or not configured)."""
        ...

    def clock(self) -> ClockInfo: ...


@dataclass(frozen=True)
class Paid:
    """An approved payment: what was paid and how (printed on the receipt)."""

    method: str  # "terminal"
    amount_yen: int
    transaction_id: str


class PaymentPort(Protocol):
    """How a fee is paid. `method` "counter": nothing is charged here; the session prints a
    payment slip (amount, reference QR) and the certificate is handed over at the counter once
    paid. "terminal": `charge` asks the cashless terminal and blocks until it answers.
    `record_incident` keeps, for staff, a payment whose document then failed to print (the
    amount to refund or the document to reprint): reference, amount, method, transaction id and
    printer reasons only, never personal data."""

    method: str

    def charge(self, amount_yen: int, reference: str) -> Paid:
        """Raises `PortPaymentError` unless approved."""
        ...

    def record_incident(self, incident: dict[str, Any]) -> None: ...


@dataclass
class SessionPorts:
    """Everything the session talks to. `online`, `status`, `queue` and `diagnostics` may be None
    (then: offline, status unknown, no queue tickets, diagnostics from the session's own state
    only); `printer` None means every print fails with `no_printer`."""

    card: CardPort
    outbox: OutboxPort
    printer: PrinterPort | None = None
    online: OnlinePort | None = None
    status: StatusPort | None = None
    queue: QueuePort | None = None
    diagnostics: DiagnosticsPort | None = None
    alert: AlertPort | None = None
    # None: no payment step (previews, tests of other parts); the kiosk wires "counter" by default.
    payment: PaymentPort | None = None
