"""In-process implementations of the session ports: for fast tests, screenshots and benches.

They follow the same contracts as the real adapters in `kiosk.services` (same errors, same
tries-left arithmetic as the card: three tries, a correct entry resets them, zero blocks), so a
session driven through them walks the same code paths. Not for production: `MemoryOutbox` keeps
record bodies in plain memory so tests can check what was submitted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from kiosk.session.ports import (
    AgentInfo,
    Appended,
    CardData,
    ClockInfo,
    OutboxInfo,
    PortCardRemovedError,
    PortCertificateExpiredError,
    PortNoCardError,
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
    "MemoryAlert",
    "MemoryCard",
    "ManualClock",
    "MemoryCardPort",
    "MemoryDiagnostics",
    "MemoryKit",
    "MemoryOnline",
    "MemoryOutbox",
    "MemoryPrinter",
    "MemoryQueue",
    "MemoryStatus",
    "sample_card",
]


def sample_card() -> MemoryCard:
    return MemoryCard(
        CardData(
            name="山田 花子", address="東京都千代田区千代田1番1号", birth_date="1985-04-01", sex="2"
        )
    )


@dataclass
class MemoryCard:
    data: CardData
    kenhojo_pin: str = "1234"
    jpki_pin: str = "1234"
    kenhojo_tries: int = 3
    jpki_tries: int = 3
    certificate: bytes = b"0\x82-test-certificate"
    removed: bool = False
    certificate_expired: bool = False
    verify_calls: list[str] = field(default_factory=list)  # which PIN kind, never the value
    closed: int = 0
    _kenhojo_ok: bool = False
    _jpki_ok: bool = False

    def _present(self) -> None:
        if self.removed:
            raise PortCardRemovedError("card removed")

    def kenhojo_tries_left(self) -> int:
        self._present()
        return self.kenhojo_tries

    def jpki_auth_tries_left(self) -> int:
        self._present()
        return self.jpki_tries

    def _verify(self, kind: str, pin: str, want: str) -> bool:
        self._present()
        self.verify_calls.append(kind)
        tries = self.kenhojo_tries if kind == "kenhojo" else self.jpki_tries
        if tries == 0:
            raise PortPinBlockedError(f"{kind} PIN blocked")
        if pin == want:
            tries, ok = 3, True
        else:
            tries, ok = tries - 1, False
        if kind == "kenhojo":
            self.kenhojo_tries = tries
        else:
            self.jpki_tries = tries
        if not ok:
            if tries == 0:
                raise PortPinBlockedError(f"{kind} PIN blocked")
            raise PortWrongPinError(tries)
        return True

    def verify_kenhojo_pin(self, pin: str) -> None:
        self._kenhojo_ok = self._verify("kenhojo", pin, self.kenhojo_pin)

    def verify_jpki_auth_pin(self, pin: str) -> None:
        self._jpki_ok = self._verify("jpki", pin, self.jpki_pin)

    def read_basic4(self) -> CardData:
        self._present()
        if not self._kenhojo_ok:
            raise PortCardRemovedError("PIN not verified")
        d = self.data
        return CardData(d.name, d.address, d.birth_date, d.sex)

    def read_auth_certificate(self) -> bytes:
        self._present()
        if self.certificate_expired:
            raise PortCertificateExpiredError("auth certificate expired")
        return self.certificate

    def sign_sha256_digest(self, digest: bytes) -> bytes:
        self._present()
        if not self._jpki_ok:
            raise PortCardRemovedError("PIN not verified")
        return b"sig:" + digest

    def close(self) -> None:
        self.closed += 1
        self._kenhojo_ok = self._jpki_ok = False


@dataclass
class MemoryCardPort:
    card: MemoryCard | None = None
    connects: int = 0

    def connect(self) -> MemoryCard:
        self.connects += 1
        if self.card is None or self.card.removed:
            raise PortNoCardError("no card")
        return self.card


@dataclass
class MemoryPrinter:
    fail_with: tuple[str, ...] = ()  # e.g. ("media-empty",): every print fails
    printed: list[PrintJob] = field(default_factory=list)
    pending: list[PrintJob] = field(default_factory=list)
    session: list[PrintJob] = field(default_factory=list)

    def print_job(self, job: PrintJob) -> None:
        if self.fail_with:
            self.pending.append(job)
            raise PortPrintError(self.fail_with)
        self.printed.append(job)
        self.session.append(job)

    def state(self) -> PrinterState:
        return PrinterState(
            ok=not self.fail_with, reasons=self.fail_with, pending_reprints=len(self.pending)
        )

    def reprint_pending(self) -> int:
        if self.fail_with:
            raise PortPrintError(self.fail_with)
        count = len(self.pending)
        self.printed.extend(self.pending)
        self.pending.clear()
        return count

    def wipe_session(self) -> None:
        self.session.clear()


@dataclass
class MemoryOutbox:
    full: bool = False
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def append(self, kind: str, body: dict[str, Any]) -> Appended:
        if self.full:
            raise PortOutboxFullError("outbox full")
        self.records.append((kind, body))
        seq = len(self.records)
        return Appended(seq=seq, record_id=f"r{seq}")

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [body for k, body in self.records if k == kind]


@dataclass
class MemoryOnline:
    online: bool = True
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)

    def request(self, method: str, params: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        self.requests.append((method, params, timeout_s))
        if not self.online or method not in self.replies:
            raise PortOfflineError(f"{method}: no answer within {timeout_s} s")
        reply = self.replies[method]
        if reply.get("ok") is False:
            raise PortRefusedError(str(reply.get("reason", "refused")))
        return reply


@dataclass
class MemoryStatus:
    status: SyncStatus = field(default_factory=lambda: SyncStatus(online=True))

    def sync_status(self) -> SyncStatus:
        return self.status


@dataclass
class MemoryAlert:
    """Records each staff call it is told about (the counts, as the port receives them)."""

    calls: list[int] = field(default_factory=list)

    def staff_called(self, calls: int) -> None:
        self.calls.append(calls)


@dataclass
class MemoryQueue:
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    waiting_numbers: list[int] = field(default_factory=list)

    def take_ticket(self) -> tuple[int, int]:
        number = next(self._numbers)
        before = len(self.waiting_numbers)
        self.waiting_numbers.append(number)
        return number, before

    def call_next(self) -> int | None:
        return self.waiting_numbers.pop(0) if self.waiting_numbers else None

    def waiting(self) -> int:
        return len(self.waiting_numbers)


@dataclass
class MemoryDiagnostics:
    """`DiagnosticsPort` over plain values. `fail` maps a probe name (site, card_reader,
    printers, outbox, agent, clock) to the error class name its `PortProbeError` carries.
    `outbox_source` (a `MemoryOutbox`, or anything with its `records` list), when set, supplies
    the live pending count and last seq."""

    site_info: SiteInfo = field(default_factory=lambda: SiteInfo("東部地域センター", "豊橋市"))
    reader: ReaderInfo = field(default_factory=lambda: ReaderInfo(True, "Virtual PCD 00 00"))
    printer_roles: tuple[PrinterRoleInfo, ...] = (
        PrinterRoleInfo("receipt", "receipt80", "idle", True),
        PrinterRoleInfo("document", "a4", "idle", True),
    )
    outbox_info: OutboxInfo = field(
        default_factory=lambda: OutboxInfo(0, 0, 0, 8 * 1024**3, 64 * 1024**2)
    )
    agent_info: AgentInfo | None = field(
        default_factory=lambda: AgentInfo("connected", True, 1_795_999_000.0, catalog_version=1)
    )
    clock_info: ClockInfo | None = None  # None: `now` from `wall_clock`, synchronized
    wall_clock: Any = None
    outbox_source: Any = None  # MemoryOutbox or the like: what has `records`
    fail: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def _check(self, what: str) -> None:
        self.calls.append(what)
        if what in self.fail:
            raise PortProbeError(what, self.fail[what])

    def site(self) -> SiteInfo:
        self._check("site")
        return self.site_info

    def card_reader(self) -> ReaderInfo:
        self._check("card_reader")
        return self.reader

    def printers(self) -> tuple[PrinterRoleInfo, ...]:
        self._check("printers")
        return self.printer_roles

    def outbox(self) -> OutboxInfo:
        self._check("outbox")
        info = self.outbox_info
        if self.outbox_source is not None:
            n = len(self.outbox_source.records)
            info = OutboxInfo(n, n, 0, info.free_bytes, info.reserve_bytes)
        return info

    def agent(self) -> AgentInfo | None:
        self._check("agent")
        return self.agent_info

    def clock(self) -> ClockInfo:
        self._check("clock")
        if self.clock_info is not None:
            return self.clock_info
        return ClockInfo(self.wall_clock() if self.wall_clock else 1_796_000_000.0, True)


class ManualClock:
    """A clock tests advance by hand (monotonic seconds and wall-clock seconds move together)."""

    def __init__(self, start: float = 1_796_000_000.0) -> None:  # 2026-11-29
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@dataclass
class MemoryKit:
    """Every in-memory port at once, plus `ports()` for `KioskSession`."""

    card_port: MemoryCardPort = field(default_factory=lambda: MemoryCardPort(sample_card()))
    printer: MemoryPrinter = field(default_factory=MemoryPrinter)
    outbox: MemoryOutbox = field(default_factory=MemoryOutbox)
    online: MemoryOnline = field(default_factory=MemoryOnline)
    status: MemoryStatus = field(default_factory=MemoryStatus)
    queue: MemoryQueue = field(default_factory=MemoryQueue)
    diagnostics: MemoryDiagnostics = field(default_factory=MemoryDiagnostics)
    alert: MemoryAlert = field(default_factory=MemoryAlert)

    def __post_init__(self) -> None:
        if self.diagnostics.outbox_source is None:
            self.diagnostics.outbox_source = self.outbox

    @property
    def card(self) -> MemoryCard:
        assert self.card_port.card is not None
        return self.card_port.card

    def ports(self) -> SessionPorts:
        return SessionPorts(
            card=self.card_port,
            outbox=self.outbox,
            printer=self.printer,
            online=self.online,
            status=self.status,
            queue=self.queue,
            diagnostics=self.diagnostics,
            alert=self.alert,
        )
