"""The forwarder: pushes each opened application to the city's back-office over HTTP.

Interface (no dependency on the store's internals): a `pending(limit)` callable giving
`(record_id, kind, body)` tuples in order, and `mark_forwarded(record_id)` called only after
the back-office answered 2xx. `StoreApplications` adapts `sync.central.store.Store.opened` and
keeps the forwarded state in the store's own `forwarded` and `forward_cursors` tables (created
by its recorded migrations, on SQLite and PostgreSQL), so a restart resumes where it stopped and
several forwarders sharing one database share one ledger.

Invariants:
- At-least-once: a record is marked forwarded only after a 2xx; a crash between the 2xx and
  the mark resends it, and every send of a record carries the same `Idempotency-Key: <record
  id>` header and the same JSON body, so the back-office can drop duplicates.
- Order: records are sent in `pending` order; a record that keeps failing stops the pass (it
  is retried first next pass), so nothing overtakes it and nothing is skipped.
- Retries: connection errors, timeouts, 408/425/429 and 5xx are retried with exponential
  backoff and full jitter (capped); `Retry-After` (seconds) is honoured up to the cap. Other
  4xx are permanent: the record is handed to `mark_rejected` (parked for staff) if given.
- Every wait is interruptible by `stop()`. Logs carry record ids and HTTP statuses, never bodies.
- Transport (the HTTP client part): the URL is https, or plain http to a loopback address only
  (tests, a local relay); no credentials in the URL; TLS is always verified (`verify_tls` is
  True or a CA bundle path; False is refused). Redirects are never followed by `requests`: a
  307/308 to the same origin (scheme, host, port) is followed by hand (method and body kept, at
  most 3 hops); any other 3xx, or any redirect to another origin, is refused: nothing is sent
  there, the record stays pending and the pass stops on it (as for a back-office that is down).
- A `certificate_request` is sent as a claim to verify (`"claim": "verify_card_at_counter"`):
  no certificate was issued for it, and the card must be checked again at the counter.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from sync.central.errors import ForwarderError
from sync.central.store_schema import KIND_TABLES
from sync.errors import SyncError

__all__ = [
    "ForwardReport",
    "Forwarder",
    "ForwarderConfig",
    "ForwarderError",
    "StoreApplications",
    "check_url",
    "encode_body",
    "store_forwarder",
]

log = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({408, 425, 429})
_MAX_REDIRECTS = 3


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Refuse a back-office URL that is not https (plain http: loopback only) or has credentials."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ForwarderError("forwarder url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForwarderError("forwarder url must be https://host/...")
    if parts.username is not None or parts.password is not None:
        raise ForwarderError("no credentials in the forwarder url: pass a header instead")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ForwarderError("forwarder url must be https (plain http only to a loopback address)")


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


@dataclass(frozen=True)
class ForwarderConfig:
    url: str
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    max_attempts: int = 6  # per record and pass; then the pass stops and waits
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 60.0
    batch_limit: int = 100
    idle_interval_s: float = 2.0  # wait between passes when nothing is pending
    headers: dict[str, str] = field(default_factory=dict)  # e.g. an Authorization token
    verify_tls: bool | str = True  # True (system CAs) or a CA bundle path; never False

    def __post_init__(self) -> None:
        check_url(self.url)
        if self.verify_tls is not True and not (
            isinstance(self.verify_tls, str) and self.verify_tls
        ):
            raise ForwarderError(
                "TLS verification cannot be turned off: give the city's CA bundle path instead"
            )
        if self.max_attempts < 1 or self.batch_limit < 1:
            raise ForwarderError("max_attempts and batch_limit must be >= 1")


@dataclass
class ForwardReport:
    forwarded: int = 0
    rejected: int = 0
    attempts: int = 0
    stopped_on: str | None = None  # record id the pass stopped on (back-office unavailable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def encode_body(record_id: str, kind: str, body: Any) -> bytes:
    """The exact request body for a record (deterministic: a resend is byte-identical)."""
    if isinstance(body, str | bytes):  # already JSON text (e.g. the store's body column)
        body = json.loads(body)
    doc = {"record_id": record_id, "kind": kind, "body": body}
    if kind == "certificate_request":  # queued at a kiosk: never a certificate by itself
        doc["claim"] = "verify_card_at_counter"
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    ).encode("utf-8")


class Forwarder:
    """Pushes pending applications; `forward_once()` is one pass, `start()` runs passes in a thread."""

    def __init__(
        self,
        config: ForwarderConfig,
        pending: Callable[[int], Iterable[tuple[str, str, Any]]],
        mark_forwarded: Callable[[str], None],
        *,
        mark_rejected: Callable[[str, int], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._pending = pending
        self._mark_forwarded = mark_forwarded
        self._mark_rejected = mark_rejected
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        self.last_report = ForwardReport()

    # -- one record ------------------------------------------------------------------------

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cap = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2**attempt)
        delay = self._rng.uniform(0, cap)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.config.backoff_cap_s))
        return delay

    def _post(self, record_id: str, data: bytes) -> tuple[str, int | None, float | None]:
        """One attempt: ("ok"|"retry"|"reject", status, retry_after)."""
        headers = {
            **self.config.headers,
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": record_id,
        }
        url = self.config.url
        try:
            for _hop in range(_MAX_REDIRECTS + 1):
                response = self._session.post(
                    url,
                    data=data,
                    headers=headers,
                    timeout=(self.config.connect_timeout_s, self.config.read_timeout_s),
                    verify=self.config.verify_tls,
                    allow_redirects=False,
                )
                response.close()
                if not response.is_redirect:
                    break
                target = urljoin(url, response.headers.get("Location", ""))
                if response.status_code not in (307, 308) or _origin(target) != _origin(url):
                    # another origin could be anyone's server: residents' data never goes there
                    log.warning(
                        "forward %s: HTTP %d redirect refused (another origin or method change)",
                        record_id,
                        response.status_code,
                    )
                    return "retry", response.status_code, None
                url = target
            else:
                log.warning("forward %s: too many redirects", record_id)
                return "retry", response.status_code, None
        except requests.RequestException as e:
            log.info("forward %s: %s", record_id, type(e).__name__)
            return "retry", None, None
        status = response.status_code
        if 200 <= status < 300:
            return "ok", status, None
        retry_after = None
        try:
            retry_after = float(response.headers.get("Retry-After", ""))
        except ValueError:
            pass
        log.info("forward %s: HTTP %d", record_id, status)
        if status >= 500 or status in _RETRY_STATUSES:
            return "retry", status, retry_after
        return "reject", status, None

    def _forward_one(self, record_id: str, kind: str, body: Any, report: ForwardReport) -> bool:
        data = encode_body(record_id, kind, body)
        for attempt in range(self.config.max_attempts):
            if self._stop.is_set():
                return False
            report.attempts += 1
            outcome, status, retry_after = self._post(record_id, data)
            if outcome == "ok":
                self._mark_forwarded(record_id)
                report.forwarded += 1
                return True
            if outcome == "reject":
                if self._mark_rejected is None:
                    return False
                self._mark_rejected(record_id, int(status or 0))
                report.rejected += 1
                return True
            if attempt + 1 < self.config.max_attempts:
                self._stop.wait(self._backoff(attempt, retry_after))
        return False

    # -- passes -----------------------------------------------------------------------------

    def forward_once(self) -> ForwardReport:
        """Send what is pending now, in order; stop at the first record that keeps failing."""
        report = ForwardReport()
        for record_id, kind, body in list(self._pending(self.config.batch_limit)):
            if not self._forward_one(record_id, kind, body, report):
                report.stopped_on = record_id
                break
        self.last_report = report
        return report

    def drain(self, max_passes: int = 1_000_000) -> int:
        """Run passes until nothing is pending (or stopped); returns records forwarded."""
        total = 0
        for _ in range(max_passes):
            if self._stop.is_set():
                break
            report = self.forward_once()
            total += report.forwarded + report.rejected
            if report.stopped_on is None and report.forwarded + report.rejected == 0:
                break
        return total

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                report = self.forward_once()
            except SyncError as e:  # the source failed (store down): log, wait, retry
                log.warning("forwarder source failed: %s", type(e).__name__)
                report = ForwardReport(stopped_on="")
            if report.stopped_on is not None:
                failures += 1
                self._stop.wait(self._backoff(min(failures, 16), None))
            else:
                failures = 0
                if report.forwarded + report.rejected == 0:
                    self._stop.wait(self.config.idle_interval_s)

    def start(self) -> Forwarder:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._session.close()


class StoreApplications:
    """Adapter: opened records of one kind from a central `Store` (`opened(kind, after_id,
    limit)`), with the forwarded state in the store's `forwarded` and `forward_cursors` tables.

    The ledger keeps every forwarded (or rejected) record id and a cursor: the store's per-table
    id below which everything is done, so a restart resumes without rescanning the table. The
    cursor never passes a row first seen less than `settle_s` ago: on PostgreSQL with several
    processing stages, a row with a lower id can commit after a higher one, and a cursor that ran
    ahead would skip it for ever. Rows between the cursor and the newest are filtered by the
    ledger, so they are never sent twice. The store is this adapter's alone (one connection)."""

    def __init__(
        self,
        store: Any,
        kind: str = "application",
        *,
        settle_s: float = 30.0,
        max_pages: int = 50,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if kind not in KIND_TABLES:
            raise ForwarderError(f"no such record kind: {kind!r}")
        self._store = store
        self._kind = kind
        self._settle_s = settle_s
        self._max_pages = max_pages
        self._clock = clock
        self._wall_clock = wall_clock
        self._window: list[tuple[int, str]] = []  # (store id, record id) of the last scan
        self._seen: dict[int, float] = {}  # store id -> when first seen (this process)
        self._lock = threading.Lock()

    def _cursor(self) -> int:
        return self._store.forward_cursor(self._kind)

    @property
    def cursor(self) -> int:
        """The store id below which every row is forwarded or rejected (and settled)."""
        with self._lock:
            return self._cursor()

    def pending(self, limit: int) -> list[tuple[str, str, Any]]:
        with self._lock:
            now = self._clock()
            after, window, out = self._cursor(), [], []
            for _ in range(self._max_pages):
                rows = self._store.opened(self._kind, after_id=after, limit=limit)
                if not rows:
                    break
                done = self._done([row[3] for row in rows])
                for row in rows:
                    self._seen.setdefault(int(row[0]), now)
                    window.append((int(row[0]), row[3]))
                    if row[3] not in done and len(out) < limit:
                        out.append((row[3], self._kind, row[5]))
                after = int(rows[-1][0])
                if len(out) >= limit:
                    break
            self._window = window
            self._advance()
            return out

    def _done(self, record_ids: list[str]) -> set[str]:
        return self._store.forwarded_ids(record_ids)

    def _advance(self) -> None:
        done = self._done([rid for _, rid in self._window])
        settled = self._clock() - self._settle_s
        cursor = None
        for store_id, record_id in self._window:
            if record_id not in done or self._seen.get(store_id, 0.0) > settled:
                break
            cursor = store_id
        if cursor is None:
            return
        self._store.set_forward_cursor(self._kind, cursor)
        self._window = [w for w in self._window if w[0] > cursor]
        self._seen = {i: t for i, t in self._seen.items() if i > cursor}

    def _mark(self, record_id: str, status: int) -> None:
        with self._lock:
            self._store.mark_forwarded(record_id, self._kind, status, self._wall_clock())

    def mark_forwarded(self, record_id: str) -> None:
        self._mark(record_id, 200)

    def mark_rejected(self, record_id: str, status: int) -> None:
        self._mark(record_id, status)

    def rejected(self) -> list[tuple[str, int]]:
        with self._lock:
            return self._store.forward_rejected()

    def forwarded_count(self) -> int:
        """Records forwarded or rejected, of every kind (the ledger is shared)."""
        with self._lock:
            return self._store.forwarded_count()

    def close(self) -> None:
        """The store belongs to the caller: nothing of the adapter's own to close."""


def store_forwarder(
    config: ForwarderConfig, store: Any, kind: str = "application"
) -> tuple[Forwarder, StoreApplications]:
    """A forwarder of the opened records of one `kind` of a central `Store`, its state in the
    store's ledger tables (what `central forward` wires, once per kind, each with its own store
    connection and cursor; close the store after `stop()`)."""
    source = StoreApplications(store, kind)
    forwarder = Forwarder(
        config, source.pending, source.mark_forwarded, mark_rejected=source.mark_rejected
    )
    return forwarder, source
