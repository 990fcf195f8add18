"""Printer errors: one root (`PrinterError`) with the printer's reasons as structured data.

Every pycups exception (`cups.IPPError`, `RuntimeError` from a failed connection) is translated
into one of these where pycups is called (`devices/printer/_cups.py`); the kiosk never sees a
`cups` type. Messages name the role and queue, never the document's content. When a document
could not be printed and was kept for staff reprint, `pending_id` says where it is.
"""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = [
    "CupsUnavailableError",
    "DocumentDataError",
    "DocumentTooLargeError",
    "PaperOutError",
    "PrintJobFailedError",
    "PrinterError",
    "PrinterOfflineError",
    "QueueMissingError",
    "RendererUnavailableError",
]


class PrinterError(MadoguchiError):
    """A document could not be printed. `reasons` are normalised printer-state reasons
    (e.g. "media-empty", "offline", "paused"); `pending_id` is set when the document was kept
    in `PendingPrints` for staff reprint."""

    def __init__(
        self,
        message: str,
        *,
        role: str = "",
        reasons: tuple[str, ...] = (),
        pending_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.role = role
        self.reasons = tuple(reasons)
        self.pending_id = pending_id


class PrinterOfflineError(PrinterError):
    """The printer is disabled, unreachable, or reports offline / cover open / jam."""


class PaperOutError(PrinterError):
    """The printer reports media-empty (out of paper), before or during the job."""


class CupsUnavailableError(PrinterError):
    """cupsd cannot be reached (not running, wrong server)."""


class QueueMissingError(PrinterError):
    """The CUPS queue configured for this role does not exist (or the role is unknown)."""


class DocumentTooLargeError(PrinterError):
    """The document is larger than `PrinterConfig.max_document_bytes`; nothing was sent."""

    def __init__(self, message: str, *, role: str = "", size: int = 0, limit: int = 0) -> None:
        super().__init__(message, role=role)
        self.size = size
        self.limit = limit


class PrintJobFailedError(PrinterError):
    """The job was accepted but ended aborted, canceled or stuck (see `reasons`)."""


class DocumentDataError(PrinterError):
    """The data given to a document renderer is invalid (unknown language, empty field, ...)."""


class RendererUnavailableError(PrinterError):
    """The render worker could not produce the document (crashed twice, or timed out)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reasons=("renderer-unavailable",))


# Internal signals: raised and caught inside devices/printer, never seen by a caller (they are
# not `PrinterError`s so that no caller's `except PrinterError` can swallow one by mistake).


class CupsConnectionLostError(Exception):
    """cupsd went away under an open connection (pycups reports it as an IPP status)."""


class FrameError(Exception):
    """The pipe to the render worker broke, closed, or carried a frame that is too large."""


class RenderTimeoutError(Exception):
    """The render worker did not answer before the deadline."""
