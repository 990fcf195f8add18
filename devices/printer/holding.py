"""Documents held back for a reprint: the session's last prints and the staff's pending prints.

Invariants:
- Both holders keep documents in process memory only; nothing is ever written to disk, so a
  certificate or receipt never lies in plaintext on the terminal's storage. The price: a reboot
  drops pending prints (staff are told how many were held; the resident's receipt data is in the
  outbox, the PDF is re-rendered from it if needed).
- `SessionPrints.wipe()` drops every byte it held; the kiosk calls it when the session ends.
- `PendingPrints` never drops a document silently: it removes one only when a reprint has
  completed, when staff discard it, or when the byte budget forces out the oldest (counted in
  `evicted` and logged without content).
- Thread-safe: the printer's wait loop and the staff screen may touch them concurrently.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from devices.printer.errors import PrinterError

__all__ = ["HeldDocument", "PendingPrints", "SessionPrints"]

_log = logging.getLogger(__name__)


class _Printer(Protocol):
    """What a holder needs of `devices.printer.Printer`: a protocol rather than an import, so
    `_cups` (which keeps failed documents in a `PendingPrints`) and this module form no cycle."""

    def print_document(
        self, role: str, pdf: bytes, title: str, *, keep_on_failure: bool = True
    ) -> Any: ...

    def wait(
        self, job: Any, timeout: float | None = None, *, keep_on_failure: bool = True
    ) -> Any: ...


@dataclass(frozen=True)
class HeldDocument:
    """One rendered document kept for a reprint (bytes in memory only)."""

    id: str
    role: str
    title: str
    pdf: bytes = field(repr=False)
    reasons: tuple[str, ...] = ()
    held_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def size(self) -> int:
        return len(self.pdf)


class SessionPrints:
    """The documents printed in the current session (newest last), until `wipe()`."""

    def __init__(self, keep: int = 3) -> None:
        self._keep = max(1, keep)
        self._docs: list[HeldDocument] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def remember(self, role: str, pdf: bytes, title: str) -> HeldDocument:
        doc = HeldDocument(id=f"s{next(self._ids)}", role=role, title=title, pdf=bytes(pdf))
        with self._lock:
            self._docs.append(doc)
            del self._docs[: -self._keep]
        return doc

    def last(self, role: str | None = None) -> HeldDocument | None:
        with self._lock:
            for doc in reversed(self._docs):
                if role is None or doc.role == role:
                    return doc
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._docs)

    def reprint_last(self, printer: _Printer, role: str | None = None):
        """Submit the session's last document (of `role`) again; `LookupError` if none."""
        doc = self.last(role)
        if doc is None:
            raise LookupError("nothing printed in this session")
        return printer.print_document(doc.role, doc.pdf, doc.title)

    def wipe(self) -> None:
        with self._lock:
            self._docs.clear()


class PendingPrints:
    """Documents that could not print, kept in memory for a staff reprint.

    `max_bytes` bounds the memory held; beyond it the oldest document is evicted (logged,
    counted). A reprint removes the document only once its job completed.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.evicted = 0
        self._docs: OrderedDict[str, HeldDocument] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, role: str, pdf: bytes, title: str, reasons: tuple[str, ...] = ()) -> str:
        with self._lock:
            doc = HeldDocument(
                id=f"p{next(self._ids)}",
                role=role,
                title=title,
                pdf=bytes(pdf),
                reasons=tuple(reasons),
            )
            self._docs[doc.id] = doc
            while sum(d.size for d in self._docs.values()) > self.max_bytes and len(self._docs) > 1:
                old_id, _ = self._docs.popitem(last=False)
                self.evicted += 1
                _log.warning("pending print %s evicted: pending budget exceeded", old_id)
        _log.info(
            "document kept for staff reprint: id=%s role=%s reasons=%s", doc.id, role, reasons
        )
        return doc.id

    def get(self, pending_id: str) -> HeldDocument:
        with self._lock:
            try:
                return self._docs[pending_id]
            except KeyError:
                raise LookupError(f"no pending print {pending_id!r}") from None

    def list(self) -> list[HeldDocument]:
        with self._lock:
            return list(self._docs.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._docs)

    def discard(self, pending_id: str) -> None:
        with self._lock:
            self._docs.pop(pending_id, None)

    def reprint(self, pending_id: str, printer: _Printer, timeout: float | None = None):
        """Print a pending document again and wait; it leaves the list only if the job
        completed. On failure it stays (with the new reasons) and the error is raised."""
        doc = self.get(pending_id)
        try:
            job = printer.print_document(doc.role, doc.pdf, doc.title, keep_on_failure=False)
        except PrinterError as e:
            e.pending_id = pending_id
            raise
        state = printer.wait(job, timeout=timeout, keep_on_failure=False)
        if state.ok:
            self.discard(pending_id)
            return state
        with self._lock:
            if pending_id in self._docs:
                self._docs[pending_id] = HeldDocument(
                    id=doc.id,
                    role=doc.role,
                    title=doc.title,
                    pdf=doc.pdf,
                    reasons=state.reasons,
                    held_at=doc.held_at,
                )
        error = state.error()
        if error is not None:
            error.pending_id = pending_id
            raise error
        return state
