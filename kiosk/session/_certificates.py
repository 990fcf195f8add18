"""The certificates flow: kind, copies, purpose and options; after the card's JPKI
authentication (the card flow), central issues and the document prints after payment, or the
request is queued as a claim when central does not answer (`KioskSession.flows.certificates`).

Invariants:
- A certificate that needs a printer that cannot print now is refused before the card step, with
  the counter to go to; so is a bad number of copies, purpose or option (a notice names it).
- Online with central's challenge signed: central issues and the document prints after payment
  (`_payment`). Otherwise the request is queued as a claim carrying the order only (no card
  data, no signature) and the claim slip says to bring the card to the counter.
- The flow keeps no state of its own: the order, the authentication and the payment are the
  session's `VisitState`.
"""

from __future__ import annotations

from typing import Any

from kiosk.session._base import _SessionCore
from kiosk.session._disk import stop_if_disk_full
from kiosk.session._forms import readable_reference, stamp
from kiosk.session._payment import printers_missing, settle_and_print
from kiosk.session.ports import (
    PortOfflineError,
    PortOutboxFullError,
    PortPrintError,
    PortRefusedError,
)
from kiosk.session.steps import CardPurpose, CertificateOrder, NoticeCode, Step

__all__ = ["CertificatesFlow"]


class CertificatesFlow:
    """Certificates: choose the kind, copies, purpose and options; the card's JPKI
    authentication, payment and printing follow (online), or a claim slip (offline)."""

    __slots__ = ("_s",)

    def __init__(self, session: _SessionCore) -> None:
        self._s = session  # the KioskSession (typed as its core: no import of the session)

    def open(self) -> bool:
        return self._s.open_certificates()

    def where_next(self, certificate_id: str) -> dict[str, Any]:
        return self._s.certificate_where_next(certificate_id)

    def choose(
        self, certificate_id: str, copies: int, purpose: str | None, options: dict | None = None
    ) -> bool:
        """`options`: what to print (see `CertificateOrder.options`); central refuses bad ones."""
        s = self._s
        cert = s.catalog.certificates.get(certificate_id)
        if s.step is not Step.CERTIFICATE_CHOOSE or cert is None:
            return False
        s.touch()
        ok_purpose = purpose in {p.id for p in cert.purposes} if cert.purposes else purpose is None
        ok_options = options is None or (
            isinstance(options, dict)
            and len(options) <= 8
            and all(
                isinstance(k, str) and isinstance(v, bool | str | int) for k, v in options.items()
            )
        )
        if not (isinstance(copies, int) and 1 <= copies <= cert.max_copies) or not ok_purpose:
            s._notice(NoticeCode.INVALID_VALUE, field="copies" if ok_purpose else "purpose")
            s._changed()
            return False
        if not ok_options:
            s._notice(NoticeCode.INVALID_VALUE, field="options")
            s._changed()
            return False
        if stop_if_disk_full(s):
            return False
        missing = self.printers_missing()
        if missing:  # refused before the card and PIN, with where to go instead
            where = s.certificate_where_next(cert.id).get("office") or ""
            s._notice(NoticeCode.PRINTER_UNAVAILABLE, roles=list(missing), office=where)
            s._changed()
            return False
        s.certificate = CertificateOrder(
            cert.id, copies, purpose, cert.fee_yen * copies, dict(options or {})
        )
        s.card_purpose = CardPurpose.JPKI
        s.flows.card.enter_place_card()
        return True

    def printers_missing(self) -> tuple[str, ...]:
        """The printer roles a certificate needs that cannot print now (the screen marks it)."""
        s = self._s
        return printers_missing(s.printer, s.ports.payment)

    def issue(self) -> None:
        """Online with central's challenge signed: central issues and the document prints.
        Otherwise the request is queued as a claim: the record carries the order only (no card
        data, no signature, which could never stand for a certificate by itself) and the claim
        slip says to bring the card to the counter, where it is checked again."""
        s = self._s
        order, auth, lang = s.certificate, s._auth, s.language
        assert order is not None and auth is not None
        cert = s.catalog.certificates[order.certificate_id]
        claim_next = s.certificate_where_next(order.certificate_id)  # counter, what to bring
        request = {
            "certificate": order.certificate_id,
            "copies": order.copies,
            "purpose": order.purpose,
            "options": order.options,
            "fee_yen": order.fee_yen,
            "language": lang,
            "requested_at": s._wall_clock(),
        }
        s._auth = None
        s._go(Step.ISSUING)
        refused = auth.get("refused")
        params = {**request, **auth} if auth and refused is None else None
        settled: list[dict[str, Any] | None] = [None]  # the payment step's result (job → done)

        def job() -> tuple[str, Any, PortPrintError | None]:
            if refused is not None:
                return "refused", refused, None
            try:
                if params is None or s.ports.online is None:
                    raise PortOfflineError("no challenge from central: queued as a claim")
                reply = s.ports.online.request(
                    "certificate.issue", params, s.config.online_timeout_s
                )
            except PortOfflineError:
                claim = {**request, "claim": "verify_card_at_counter"}
                appended = s.ports.outbox.append("certificate_request", claim)
                reference = readable_reference(s, appended.seq)
                slip = {
                    "certificate": order.certificate_id,
                    "reference": reference,
                    "qr": reference,
                    "title": cert.name[lang],
                    "copies": order.copies,
                    "fee_yen": order.fee_yen,
                    "date": stamp(s),
                    **claim_next,
                }
                try:
                    s._print("claim_slip", slip)
                except PortPrintError as e:
                    return "queued", reference, e
                return "queued", reference, None
            except PortRefusedError as e:
                return "refused", e.reason, None
            document = {
                "certificate": order.certificate_id,
                "title": cert.name[lang],
                "copies": order.copies,
                "document": reply,
            }
            # Paid first (or a payment slip for the counter), then printed: _payment.py.
            outcome, detail, print_error, settled[0] = settle_and_print(
                s.ports.payment,
                order,
                document,
                str(reply.get("reference") or ""),
                claim_next,
                s._print,
            )
            return outcome, detail, print_error

        def done(result: Any, error: BaseException | None) -> None:
            s.payment = settled[0]  # set here, on the session's thread
            if isinstance(error, PortOutboxFullError):
                s._go(Step.CERTIFICATE_CHOOSE)
                s._notice(NoticeCode.OUTBOX_FULL)
                return
            if error is not None:
                raise error
            outcome, detail, print_error = result
            if outcome == "payment_failed":  # nothing was charged and nothing printed
                s._go(Step.SERVICE_ERROR)
                s._notice(NoticeCode.PAYMENT_FAILED, reason=detail)
                return
            if outcome == "refused":
                s._go(Step.SERVICE_ERROR)
                if detail == "revoked_certificate":  # central's CRL knew it: say so plainly
                    s.last_card_refusal = detail
                    s._notice(NoticeCode.CARD_REVOKED, reason=detail)
                else:
                    s._notice(NoticeCode.REFUSED, reason=detail)
                return
            s.reference = detail
            s.receipt_printed = print_error is None
            if outcome in ("queued", "pay_at_counter"):  # the certificate waits at the counter
                s._go(Step.CLAIM_SLIP)
                if outcome == "queued":
                    s._notice(NoticeCode.OFFLINE_QUEUED)
            else:
                s._go(Step.CERTIFICATE_PRINTED)
            if print_error is not None:
                s._notice(NoticeCode.PRINTER_FAILED, reasons=list(print_error.reasons))

        s._run(job, done)
