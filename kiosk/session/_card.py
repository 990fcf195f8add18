"""Card journeys: place card → tries left → PIN → read → form → submit → receipt, and the JPKI
authentication that precedes certificate issuance (online, or queued with a claim slip).

Invariants:
- A PIN is used exactly once per `submit_pin` call and never kept: it lives only in the job's
  closure. A wrong PIN returns to PIN entry with the new tries-left count; nothing retries.
- Tries left are read from the card (without spending one) before the first entry.
- The card handle is closed as soon as its data is read; the card data and form values are
  blanked right after the outbox accepted the submission (the receipt carries only the reference).
- Pulling the card out while its data is on screen (PIN entry, reading, form) wipes the session,
  except on a form of a visit whose resident consented to keep the card's data (`_visit`): the
  card is no longer needed there.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import logging
from typing import Any

from kiosk.session._disk import stop_if_disk_full
from kiosk.session._payment import printers_missing, settle_and_print
from kiosk.session._visit import _VisitFlow
from kiosk.session.forms import Form
from kiosk.session.ports import (
    PortCardRefusedError,
    PortCardRemovedError,
    PortCertificateExpiredError,
    PortError,
    PortNoCardError,
    PortNotMyNumberCardError,
    PortOfflineError,
    PortOutboxFullError,
    PortPinBlockedError,
    PortPrintError,
    PortRefusedError,
    PortWrongPinError,
)
from kiosk.session.steps import CARD_STEPS, CardPurpose, CertificateOrder, NoticeCode, Step
from sync.kiosk_challenge import auth_message
from sync.readable_reference import format_reference

log = logging.getLogger("kiosk.session")


class _CardFlow(_VisitFlow):
    # Device-wide (survives wipes): why the last refused card was refused, a code for the staff
    # diagnostics screen ("revoked", "not_genuine:bad_signature", ...), never card data.
    last_card_refusal: str | None = None

    # ---- entering the card steps -----------------------------------------------------------

    def start_procedure(self) -> bool:
        """From the procedure intro: start the card journey (kiosk-capable procedures only)."""
        if self.step is not Step.PROCEDURE_INTRO or self.procedure is None:
            return False
        if not self.procedure.kiosk_capable:
            return False
        self.touch()
        if stop_if_disk_full(self):  # told now, not after the card and PIN
            return False
        self.card_purpose = CardPurpose.KENHOJO
        if self._open_form_from_visit():  # consented earlier in this visit: no second read
            return True
        self._enter_place_card()
        return True

    def choose_certificate(
        self, certificate_id: str, copies: int, purpose: str | None, options: dict | None = None
    ) -> bool:
        """`options`: what to print (see `CertificateOrder.options`); central refuses bad ones."""
        cert = self.catalog.certificates.get(certificate_id)
        if self.step is not Step.CERTIFICATE_CHOOSE or cert is None:
            return False
        self.touch()
        ok_purpose = purpose in {p.id for p in cert.purposes} if cert.purposes else purpose is None
        ok_options = options is None or (
            isinstance(options, dict)
            and len(options) <= 8
            and all(
                isinstance(k, str) and isinstance(v, bool | str | int) for k, v in options.items()
            )
        )
        if not (isinstance(copies, int) and 1 <= copies <= cert.max_copies) or not ok_purpose:
            self._notice(NoticeCode.INVALID_VALUE, field="copies" if ok_purpose else "purpose")
            self._changed()
            return False
        if not ok_options:
            self._notice(NoticeCode.INVALID_VALUE, field="options")
            self._changed()
            return False
        if stop_if_disk_full(self):
            return False
        missing = self.certificate_printers_missing()
        if missing:  # refused before the card and PIN, with where to go instead
            where = self.certificate_where_next(cert.id).get("office") or ""
            self._notice(NoticeCode.PRINTER_UNAVAILABLE, roles=list(missing), office=where)
            self._changed()
            return False
        self.certificate = CertificateOrder(
            cert.id, copies, purpose, cert.fee_yen * copies, dict(options or {})
        )
        self.card_purpose = CardPurpose.JPKI
        self._enter_place_card()
        return True

    def _readable_reference(self, seq: int) -> str:
        """`中央-1203-B0042` when the center's short name is configured (unique per center and
        day without any coordination: `sync.readable_reference`), else `_reference(seq)`.
        Bookings keep `_reference`: central's booking look-up parses that form."""
        if not self.config.reference_center:
            return self._reference(seq)
        day = _dt.datetime.fromtimestamp(self._wall_clock()).date()
        return format_reference(self.config.reference_center, day, self.config.reference_mark, seq)

    def certificate_printers_missing(self) -> tuple[str, ...]:
        """The printer roles a certificate needs that cannot print now (the screen marks it)."""
        return printers_missing(self.printer, self.ports.payment)

    def _enter_place_card(self) -> None:
        self.notice = None
        self._go(Step.PLACE_CARD)
        if self.card_present:
            self._connect_card()
        self._changed()

    # ---- card events (already on the UI thread) --------------------------------------------

    def card_inserted(self, reader: str | None = None) -> None:
        self.card_present = True
        self.touch()
        if self.step is Step.PLACE_CARD:
            self.notice = None
            self._connect_card()
        self._changed()

    def card_removed(self, reader: str | None = None) -> None:
        self.card_present = False
        kept = self.visit_consent and self.step is Step.FORM_CONFIRM
        if self.step in CARD_STEPS and not kept:
            self.wipe(reason="card_removed", keep_preferences=True)
            self._notice(NoticeCode.CARD_REMOVED)
        self._changed()

    def _connect_card(self) -> None:
        purpose = self.card_purpose
        self._go(Step.READING_CARD)

        def job() -> tuple[Any, int, bytes | None]:
            card = self.ports.card.connect()
            try:
                if purpose is CardPurpose.JPKI:
                    # The certificate needs no PIN: an expired one stops us before PIN entry.
                    certificate = card.read_auth_certificate()
                    return card, card.jpki_auth_tries_left(), certificate
                return card, card.kenhojo_tries_left(), None
            except BaseException:
                card.close()
                raise

        def done(result: Any, error: BaseException | None) -> None:
            if isinstance(error, PortCertificateExpiredError):
                self._close_card()
                self._go(Step.SERVICE_ERROR)
                self._notice(NoticeCode.REFUSED, reason="expired_certificate")
                return
            if error is not None:
                self._card_error(error, back_to=Step.PLACE_CARD)
                return
            self._card, self.tries_left, self._auth_certificate = result
            self._go(Step.PIN_BLOCKED if self.tries_left == 0 else Step.PIN_ENTRY)
            if self.tries_left == 0:
                self._close_card()
                self._notice(NoticeCode.PIN_BLOCKED)

        def discard(result: Any) -> None:
            self._worker.submit(result[0].close, self._log_close)

        self._run(job, done, discard)

    def _card_error(self, error: BaseException, back_to: Step) -> None:
        self._close_card()
        if isinstance(error, PortPinBlockedError):
            self.tries_left = 0
            self._go(Step.PIN_BLOCKED)
            # "You have just locked it" differs from "it was locked before you came".
            just_now = getattr(error, "just_now", False)
            self._notice(NoticeCode.PIN_BLOCKED_NOW if just_now else NoticeCode.PIN_BLOCKED)
        elif isinstance(error, PortCardRemovedError):
            self.card_present = False
            self.wipe(reason="card_removed", keep_preferences=True)
            self._notice(NoticeCode.CARD_REMOVED)
        elif isinstance(error, PortNoCardError):
            self.card_present = False
            self._go(back_to)
            self._notice(NoticeCode.NO_CARD)
        elif isinstance(error, PortNotMyNumberCardError):
            self._go(back_to)
            self._notice(NoticeCode.NOT_MYNUMBER_CARD)
        elif isinstance(error, PortCardRefusedError):
            # Revoked, untrusted or counterfeit: no retry helps, the counter does. The reason is
            # a code for staff (the resident's message is plain); no card data was returned.
            self._go(Step.SERVICE_ERROR)
            self.last_card_refusal = error.reason
            revoked = error.reason == "revoked"
            code = NoticeCode.CARD_REVOKED if revoked else NoticeCode.CARD_NOT_ACCEPTED
            self._notice(code, reason=error.reason)
        elif isinstance(error, PortError):
            self._go(back_to)
            self._notice(NoticeCode.CARD_ERROR)
        else:
            raise error

    # ---- PIN -------------------------------------------------------------------------------

    def submit_pin(self, pin: str) -> bool:
        """One PIN attempt. Never repeated by the session, whatever the outcome."""
        if self.step is not Step.PIN_ENTRY or self._card is None:
            return False
        self.touch()
        if len(pin) != 4 or not pin.isascii() or not pin.isdigit():
            self._notice(NoticeCode.INVALID_VALUE, field="pin")
            self._changed()
            return False
        card, purpose, certificate = self._card, self.card_purpose, self._auth_certificate
        order = self.certificate
        self.notice = None
        self._go(Step.READING_CARD)
        self._changed()

        def job() -> Any:
            if purpose is CardPurpose.JPKI:
                card.verify_jpki_auth_pin(pin)
                assert certificate is not None and order is not None
                try:
                    challenge = self._challenge(order)
                except PortRefusedError as e:
                    return {"refused": e.reason}
                if challenge is None:  # offline: nothing to sign, the request becomes a claim
                    return {}
                message = auth_message(
                    device_id=self.config.device_id,
                    certificate=order.certificate_id,
                    copies=order.copies,
                    challenge=challenge,
                )
                signature = card.sign_sha256_digest(hashlib.sha256(message).digest())
                return {
                    "auth_certificate": base64.b64encode(certificate).decode(),
                    "challenge": base64.b64encode(challenge).decode(),
                    "signature": base64.b64encode(signature).decode(),
                }
            card.verify_kenhojo_pin(pin)
            return card.read_basic4()

        def done(result: Any, error: BaseException | None) -> None:
            if isinstance(error, PortWrongPinError):
                self.tries_left = error.tries_left
                if error.tries_left <= 0:
                    self._close_card()
                    self._go(Step.PIN_BLOCKED)
                    self._notice(NoticeCode.PIN_BLOCKED_NOW)  # this entry spent the last try
                else:
                    self._go(Step.PIN_ENTRY)
                    self._notice(NoticeCode.WRONG_PIN, tries_left=error.tries_left)
                return
            if error is not None:
                self._card_error(error, back_to=Step.PLACE_CARD)
                return
            self._close_card()
            if purpose is CardPurpose.JPKI:
                self._auth_certificate = None
                self._auth = result
                self._issue_certificate()
            else:
                self._card_data = result
                self.card_reads += 1
                assert self.procedure is not None
                self.form = Form(self.procedure, result, self._visit_prefill(self.procedure))
                self._go(Step.FORM_CONFIRM)

        self._run(job, done)
        return True

    def _challenge(self, order: CertificateOrder) -> bytes | None:
        """Central's challenge for this device and this request (type, copies), or None when
        central does not answer in time. The kiosk never makes one up: a request without
        central's challenge is queued as a claim and the card is checked again at the counter.
        A refusal (e.g. an unknown certificate type) raises PortRefusedError."""
        if self.ports.online is None:
            return None
        try:
            reply = self.ports.online.request(
                "certificate.challenge",
                {"certificate": order.certificate_id, "copies": order.copies},
                self.config.online_timeout_s,
            )
        except PortOfflineError:
            return None
        try:
            challenge = base64.b64decode(str(reply["challenge"]), validate=True)
        except (KeyError, ValueError):
            raise PortRefusedError("bad_reply") from None
        if len(challenge) != 32:
            raise PortRefusedError("bad_reply")
        return challenge

    def fill_without_card(self) -> bool:
        """Shelter check-in only: evacuees without a card type everything in."""
        if self.step is not Step.PLACE_CARD or self.procedure is None:
            return False
        if self.procedure.record_kind != "shelter_checkin":
            return False
        self.touch()
        self.form = Form(self.procedure, None)
        self._go(Step.FORM_CONFIRM)
        self._changed()
        return True

    # ---- form ------------------------------------------------------------------------------

    def correct_field(self, name: str, value: str) -> bool:
        if self.step is not Step.FORM_CONFIRM or self.form is None:
            return False
        self.touch()
        ok = self.form.set(name, value)
        if ok:
            self.notice = None
        else:
            self._notice(NoticeCode.INVALID_VALUE, field=name)
        self._changed()
        return ok

    def confirm(self) -> bool:
        """Submit the confirmed form to the outbox, then print the receipt."""
        if self.step is not Step.FORM_CONFIRM or self.form is None or self.procedure is None:
            return False
        self.touch()
        missing = self.form.missing()
        if missing:
            self._notice(NoticeCode.MISSING_VALUES, fields=missing)
            self._changed()
            return False
        proc, lang = self.procedure, self.language
        body = {
            "procedure": proc.id,
            "catalog_version": self.catalog.version,
            "language": lang,
            "submitted_at": self._wall_clock(),
            **self.form.record_body(),
        }
        # Where next (counter, deadline, what to bring) in the life event's context.
        next_steps = self.where_next(proc)
        self.notice = None
        self._go(Step.SUBMITTING)
        self._changed()

        def job() -> tuple[Any, str, PortPrintError | None]:
            appended = self.ports.outbox.append(proc.record_kind, body)
            reference = self._readable_reference(appended.seq)
            receipt = {
                "reference": reference,
                "qr": reference,
                "title": proc.name[lang],
                "completion": proc.completion.kind.value,
                "office": proc.completion.office[lang] if proc.completion.office else None,
                "documents": [d[lang] for d in proc.documents],
                "fee_yen": proc.fee_yen,
                "date": self._today(),
                **next_steps,
            }
            try:
                self._print("receipt", receipt)
            except PortPrintError as e:
                return appended, reference, e
            return appended, reference, None

        def done(result: Any, error: BaseException | None) -> None:
            if isinstance(error, PortOutboxFullError):
                self._go(Step.FORM_CONFIRM)
                self._notice(NoticeCode.OUTBOX_FULL)
                return
            if error is not None:
                raise error
            _, self.reference, print_error = result
            if self.form is not None:
                self._keep_for_visit(self.form)  # with the resident's consent only
            self._drop_personal_data()
            self.receipt_printed = print_error is None
            if print_error is not None:
                self._notice(NoticeCode.PRINTER_FAILED, reasons=list(print_error.reasons))
            self._go(Step.DONE)

        self._run(job, done)
        return True

    def _drop_personal_data(self) -> None:
        if self._card_data is not None:
            self._card_data.wipe()
            self._card_data = None
        if self.form is not None:
            self.form.wipe()
            self.form = None
        self._auth = None

    def _today(self) -> str:
        return _dt.datetime.fromtimestamp(self._wall_clock()).strftime("%Y-%m-%d %H:%M")

    # ---- certificates ----------------------------------------------------------------------

    def _issue_certificate(self) -> None:
        """Online with central's challenge signed: central issues and the document prints.
        Otherwise the request is queued as a claim: the record carries the order only (no card
        data, no signature, which could never stand for a certificate by itself) and the claim
        slip says to bring the card to the counter, where it is checked again."""
        order, auth, lang = self.certificate, self._auth, self.language
        assert order is not None and auth is not None
        cert = self.catalog.certificates[order.certificate_id]
        claim_next = self.certificate_where_next(order.certificate_id)  # counter, what to bring
        request = {
            "certificate": order.certificate_id,
            "copies": order.copies,
            "purpose": order.purpose,
            "options": order.options,
            "fee_yen": order.fee_yen,
            "language": lang,
            "requested_at": self._wall_clock(),
        }
        self._auth = None
        self._go(Step.ISSUING)
        refused = auth.get("refused")
        params = {**request, **auth} if auth and refused is None else None
        settled: list[dict[str, Any] | None] = [None]  # the payment step's result (job → done)

        def job() -> tuple[str, Any, PortPrintError | None]:
            if refused is not None:
                return "refused", refused, None
            try:
                if params is None or self.ports.online is None:
                    raise PortOfflineError("no challenge from central: queued as a claim")
                reply = self.ports.online.request(
                    "certificate.issue", params, self.config.online_timeout_s
                )
            except PortOfflineError:
                claim = {**request, "claim": "verify_card_at_counter"}
                appended = self.ports.outbox.append("certificate_request", claim)
                reference = self._readable_reference(appended.seq)
                slip = {
                    "certificate": order.certificate_id,
                    "reference": reference,
                    "qr": reference,
                    "title": cert.name[lang],
                    "copies": order.copies,
                    "fee_yen": order.fee_yen,
                    "date": self._today(),
                    **claim_next,
                }
                try:
                    self._print("claim_slip", slip)
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
                self.ports.payment,
                order,
                document,
                str(reply.get("reference") or ""),
                claim_next,
                self._print,
            )
            return outcome, detail, print_error

        def done(result: Any, error: BaseException | None) -> None:
            self.payment = settled[0]  # set here, on the session's thread
            if isinstance(error, PortOutboxFullError):
                self._go(Step.CERTIFICATE_CHOOSE)
                self._notice(NoticeCode.OUTBOX_FULL)
                return
            if error is not None:
                raise error
            outcome, detail, print_error = result
            if outcome == "payment_failed":  # nothing was charged and nothing printed
                self._go(Step.SERVICE_ERROR)
                self._notice(NoticeCode.PAYMENT_FAILED, reason=detail)
                return
            if outcome == "refused":
                self._go(Step.SERVICE_ERROR)
                if detail == "revoked_certificate":  # central's CRL knew it: say so plainly
                    self.last_card_refusal = detail
                    self._notice(NoticeCode.CARD_REVOKED, reason=detail)
                else:
                    self._notice(NoticeCode.REFUSED, reason=detail)
                return
            self.reference = detail
            self.receipt_printed = print_error is None
            if outcome in ("queued", "pay_at_counter"):  # the certificate waits at the counter
                self._go(Step.CLAIM_SLIP)
                if outcome == "queued":
                    self._notice(NoticeCode.OFFLINE_QUEUED)
            else:
                self._go(Step.CERTIFICATE_PRINTED)
            if print_error is not None:
                self._notice(NoticeCode.PRINTER_FAILED, reasons=list(print_error.reasons))

        self._run(job, done)

    # ---- shelter ---------------------------------------------------------------------------

    def start_shelter_checkin(self) -> bool:
        """Shelter mode's big button: the `shelter_checkin` procedure of the catalog."""
        proc = self.catalog.procedures.get("shelter_checkin")
        if not self.shelter_mode or proc is None or self.step is not Step.HOME:
            return False
        self.touch()
        if stop_if_disk_full(self):
            return False
        self._begin_service("shelter")
        self.procedure = proc
        self.card_purpose = CardPurpose.KENHOJO
        self._enter_place_card()
        return True
