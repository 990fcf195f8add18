"""The payment step of a certificate issued online, between central's answer and the printer.

Invariants:
- Nothing is printed before the payment is settled: with the "counter" method only a payment
  slip prints (amount, reference QR, where to pay) and the certificate waits at the counter;
  with a terminal, the certificate prints only after `charge` returned `Paid` for the order's
  exact fee; a declined, cancelled, timed-out or offline payment prints nothing.
- A certificate that fails to print after payment is recorded for staff through
  `PaymentPort.record_incident` (reference, amount, method, transaction id, printer reasons).
- The amount charged and printed is `CertificateOrder.fee_yen`: the total the screen showed.
- A fee of 0 or no payment port: the certificate prints as before (no payment step).
Plain functions over the session's ports; no Kivy, no devices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.session.ports import Paid, PaymentPort, PortPaymentError, PortPrintError
from kiosk.session.steps import CertificateOrder

__all__ = ["printers_missing", "settle_and_print"]

Print = Callable[[str, dict[str, Any]], None]


def _slip(order: CertificateOrder, title: str, reference: str, where: dict[str, Any]) -> dict:
    return {
        "reference": reference,
        "certificate": order.certificate_id,
        "items": [{"title": title, "copies": order.copies, "fee_yen": order.fee_yen}],
        "amount_yen": order.fee_yen,
        "method": "counter",
        "office": where.get("office") or "",
    }


def printers_missing(printer: Any, payment: PaymentPort | None) -> tuple[str, ...]:
    """The printer roles a certificate needs that cannot print now (`PrinterState.role_ok`):
    paying at the counter prints only the payment slip (receipt roll); otherwise the A4
    certificate and the receipt roll (slip or receipt) are both needed."""
    counter = payment is not None and payment.method == "counter"
    need = ("receipt",) if counter else ("document", "receipt")
    return tuple(role for role in need if not printer.role_ok(role))


def settle_and_print(
    payment: PaymentPort | None,
    order: CertificateOrder,
    document: dict[str, Any],
    reference: str,
    where: dict[str, Any],
    print_job: Print,
) -> tuple[str, str, PortPrintError | None, dict[str, Any] | None]:
    """(outcome, detail, print error, payment) for an issued certificate. outcome: "issued"
    (printed, or failed to print: see the error), "pay_at_counter" (a payment slip printed),
    "payment_failed" (detail: the reason; nothing printed)."""
    title = str(document.get("title") or order.certificate_id)
    if payment is None or order.fee_yen <= 0:
        try:
            print_job("certificate", document)
        except PortPrintError as e:
            return "issued", reference, e, None
        return "issued", reference, None, None
    if payment.method == "counter":
        due = {"method": "counter", "amount_yen": order.fee_yen, "status": "due"}
        try:
            print_job("payment_slip", _slip(order, title, reference, where))
        except PortPrintError as e:
            return "pay_at_counter", reference, e, due
        return "pay_at_counter", reference, None, due
    try:
        paid: Paid = payment.charge(order.fee_yen, reference)
    except PortPaymentError as e:
        failed = {"method": payment.method, "amount_yen": order.fee_yen, "status": e.reason}
        return "payment_failed", e.reason, None, failed
    done = {"method": paid.method, "amount_yen": paid.amount_yen, "status": "paid",
            "transaction_id": paid.transaction_id}  # fmt: skip
    try:
        print_job("certificate", document)
    except PortPrintError as e:
        payment.record_incident({"reference": reference, "amount_yen": paid.amount_yen,
                                 "method": paid.method, "transaction_id": paid.transaction_id,
                                 "reasons": list(e.reasons), "document": order.certificate_id})  # fmt: skip
        return "issued", reference, e, done
    receipt = {**_slip(order, title, reference, where), "method": paid.method,
               "amount_yen": paid.amount_yen, "transaction_id": paid.transaction_id}  # fmt: skip
    try:
        print_job("payment_slip", receipt)
    except PortPrintError as e:
        return "issued", reference, e, done
    return "issued", reference, None, done
