"""The kiosk's printers through CUPS (pycups), and the documents they print.

Roles ("receipt": 80 mm roll, "document": A4) map to CUPS queues by `PrinterConfig`. `Printer`
submits PDFs, follows jobs, reads status and cancels; documents that cannot print are kept in
memory (`PendingPrints`) for a staff reprint; `SessionPrints` holds a session's last prints until
`wipe()`. `devices.printer.documents.DocumentRenderer` renders the PDFs. `cups` is imported only
by `devices/printer/_cups.py` (importing this package imports it; pycups has no import-time
side effects).
"""

from devices.printer._cups import (
    BLOCKING_REASONS,
    JobState,
    Printer,
    PrinterConfig,
    PrinterStatus,
    PrintJob,
    normalise_reasons,
)
from devices.printer._title import job_title
from devices.printer.errors import (
    CupsUnavailableError,
    DocumentDataError,
    DocumentTooLargeError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrintJobFailedError,
    QueueMissingError,
)
from devices.printer.holding import HeldDocument, PendingPrints, SessionPrints

__all__ = [
    "BLOCKING_REASONS",
    "CupsUnavailableError",
    "DocumentDataError",
    "DocumentTooLargeError",
    "HeldDocument",
    "JobState",
    "PaperOutError",
    "PendingPrints",
    "PrintJob",
    "PrintJobFailedError",
    "Printer",
    "PrinterConfig",
    "PrinterError",
    "PrinterOfflineError",
    "PrinterStatus",
    "QueueMissingError",
    "SessionPrints",
    "job_title",
    "normalise_reasons",
]
