"""The per-kind calls both renderers offer (`DocumentRenderer` in process, `RemoteRenderer`
through the worker): each one is `render(kind, info, **options)`, which the renderer defines."""

from __future__ import annotations

from devices.printer.documents._kinds import (
    CertificateInfo,
    ChecklistInfo,
    ClaimSlipInfo,
    DocumentInfo,
    NoticesInfo,
    PaymentSlipInfo,
    ReceiptInfo,
    SlipInfo,
    TicketInfo,
)

__all__ = ["DocumentMethods"]


class DocumentMethods:
    def render(self, kind: str, info: DocumentInfo, **options: str) -> bytes:
        raise NotImplementedError

    def receipt(self, info: ReceiptInfo) -> bytes:
        """80 mm roll, any length: reference number, procedure names, QR. No address."""
        return self.render("receipt", info)

    def queue_ticket(self, info: TicketInfo) -> bytes:
        return self.render("queue_ticket", info)

    def consultation_slip(self, info: SlipInfo) -> bytes:
        return self.render("consultation_slip", info)

    def checklist(self, info: ChecklistInfo, paper: str = "80mm") -> bytes:
        """On the 80 mm roll, or on A4 (`paper="A4"`)."""
        return self.render("checklist", info, paper=paper)

    def certificate(self, info: CertificateInfo) -> bytes:
        """A4, holder data, an "issued by" block and a verification code."""
        return self.render("certificate", info)

    def claim_slip(self, info: ClaimSlipInfo) -> bytes:
        """Certificate request received (queued, or issued and ready at the counter)."""
        return self.render("claim_slip", info)

    def payment_slip(self, info: PaymentSlipInfo) -> bytes:
        """80 mm roll: the amount to pay at the counter, or the receipt of a terminal payment."""
        return self.render("payment_slip", info)

    def notices(self, info: NoticesInfo) -> bytes:
        """80 mm roll: the shelter's notices in the reader's language."""
        return self.render("notices", info)
