"""`PrinterPort` over the printer and a document renderer: session print jobs become document
infos (no card data on paper but a certificate holder's, when central sent it).

A certificate prints what central's reply carries for the options the resident chose (household,
head and relationship, domicile, moved-in date, My Number; seal number and impression; the tax
year) and, from the signed config bundle's `city` when set, the issuing city, the mayor's name
and the official seal image; its QR code holds central's signed verification reference."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from kiosk.session.ports import (
    PortPrintError,
    PrinterState,
    PrintJob,
)

_CERT_KINDS = {
    "resident_record": "residence",
    "resident_record_items": "residence",
    "seal_certificate": "seal",
    "tax_certificate": "tax",
}
_TOPICS = {"child_care": "child-care"}
# Older checklist jobs carry only the catalog's completion kind, never a done state.
_WHERE = {"kiosk": "here", "prefill": "prefill", "online": "online", "office": "office"}


def _date(value: Any) -> _dt.date | None:
    return _dt.date.fromisoformat(value) if value else None


def _checklist_item(d: Any, i: dict[str, Any]) -> Any:
    return d.ChecklistItem(
        name=i["name"],
        where=i.get("state") or _WHERE[i["where"]],
        office=i.get("office") or "",
        name_ja=i.get("name_ja") or "",
        reference=i.get("reference") or "",
        deadline=i.get("deadline") or "",
        due=_date(i.get("due")),
        documents=tuple(i.get("documents") or ()),
        fee_yen=int(i.get("fee_yen") or 0),
        url=i.get("url") or "",
        confirm=bool(i.get("confirm")),
    )


def _certificate_fields(d: Any, holder: dict[str, Any]) -> dict[str, Any]:
    """The CertificateInfo fields of the options central passed on in `holder`."""
    out: dict[str, Any] = {
        k: str(holder[k])
        for k in ("head_of_household", "relationship", "domicile", "domicile_head", "my_number")
        if holder.get(k)
    }
    if holder.get("moved_in"):
        out["moved_in"] = _dt.date.fromisoformat(holder["moved_in"])
    if holder.get("household"):
        out["members"] = tuple(
            d.CertificateMember(
                name=m["name"],
                birth_date=_dt.date.fromisoformat(m["birth_date"]),
                relationship=m.get("relationship") or "",
                moved_in=_date(m.get("moved_in")),
                my_number=m.get("my_number") or "",
            )
            for m in holder["household"]
        )
    if holder.get("seal_number"):
        out["seal_number"] = str(holder["seal_number"])
    if holder.get("seal_png_b64"):
        out["impression_png_b64"] = str(holder["seal_png_b64"])
    if isinstance(holder.get("tax"), dict):
        out["tax"] = d.TaxYear(
            **{k: int(holder["tax"][k]) for k in ("fiscal_year", "income_yen", "tax_yen")}
        )
    return out


def _next_steps(data: dict[str, Any]) -> dict[str, Any]:
    """The receipt's 'what next' fields from a session job (absent in older jobs)."""
    return {
        "completion": data.get("completion") or "",
        "office": data.get("office") or "",
        "deadline": data.get("deadline") or "",
        "due": _date(data.get("due")),
        "documents": tuple(data.get("documents") or ()),
    }


