"""The printer driver on pycups: roles mapped to CUPS queues, submit, follow, status, cancel.

Invariants:
- This is the only module that imports `cups`; every `cups.IPPError` / `RuntimeError` /
  `cups.HTTPError` is translated here into `devices.printer.errors` (the kiosk never sees them).
- A document is never lost silently: when it cannot print (printer stopped, disabled, out of
  paper, unreachable, job aborted or stuck past its timeout) it goes to `Printer.pending`
  (memory only) for a staff reprint, and the stuck CUPS job is canceled so that it cannot come
  out hours later in front of nobody. A too-large document is refused before any I/O and not kept.
- Documents travel from memory to cupsd over IPP (Create-Job + Send-Document); no temp file.
- Logs name role, queue, job id, size and reasons, never a title or content.
- One pycups connection per `Printer`, used under a lock (pycups connections are not
  thread-safe) and reopened after a connection error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import cups

from devices.printer._title import job_title
from devices.printer.errors import (
    CupsConnectionLostError,
    CupsUnavailableError,
    DocumentTooLargeError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrintJobFailedError,
    QueueMissingError,
)
from devices.printer.holding import PendingPrints

__all__ = ["JobState", "PrintJob", "Printer", "PrinterConfig", "PrinterStatus"]

_log = logging.getLogger(__name__)

# Reasons that mean "this printer will not print now"; anything else (media-low, ...) is a warning.
BLOCKING_REASONS = frozenset({"media-empty", "media-jam", "cover-open", "offline", "paused"})
_ALIASES = {
    "media-needed": "media-empty",
    "input-tray-missing": "media-empty",
    "door-open": "cover-open",
    "interlock-open": "cover-open",
    "shutdown": "offline",
    "timed-out": "offline",
}
_GLOBALS_LOCK = threading.Lock()
_PRINTER_STATES = {3: "idle", 4: "processing", 5: "stopped"}
_JOB_COMPLETED, _JOB_CANCELED, _JOB_ABORTED = 9, 7, 8
_JOB_HELD, _JOB_STOPPED = 4, 6
_PRINTER_ATTRS = [
    "printer-state",
    "printer-state-reasons",
    "printer-is-accepting-jobs",
    "printer-state-message",
]
_JOB_ATTRS = ["job-state", "job-state-reasons", "job-printer-state-message"]


@dataclass(frozen=True)
class PrinterConfig:
    """Which cupsd, which queue per role, and the limits. Safe defaults; no file is read here.

    `server`: "host:port", a Unix socket path, or None for libcups' default (CUPS_SERVER,
    /run/cups/cups.sock). `offline_grace_s`: how long a job may sit unprinted while the printer
    reports a problem before we give up on it (the resident should not wait a minute).
    """

    server: str | None = None
    queues: Mapping[str, str] = field(
        default_factory=lambda: {"receipt": "receipt", "document": "document"}
    )
    job_timeout_s: float = 60.0
    max_document_bytes: int = 8 * 1024 * 1024
    offline_grace_s: float = 3.0
    poll_interval_s: float = 0.05


@dataclass(frozen=True)
class PrinterStatus:
    """A queue's state: "idle" | "processing" | "stopped", normalised reasons, accepting."""

    role: str
    queue: str
    state: str
    reasons: tuple[str, ...]
    accepting: bool
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.accepting and self.state != "stopped" and not self.blocking

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(r for r in self.reasons if r in BLOCKING_REASONS)


@dataclass(frozen=True)
class PrintJob:
    """A job accepted by cupsd. Holds the PDF (memory only) so a failure can keep it."""

    job_id: int
    role: str
    queue: str
    title: str
    pdf: bytes = field(repr=False)


@dataclass(frozen=True)
class JobState:
    """How a job ended: "completed" | "stopped" | "aborted" | "canceled", with reasons.

    "stopped" means we gave up waiting (printer problem or timeout) and canceled it in CUPS.
    `pending_id` names the copy kept for staff reprint, if any.
    """

    job_id: int
    role: str
    state: str
    reasons: tuple[str, ...] = ()
    pending_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "completed"

    def error(self) -> PrinterError | None:
        """The error to show for this outcome (None when completed)."""
        if self.ok:
            return None
        return _error_for(
            self.reasons,
            f"print job {self.job_id} on {self.role!r} {self.state}",
            role=self.role,
            pending_id=self.pending_id,
            default=PrintJobFailedError,
        )


