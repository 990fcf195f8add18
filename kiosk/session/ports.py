"""The small interfaces the session logic needs from devices and sync, and the errors they raise.

The session sees only these ports; `kiosk.services` adapts the real `devices.card`,
`devices.printer`, `sync.outbox`, `sync.localstate` and sync-agent objects to them and translates
their exceptions into the `Port*Error`s below (so the session never imports device or network
code, and tests can drive it with small in-process implementations).

Threading: ports may block (card APDUs, CUPS submission, online requests). The session calls them
through its `Worker`, never while holding any lock, and only one port call is in flight at a time.
Personal data passes through `CardHandle.read_basic4()` and `OutboxPort.append(body)` only; nothing
here logs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from madoguchi.errors import MadoguchiError

__all__ = [
    "Appended",
    "CardData",
    "CardHandle",
    "CardPort",
    "OnlinePort",
    "OutboxPort",
    "PortError",
    "PortPinBlockedError",
    "PortWrongPinError",
    "PortCardRemovedError",
    "PortNoCardError",
    "PortNotMyNumberCardError",
    "PortCardDataError",
    "PortCertificateExpiredError",
    "PortOutboxFullError",
    "PortOfflineError",
    "PortPrintError",
    "PortRefusedError",
    "PrintJob",
    "PrinterPort",
    "PrinterState",
    "QueuePort",
    "SessionPorts",
    "StatusPort",
    "SyncStatus",
]


# ---- errors the adapters raise -------------------------------------------------------------


class PortError(MadoguchiError):
    """Base of everything a port raises on purpose."""


class PortWrongPinError(PortError):
    def __init__(self, tries_left: int) -> None:
        super().__init__(f"wrong PIN, {tries_left} tries left")
        self.tries_left = tries_left


class PortPinBlockedError(PortError):
    """The PIN is blocked on the card: only the city counter can unblock it."""


class PortCardRemovedError(PortError):
    """The card left the reader during an exchange."""


class PortNoCardError(PortError):
    """No card (or no reader) is there."""


class PortNotMyNumberCardError(PortError):
    """A card that is not a My Number card."""


class PortCardDataError(PortError):
    """The card answered with data we cannot parse."""


class PortCertificateExpiredError(PortCardDataError):
    """The card's JPKI authentication certificate is outside its validity: renew at the counter."""


class PortOutboxFullError(PortError):
    """The outbox refuses new records (disk nearly full, file damaged, record too large):
    the submission is not stored, the resident keeps the form and is told to ask staff."""


class PortOfflineError(PortError):
    """An online request could not be answered in time (offline, timeout, refused)."""


class PortRefusedError(PortError):
    """Central answered, and said no (bad signature, slot full...): falling back would not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}")
        self.reason = reason


class PortPrintError(PortError):
    def __init__(self, reasons: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(f"print failed: {', '.join(reasons) or 'unknown'}")
        self.reasons = tuple(reasons)


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
    ok: bool
    reasons: tuple[str, ...] = ()
    pending_reprints: int = 0


@dataclass(frozen=True)
class SyncStatus:
    online: bool
    outbox_depth: int = 0
    last_sync: float | None = None  # wall-clock seconds since the epoch of the last ack


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

    def take_ticket(self) -> tuple[int, int]:
        """Issue the next ticket: (ticket number, people waiting before it)."""
        ...

    def call_next(self) -> int | None:
        """Staff: the ticket now called, or None when nobody waits."""
        ...

    def waiting(self) -> int: ...


@dataclass
class SessionPorts:
    """Everything the session talks to. `online`, `status` and `queue` may be None (then: offline,
    status unknown, no queue tickets); `printer` None means every print fails with `no_printer`."""

    card: CardPort
    outbox: OutboxPort
    printer: PrinterPort | None = None
    online: OnlinePort | None = None
    status: StatusPort | None = None
    queue: QueuePort | None = None
