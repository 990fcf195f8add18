"""Printed documents as PDF bytes: receipt, queue ticket, consultation slip, checklist,
certificate, claim slip — in any of the kiosk's seven languages, with a QR code of the
reference number.

Two renderers with the same methods (`receipt(info)`, ..., `render(kind, info)`):
- `DocumentRenderer` renders in this process. It opens the CJK font once (`FontSource`) and
  reuses it for every document; each PDF embeds only the glyphs it uses. Rendering does no I/O
  besides reading the font and the catalogs once; the PDF never touches the disk.
- `RemoteRenderer` renders in a child process (`python -m devices.printer.documents.worker`)
  over a pipe, so a process that prints (the kiosk UI) never loads the PDF stack and the font.

Importing this package is light: the info dataclasses, `KINDS`, `MSGIDS` and `qr_matrix` (a
QR code's modules, for the kiosk screen too) need no PDF library; `DocumentRenderer` and `FontSource` are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from devices.printer.documents._kinds import (
    CERTIFICATES,
    KINDS,
    LOCALE_DIR,
    MSGIDS,
    SAMPLE_MARK,
    TOPICS,
    CertificateInfo,
    CertificateMember,
    ChecklistInfo,
    ChecklistItem,
    ClaimSlipInfo,
    DocumentInfo,
    NoticeItem,
    NoticesInfo,
    PaymentItem,
    PaymentSlipInfo,
    ReceiptInfo,
    SlipInfo,
    TaxYear,
    TicketInfo,
    is_sample,
)
from devices.printer.documents._qr import qr_matrix
from devices.printer.documents._samples import sample_info
from devices.printer.documents.remote import RemoteRenderer, RendererUnavailableError
from madoguchi.core.lazy import lazy_exports

if TYPE_CHECKING:
    from devices.printer.documents._font import FontSource
    from devices.printer.documents._renderer import DocumentRenderer

__all__ = [
    "sample_info",
    "CERTIFICATES",
    "KINDS",
    "LOCALE_DIR",
    "MSGIDS",
    "SAMPLE_MARK",
    "TOPICS",
    "CertificateInfo",
    "CertificateMember",
    "ChecklistInfo",
    "ChecklistItem",
    "ClaimSlipInfo",
    "DocumentInfo",
    "DocumentRenderer",
    "FontSource",
    "PaymentItem",
    "NoticeItem",
    "NoticesInfo",
    "PaymentSlipInfo",
    "ReceiptInfo",
    "RemoteRenderer",
    "RendererUnavailableError",
    "SlipInfo",
    "TaxYear",
    "TicketInfo",
    "is_sample",
    "qr_matrix",
]

_LAZY = {
    "DocumentRenderer": "devices.printer.documents._renderer",
    "FontSource": "devices.printer.documents._font",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