def normalise_reasons(raw: object) -> tuple[str, ...]:
    """IPP printer-state-reasons → our names: suffix -error/-warning/-report dropped, aliases
    folded, "none" removed, order kept, no duplicates."""
    values = [raw] if isinstance(raw, str) else list(raw or ())
    out: list[str] = []
    for value in values:
        name = str(value)
        for suffix in ("-error", "-warning", "-report"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        name = _ALIASES.get(name, name)
        if name and name != "none" and name not in out:
            out.append(name)
    return tuple(out)


def _error_for(
    reasons: tuple[str, ...],
    message: str,
    *,
    role: str,
    pending_id: str | None = None,
    default: type[PrinterError] = PrinterOfflineError,
) -> PrinterError:
    if "media-empty" in reasons:
        cls: type[PrinterError] = PaperOutError
    elif set(reasons) & BLOCKING_REASONS:
        cls = PrinterOfflineError
    else:
        cls = default
    detail = f" ({', '.join(reasons)})" if reasons else ""
    return cls(f"{message}{detail}", role=role, reasons=reasons, pending_id=pending_id)


class Printer:
    """Print PDFs on the queue of a role; follow jobs; report status. See module invariants."""

    def __init__(self, config: PrinterConfig | None = None, pending: PendingPrints | None = None):
        self.config = config or PrinterConfig()
        self.pending = pending if pending is not None else PendingPrints()
        self._conn: cups.Connection | None = None
        self._tcp: tuple[str, int] | None = None
        self._lock = threading.RLock()

    # -- connection ------------------------------------------------------------------------
    def _connect(self) -> cups.Connection:
        if self._conn is None:
            server = self.config.server
            try:
                if server is None:
                    self._conn = cups.Connection()
                elif server.startswith("/"):
                    self._conn = cups.Connection(host=server)
                else:
                    host, _, port = server.rpartition(":")
                    if not host or not port.isdigit():
                        host, port = server, "631"
                    self._conn = cups.Connection(host=host, port=int(port))
                    self._tcp = (host, int(port))
            except RuntimeError as e:
                raise CupsUnavailableError(
                    f"cannot reach cupsd at {server or 'the default server'}: {e}"
                ) from e
        return self._conn

    def _call(self, role: str, what: str, fn):
        """Run `fn(conn)` under the lock, translating pycups errors; reconnect once."""
        with self._lock:
            for attempt in (1, 2):
                conn = self._connect()
                try:
                    return fn(conn)
                except (RuntimeError, cups.HTTPError, CupsConnectionLostError) as e:
                    self._conn = None
                    if attempt == 2:
                        raise CupsUnavailableError(
                            f"cupsd connection failed during {what}: {e}", role=role
                        ) from e
        raise AssertionError("unreachable")  # pragma: no cover

    def _queue(self, role: str) -> str:
        try:
            return self.config.queues[role]
        except KeyError:
            raise QueueMissingError(
                f"no printer queue configured for role {role!r}", role=role
            ) from None

    # -- status ----------------------------------------------------------------------------
    def status(self, role: str) -> PrinterStatus:
        queue = self._queue(role)

        def get(conn):
            try:
                return conn.getPrinterAttributes(queue, requested_attributes=_PRINTER_ATTRS)
            except cups.IPPError as e:
                _check_connection(e)
                if e.args and e.args[0] == cups.IPP_NOT_FOUND:
                    raise QueueMissingError(
                        f"CUPS queue {queue!r} for role {role!r} does not exist", role=role
                    ) from e
                raise PrinterOfflineError(
                    f"cannot read the state of queue {queue!r}: {_ipp_text(e)}", role=role
                ) from e

        attrs = self._call(role, "status", get)
        reasons = normalise_reasons(attrs.get("printer-state-reasons"))
        state = _PRINTER_STATES.get(int(attrs.get("printer-state", 3)), "idle")
        if state == "stopped" and "paused" not in reasons:
            reasons = ("paused", *reasons)
        return PrinterStatus(
            role=role,
            queue=queue,
            state=state,
            reasons=reasons,
            accepting=bool(attrs.get("printer-is-accepting-jobs", True)),
            message=str(attrs.get("printer-state-message", "") or ""),
        )

    # -- submit ----------------------------------------------------------------------------
    def print_document(
        self, role: str, pdf: bytes, title: str, *, keep_on_failure: bool = True
    ) -> PrintJob:
        """Submit `pdf` to the role's queue. Raises a `PrinterError`; unless the document is
        too large, a refused document is first kept in `pending` (`error.pending_id`).
        `title` names the document kind; cupsd gets it as `job_title(title)` (see `_title`).
        It goes into cupsd's job list and logs: never put personal data in it."""
        title = job_title(title)
        limit = self.config.max_document_bytes
        if len(pdf) > limit:
            raise DocumentTooLargeError(
                f"document of {len(pdf)} bytes exceeds the {limit}-byte limit for {role!r}",
                role=role,
                size=len(pdf),
                limit=limit,
            )
        try:
            queue = self._queue(role)
            status = self.status(role)
            if not status.ok:
                reasons = status.blocking or (() if status.accepting else ("not-accepting",))
                raise _error_for(reasons, f"printer {role!r} cannot print now", role=role)
            job_id = self._call(role, "submit", lambda conn: self._submit(conn, queue, title, pdf))
        except PrinterError as e:
            if keep_on_failure:
                e.pending_id = self.pending.add(role, pdf, title, e.reasons)
            raise
        _log.info(
            "print job %d submitted: role=%s queue=%s bytes=%d", job_id, role, queue, len(pdf)
        )
        return PrintJob(job_id=job_id, role=role, queue=queue, title=title, pdf=bytes(pdf))

    # -- follow ----------------------------------------------------------------------------
    def wait(
        self, job: PrintJob, timeout: float | None = None, *, keep_on_failure: bool = True
    ) -> JobState:
        """Follow `job` until it completes or fails; never raises for a failed job (see
        `JobState.error()`). Raises only when cupsd itself fails us (`CupsUnavailableError`,
        or the job vanished: `PrintJobFailedError`) — after keeping the document."""
        limit = self.config.job_timeout_s if timeout is None else timeout
        try:
            return self._follow(job, time.monotonic() + limit, keep_on_failure)
        except PrinterError as e:
            if keep_on_failure and e.pending_id is None:
                e.pending_id = self.pending.add(job.role, job.pdf, job.title, e.reasons)
            raise

    def _follow(self, job: PrintJob, deadline: float, keep_on_failure: bool) -> JobState:
        troubled_since: float | None = None
        while True:
            attrs = self._job_attrs(job)
            state = int(attrs.get("job-state", 0))
            if state == _JOB_COMPLETED:
                _log.info("print job %d completed: role=%s", job.job_id, job.role)
                return JobState(job.job_id, job.role, "completed")
            if state in (_JOB_ABORTED, _JOB_CANCELED):
                name = "aborted" if state == _JOB_ABORTED else "canceled"
                reasons = normalise_reasons(attrs.get("job-state-reasons"))
                return self._failed(job, name, reasons, keep_on_failure)
            status = self.status(job.role)
            troubled = bool(status.blocking) or state in (_JOB_HELD, _JOB_STOPPED)
            # This job's own message (not the printer's, which may be stale from an older job).
            job_message = str(attrs.get("job-printer-state-message", "") or "")
            troubled = troubled or _sounds_unreachable(job_message)
            now = time.monotonic()
            if troubled:
                troubled_since = troubled_since if troubled_since is not None else now
                if now - troubled_since >= self.config.offline_grace_s:
                    reasons = status.blocking or ("offline",)
                    return self._give_up(job, reasons, keep_on_failure)
            else:
                troubled_since = None
            if now >= deadline:
                return self._give_up(job, ("timed-out", *status.blocking), keep_on_failure)
            time.sleep(self.config.poll_interval_s)

    def print_and_wait(self, role: str, pdf: bytes, title: str, timeout: float | None = None):
        """Submit and follow; raises the `PrinterError` of a failed outcome."""
        state = self.wait(self.print_document(role, pdf, title), timeout=timeout)
        error = state.error()
        if error is not None:
            raise error
        return state

    def cancel(self, job: PrintJob) -> None:
        """Cancel the job in CUPS (already finished jobs are left as they are)."""

        def do(conn):
            try:
                conn.cancelJob(job.job_id)
            except cups.IPPError as e:
                _check_connection(e)
                if e.args and e.args[0] in (cups.IPP_NOT_POSSIBLE, cups.IPP_NOT_FOUND):
                    return
                raise PrintJobFailedError(
                    f"cannot cancel job {job.job_id}: {_ipp_text(e)}", role=job.role
                ) from e

        self._call(job.role, "cancel", do)

    def _submit(self, conn, queue: str, title: str, pdf: bytes) -> int:
        if self._tcp is None:
            return _submit(conn, queue, title, pdf)
        # pycups' Create-Job names the printer by a URI built from libcups' process-wide
        # server and port (cupsServer()/ippPort()), and cupsd over TCP refuses a URI that is
        # not its own: point them at our server for the call, then put them back.
        with _GLOBALS_LOCK:
            saved = (cups.getServer(), cups.getPort())
            cups.setServer(self._tcp[0])
            cups.setPort(self._tcp[1])
            try:
                return _submit(conn, queue, title, pdf)
            finally:
                cups.setServer(saved[0])
                cups.setPort(saved[1])

    def _job_attrs(self, job: PrintJob) -> dict:
        def get(conn):
            try:
                return conn.getJobAttributes(job.job_id, requested_attributes=_JOB_ATTRS)
            except cups.IPPError as e:
                _check_connection(e)
                raise PrintJobFailedError(
                    f"job {job.job_id} vanished from cupsd: {_ipp_text(e)}", role=job.role
                ) from e

        return self._call(job.role, "wait", get)

    def _give_up(self, job: PrintJob, reasons: tuple[str, ...], keep: bool) -> JobState:
        self.cancel(job)
        return self._failed(job, "stopped", reasons, keep)

    def _failed(self, job: PrintJob, state: str, reasons: tuple[str, ...], keep: bool) -> JobState:
        pending_id = self.pending.add(job.role, job.pdf, job.title, reasons) if keep else None
        _log.warning(
            "print job %d %s: role=%s reasons=%s", job.job_id, state, job.role, ",".join(reasons)
        )
        return JobState(job.job_id, job.role, state, reasons, pending_id)


# What the socket/ipp/lpd backends report (cupsd's own English) when the device cannot be
# reached; the backend keeps retrying with printer-state-reasons "none", so the message is all
# there is to tell a vanished printer from a slow one.
_UNREACHABLE_WORDS = ("unavailable", "not responding", "unable to", "offline", "not connected")


def _check_connection(e: cups.IPPError) -> None:
    if e.args and e.args[0] == cups.IPP_SERVICE_UNAVAILABLE:
        raise CupsConnectionLostError(str(e)) from e


def _sounds_unreachable(message: str) -> bool:
    text = message.lower()
    return any(word in text for word in _UNREACHABLE_WORDS)


def _submit(conn, queue: str, title: str, pdf: bytes) -> int:
    try:
        job_id = conn.createJob(queue, title, {})
    except cups.IPPError as e:
        raise _submit_error(e, queue) from e
    try:
        conn.startDocument(queue, job_id, title, "application/pdf", 1)
        conn.writeRequestData(pdf, len(pdf))
        status = conn.finishDocument(queue)
    except cups.IPPError as e:
        _cancel_quietly(conn, job_id)
        raise _submit_error(e, queue) from e
    if status != cups.IPP_OK:
        _cancel_quietly(conn, job_id)
        raise PrintJobFailedError(f"cupsd refused the document for {queue!r} (IPP status {status})")
    return int(job_id)


def _submit_error(e: cups.IPPError, queue: str) -> PrinterError:
    code = e.args[0] if e.args else None
    if code == cups.IPP_SERVICE_UNAVAILABLE:
        return CupsUnavailableError(f"cupsd went away while submitting to {queue!r}")
    if code == cups.IPP_NOT_FOUND:
        return QueueMissingError(f"CUPS queue {queue!r} does not exist")
    if code in (cups.IPP_NOT_ACCEPTING, cups.IPP_PRINTER_IS_DEACTIVATED):
        return PrinterOfflineError(f"queue {queue!r} is not accepting jobs", reasons=("offline",))
    return PrintJobFailedError(f"cupsd refused the job for {queue!r}: {_ipp_text(e)}")


def _cancel_quietly(conn, job_id: int) -> None:
    try:
        conn.cancelJob(job_id)
    except (cups.IPPError, RuntimeError):
        _log.warning("could not cancel half-submitted job %d", job_id)


def _ipp_text(e: cups.IPPError) -> str:
    if len(e.args) >= 2:
        return f"{e.args[1]} (IPP {e.args[0]})"
    return str(e)
