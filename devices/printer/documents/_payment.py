"""The payment slip (pay at the counter) and the payment receipt (paid at this terminal).

Invariants:
- The total is the sum of the lines (`PaymentSlipInfo` refuses anything else), so the amount
  printed is the amount the screen showed and the terminal charged.
- A receipt (`paid`) says how it was paid and the terminal's transaction number; a slip (not
  paid) says where to pay. Neither carries a name, address or birth date.
- Validation raises `DocumentDataError`; no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.printer.documents._block import Block
from devices.printer.documents._common import DocumentInfo, header, require_text
from devices.printer.errors import DocumentDataError
from madoguchi.core.i18n import Translator

__all__ = ["PAYMENT_MSGIDS", "PaymentItem", "PaymentSlipInfo", "payment_slip"]

PAYMENT_METHODS = ("counter", "terminal")
PAYMENT_MSGIDS: tuple[str, ...] = (
    "Payment slip",
    "Payment receipt",
    "{name} x {copies}",
    "Total",
    "Amount to pay",
    "Paid by cashless payment at this terminal",
    "Transaction number",
    "Pay at: {office}",
    "Please pay at the counter with this slip. Your certificate is handed over there once paid.",
    "Keep this receipt as proof of payment.",
)


@dataclass(frozen=True, kw_only=True)
class PaymentItem:
    name: str
    copies: int
    fee_yen: int  # for all copies of this line

    def __post_init__(self) -> None:
        require_text(self, "name")
        if type(self.copies) is not int or not 1 <= self.copies <= 20:
            raise DocumentDataError("PaymentItem.copies must be 1..20")
        if type(self.fee_yen) is not int or not 0 <= self.fee_yen <= 1_000_000:
            raise DocumentDataError("PaymentItem.fee_yen must be 0..1,000,000")


@dataclass(frozen=True, kw_only=True)
class PaymentSlipInfo(DocumentInfo):
    reference: str
    items: tuple[PaymentItem, ...]
    total_yen: int
    method: str  # one of PAYMENT_METHODS
    paid: bool = False
    transaction_id: str = ""
    office: str = ""  # where to pay (a slip)

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self, "reference", 64)
        if not self.items or len(self.items) > 10:
            raise DocumentDataError("PaymentSlipInfo.items must hold 1..10 lines")
        if self.total_yen != sum(i.fee_yen for i in self.items) or self.total_yen <= 0:
            raise DocumentDataError("PaymentSlipInfo.total_yen must be the sum of the lines (> 0)")
        if self.method not in PAYMENT_METHODS:
            raise DocumentDataError(f"PaymentSlipInfo.method must be one of {PAYMENT_METHODS}")
        if self.paid != (self.method == "terminal"):
            raise DocumentDataError("only a terminal payment is printed as paid")
        if self.paid:
            require_text(self, "transaction_id", 64)
        if len(self.office) > 200:
            raise DocumentDataError("PaymentSlipInfo.office longer than 200 characters")


def _yen(t: Translator, amount: int) -> str:
    return t.format("{amount} yen", amount=f"{amount:,}")


def payment_slip(t: Translator, info: PaymentSlipInfo) -> list[Block]:
    blocks = header(t, info, "Payment receipt" if info.paid else "Payment slip")
    blocks.append(Block("field", t.gettext("Reference number"), info.reference, size=16))
    for item in info.items:
        name = t.format("{name} x {copies}", name=item.name, copies=item.copies)
        blocks.append(Block("row", name, _yen(t, item.fee_yen)))
    label = "Total" if info.paid else "Amount to pay"
    blocks += [Block("rule"), Block("field", t.gettext(label), _yen(t, info.total_yen), size=20)]
    if info.paid:
        blocks += [
            Block("text", t.gettext("Paid by cashless payment at this terminal")),
            Block("row", t.gettext("Transaction number"), info.transaction_id),
            Block("rule"),
            Block("small", t.gettext("Keep this receipt as proof of payment.")),
        ]
        return blocks
    if info.office:
        blocks.append(Block("text", t.format("Pay at: {office}", office=info.office)))
    blocks += [
        Block("qr", info.reference),
        Block("rule"),
        Block(
            "text",
            t.gettext(
                "Please pay at the counter with this slip. "
                "Your certificate is handed over there once paid."
            ),
        ),
    ]
    return blocks