class PrinterAdapter:
    """`PrinterPort` over `devices.printer.Printer` + `DocumentRenderer`.

    Failed jobs stay in the printer's `pending` holder (staff reprint); printed ones are kept in
    `session_prints` until `wipe_session()`."""

    def __init__(
        self,
        printer: Any,
        renderer: Any,
        *,
        city_name: str,
        center_name: str,
        session_prints: Any = None,
        wait_timeout_s: float | None = 30.0,
        now: Callable[[], _dt.datetime] = _dt.datetime.now,
        city: Callable[[], dict[str, str] | None] | None = None,
    ) -> None:
        from devices.printer import SessionPrints

        self.printer = printer
        self.renderer = renderer
        self.city_name = city_name
        self.center_name = center_name
        self.session_prints = session_prints if session_prints is not None else SessionPrints()
        self.wait_timeout_s = wait_timeout_s
        self._now = now
        self._city = city  # the signed config's {name, mayor, seal_png_b64}, or None

    def render(self, job: PrintJob) -> tuple[str, bytes, str]:
        """(role, pdf, title) for a session print job."""
        from devices.printer import documents as d

        base = {
            "language": job.language,
            "city_name": self.city_name,
            "center_name": self.center_name,
            "issued_at": self._now(),
        }
        data = job.data
        r = self.renderer
        if job.kind == "receipt":
            info = d.ReceiptInfo(
                **base,
                reference=data["reference"],
                procedures=(data["title"],),
                **_next_steps(data),
            )
            return "receipt", r.receipt(info), "receipt"
        if job.kind == "checklist":
            info = d.ChecklistInfo(
                **base,
                life_event=data["title"],
                items=tuple(_checklist_item(d, i) for i in data["items"]),
                event_date=_date(data.get("event_date")),
                event_date_label=data.get("event_date_label") or "",
            )
            return "receipt", r.checklist(info), "checklist"
        if job.kind == "queue_ticket":
            info = d.TicketInfo(
                **base, ticket_number=str(data["number"]), waiting=data["waiting_before"]
            )
            return "receipt", r.queue_ticket(info), "ticket"
        if job.kind == "notices":  # the shelter screen's notices, already in the reader's words
            items = tuple(d.NoticeItem(kind=str(n["kind"]), text=str(n["text"]),
                                       city=bool(n.get("city"))) for n in data["items"])  # fmt: skip
            return "receipt", r.notices(d.NoticesInfo(**base, items=items)), "notices"
        if job.kind == "consultation_slip":
            if data.get("start"):
                info = d.SlipInfo(
                    **base,
                    reference=data["reference"],
                    topic=_TOPICS.get(data["topic"], data["topic"]),
                    starts_at=_dt.datetime.fromisoformat(data["start"]),
                    duration_min=int(data["minutes"]),
                    place=self.center_name,
                    provisional=bool(data.get("provisional")),
                )
                return "receipt", r.consultation_slip(info), "consultation"
            info = d.ReceiptInfo(**base, reference=data["reference"], procedures=(data["title"],))
            return "receipt", r.receipt(info), "callback"
        if job.kind in ("claim_slip", "certificate"):
            kind = _CERT_KINDS.get(data.get("certificate", ""))
            doc = data.get("document") or {}
            holder = doc.get("holder") if isinstance(doc, dict) else None
            reference = str(data.get("reference") or doc.get("reference") or "")
            if job.kind == "certificate" and kind and isinstance(holder, dict):
                city = (self._city() if self._city is not None else None) or {}
                info = d.CertificateInfo(
                    **{**base, "city_name": city.get("name") or self.city_name},
                    certificate_kind=kind,
                    reference=reference,
                    holder_name=holder["name"],
                    holder_address=holder["address"],
                    holder_birth_date=_dt.date.fromisoformat(holder["birth_date"]),
                    issuer=city.get("name") or str(doc.get("issuer") or self.city_name),
                    mayor=city.get("mayor", ""),
                    seal_png_b64=city.get("seal_png_b64", ""),
                    verify=str(doc.get("verify") or ""),
                    verification_code=str(doc.get("verification_code", "")),
                    # The copies asked (and charged) are printed: one page each (issue 20).
                    # (never coerced: a bad count is refused, not quietly printed once)
                    copies=data.get("copies", 1),
                    **_certificate_fields(d, holder),
                )
                return "document", r.certificate(info), "certificate"
            # Without holder data from central (or for a type the renderer lacks), the resident
            # gets a slip with the reference to collect the document at the counter; it says
            # whether the request is still queued (offline) or was issued (online).
            if kind:
                info = d.ClaimSlipInfo(
                    **base,
                    certificate_kind=kind,
                    reference=reference,
                    queued=job.kind == "claim_slip",
                    office=data.get("office") or "",
                    deadline=data.get("deadline") or "",
                    documents=tuple(data.get("documents") or ()),
                    fee_yen=data.get("fee_yen") or 0,
                )
                return "receipt", r.claim_slip(info), "claim-slip"
            info = d.ReceiptInfo(**base, reference=reference, procedures=(data["title"],))
            return "receipt", r.receipt(info), "claim-slip"
        if job.kind == "payment_slip":
            info = d.PaymentSlipInfo(
                **base,
                reference=str(data["reference"]),
                items=tuple(
                    d.PaymentItem(
                        name=i["title"], copies=int(i["copies"]), fee_yen=int(i["fee_yen"])
                    )
                    for i in data["items"]
                ),
                total_yen=int(data["amount_yen"]),
                method=data["method"],
                paid=bool(data.get("transaction_id")),
                transaction_id=data.get("transaction_id") or "",
                office=data.get("office") or "",
            )
            return "receipt", r.payment_slip(info), "payment"
        raise PortPrintError(("unknown-document",))

    def print_job(self, job: PrintJob) -> None:
        from devices.printer import DocumentDataError, PrinterError

        try:
            role, pdf, title = self.render(job)
        except (DocumentDataError, KeyError, ValueError, TypeError) as e:
            raise PortPrintError(("document-data",)) from e
        try:
            self.printer.print_and_wait(role, pdf, title, timeout=self.wait_timeout_s)
        except PrinterError as e:
            raise PortPrintError(tuple(e.reasons) or ("printer-error",)) from e
        self.session_prints.remember(role, pdf, title)

    def state(self) -> PrinterState:
        """The receipt printer's state (`ok`, `reasons`) and each role's (`roles`): a missing
        A4 paper must show before a resident starts a certificate, not after the PIN."""
        from devices.printer import PrinterError

        roles = []
        for role in ("receipt", "document"):
            try:
                status = self.printer.status(role)
                roles.append((role, bool(status.ok), tuple(status.blocking)))
            except PrinterError as e:
                roles.append((role, False, tuple(e.reasons) or ("printer-error",)))
        _, ok, reasons = roles[0]
        return PrinterState(
            ok=ok, reasons=reasons, pending_reprints=len(self.printer.pending), roles=tuple(roles)
        )

    def reprint_pending(self) -> int:
        from devices.printer import PrinterError

        done = 0
        for doc in self.printer.pending.list():
            try:
                self.printer.pending.reprint(doc.id, self.printer, timeout=self.wait_timeout_s)
            except PrinterError as e:
                raise PortPrintError(tuple(e.reasons) or ("printer-error",)) from e
            done += 1
        return done

    def wipe_session(self) -> None:
        self.session_prints.wipe()
