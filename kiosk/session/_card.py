"""The card flow: place card → tries left → PIN → read, for a form (kenhojo) or for the JPKI
authentication that precedes a certificate (`KioskSession.flows.card`). The form that follows is
the forms flow's (`_forms`), the certificate's issue the certificates flow's (`_certificates`).

Invariants:
- A PIN is used exactly once per `submit_pin` call and never kept: it lives only in the job's
  closure. A wrong PIN returns to PIN entry with the new tries-left count; nothing retries.
- Tries left are read from the card (without spending one) before the first entry.
- The card handle is closed as soon as its data is read.
- Pulling the card out while its data is on screen (PIN entry, reading, form) wipes the session,
  except on a form of a visit whose resident consented to keep the card's data (`_visit`): the
  card is no longer needed there.
- The flow keeps no state of its own: the card handle, data and tries left are the session's
  `VisitState`; why the last card was refused (`last_card_refusal`) is the session's device state.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

from kiosk.session._base import _SessionCore
from kiosk.session._disk import stop_if_disk_full
from kiosk.session.forms import Form
from kiosk.session.ports import (
    PortCardRefusedError,
    PortCardRemovedError,
    PortCertificateExpiredError,
    PortError,
    PortNoCardError,
    PortNotMyNumberCardError,
    PortOfflineError,
    PortPinBlockedError,
    PortRefusedError,
    PortWrongPinError,
)
from kiosk.session.steps import CARD_STEPS, CardPurpose, CertificateOrder, NoticeCode, Step
from sync.kiosk_challenge import auth_message

__all__ = ["CardFlow"]

log = logging.getLogger("kiosk.session")


class CardFlow:
    """The card: place it, enter the PIN (once per call, never kept), read it; card events."""

    __slots__ = ("_s",)

    def __init__(self, session: _SessionCore) -> None:
        self._s = session  # the KioskSession (typed as its core: no import of the session)

    def start_procedure(self) -> bool:
        """From the procedure intro: start the card journey (kiosk-capable procedures only)."""
        s = self._s
        if s.step is not Step.PROCEDURE_INTRO or s.procedure is None:
            return False
        if not s.procedure.kiosk_capable:
            return False
        s.touch()
        if stop_if_disk_full(s):  # told now, not after the card and PIN
            return False
        s.card_purpose = CardPurpose.KENHOJO
        if s.flows.visit.open_form_from_visit():  # consented earlier in this visit: no second read
            return True
        self.enter_place_card()
        return True

    def no_card_or_pin(self) -> bool:
        """From the procedure intro: the resident has no card with them or does not know its
        PIN. The procedure is then done at the counter: its screen says so and offers a queue
        ticket (`flows.services.take_ticket_for_procedure`). The procedure stays chosen."""
        s = self._s
        if s.step is not Step.PROCEDURE_INTRO or s.procedure is None:
            return False
        if not s.procedure.kiosk_capable:
            return False  # the intro already says where it is done
        s.touch()
        s.notice = None
        s._go(Step.PROCEDURE_COUNTER)
        s._changed()
        return True

    def enter_place_card(self) -> None:
        s = self._s
        s.notice = None
        s._go(Step.PLACE_CARD)
        if s.card_present:
            self._connect_card()
        s._changed()

    def card_inserted(self, reader: str | None = None) -> None:
        s = self._s
        s.card_present = True
        s.touch()
        if s.step is Step.PLACE_CARD:
            s.notice = None
            self._connect_card()
        s._changed()

    def card_removed(self, reader: str | None = None) -> None:
        s = self._s
        s.card_present = False
        kept = s.visit_consent and s.step is Step.FORM_CONFIRM
        if s.step in CARD_STEPS and not kept:
            s.wipe(reason="card_removed", keep_preferences=True)
            s._notice(NoticeCode.CARD_REMOVED)
        s._changed()

    def _connect_card(self) -> None:
        s = self._s
        purpose = s.card_purpose
        s._go(Step.READING_CARD)

        def job() -> tuple[Any, int, bytes | None]:
            card = s.ports.card.connect()
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
                s._close_card()
                s._go(Step.SERVICE_ERROR)
                s._notice(NoticeCode.REFUSED, reason="expired_certificate")
                return
            if error is not None:
                self._card_error(error, back_to=Step.PLACE_CARD)
                return
            s._card, s.tries_left, s._auth_certificate = result
            s._go(Step.PIN_BLOCKED if s.tries_left == 0 else Step.PIN_ENTRY)
            if s.tries_left == 0:
                s._close_card()
                s._notice(NoticeCode.PIN_BLOCKED)

        def discard(result: Any) -> None:
            s._worker.submit(result[0].close, s._log_close)

        s._run(job, done, discard)

    def _card_error(self, error: BaseException, back_to: Step) -> None:
        s = self._s
        s._close_card()
        if isinstance(error, PortPinBlockedError):
            s.tries_left = 0
            s._go(Step.PIN_BLOCKED)
            # "You have just locked it" differs from "it was locked before you came".
            just_now = getattr(error, "just_now", False)
            s._notice(NoticeCode.PIN_BLOCKED_NOW if just_now else NoticeCode.PIN_BLOCKED)
        elif isinstance(error, PortCardRemovedError):
            s.card_present = False
            s.wipe(reason="card_removed", keep_preferences=True)
            s._notice(NoticeCode.CARD_REMOVED)
        elif isinstance(error, PortNoCardError):
            s.card_present = False
            s._go(back_to)
            s._notice(NoticeCode.NO_CARD)
        elif isinstance(error, PortNotMyNumberCardError):
            s._go(back_to)
            s._notice(NoticeCode.NOT_MYNUMBER_CARD)
        elif isinstance(error, PortCardRefusedError):
            # Revoked, untrusted or counterfeit: no retry helps, the counter does. The reason is
            # a code for staff (the resident's message is plain); no card data was returned.
            s._go(Step.SERVICE_ERROR)
            s.last_card_refusal = error.reason
            revoked = error.reason == "revoked"
            code = NoticeCode.CARD_REVOKED if revoked else NoticeCode.CARD_NOT_ACCEPTED
            s._notice(code, reason=error.reason)
        elif isinstance(error, PortError):
            s._go(back_to)
            s._notice(NoticeCode.CARD_ERROR)
        else:
            raise error

    def submit_pin(self, pin: str) -> bool:
        """One PIN attempt. Never repeated by the session, whatever the outcome."""
        s = self._s
        if s.step is not Step.PIN_ENTRY or s._card is None:
            return False
        s.touch()
        if len(pin) != 4 or not pin.isascii() or not pin.isdigit():
            s._notice(NoticeCode.INVALID_VALUE, field="pin")
            s._changed()
            return False
        card, purpose, certificate = s._card, s.card_purpose, s._auth_certificate
        order = s.certificate
        s.notice = None
        s._go(Step.READING_CARD)
        s._changed()

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
                    device_id=s.config.device_id,
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
                s.tries_left = error.tries_left
                if error.tries_left <= 0:
                    s._close_card()
                    s._go(Step.PIN_BLOCKED)
                    s._notice(NoticeCode.PIN_BLOCKED_NOW)  # this entry spent the last try
                else:
                    s._go(Step.PIN_ENTRY)
                    s._notice(NoticeCode.WRONG_PIN, tries_left=error.tries_left)
                return
            if error is not None:
                self._card_error(error, back_to=Step.PLACE_CARD)
                return
            s._close_card()
            if purpose is CardPurpose.JPKI:
                s._auth_certificate = None
                s._auth = result
                s.flows.certificates.issue()
            else:
                s._card_data = result
                s.card_reads += 1
                assert s.procedure is not None
                s.form = Form(s.procedure, result, s.flows.visit.prefill(s.procedure))
                s._go(Step.FORM_CONFIRM)

        s._run(job, done)
        return True

    def _challenge(self, order: CertificateOrder) -> bytes | None:
        """Central's challenge for this device and this request (type, copies), or None when
        central does not answer in time. The kiosk never makes one up: a request without
        central's challenge is queued as a claim and the card is checked again at the counter.
        A refusal (e.g. an unknown certificate type) raises PortRefusedError."""
        s = self._s
        if s.ports.online is None:
            return None
        try:
            reply = s.ports.online.request(
                "certificate.challenge",
                {"certificate": order.certificate_id, "copies": order.copies},
                s.config.online_timeout_s,
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
        s = self._s
        if s.step is not Step.PLACE_CARD or s.procedure is None:
            return False
        if s.procedure.record_kind != "shelter_checkin":
            return False
        s.touch()
        s.form = Form(s.procedure, None)
        s._go(Step.FORM_CONFIRM)
        s._changed()
        return True

    def start_shelter_checkin(self) -> bool:
        """Shelter mode's big button: the `shelter_checkin` procedure of the catalog."""
        s = self._s
        proc = s.catalog.procedures.get("shelter_checkin")
        if not s.shelter_mode or proc is None or s.step is not Step.HOME:
            return False
        s.touch()
        if stop_if_disk_full(s):
            return False
        s._begin_service("shelter")
        s.procedure = proc
        s.card_purpose = CardPurpose.KENHOJO
        self.enter_place_card()
        return True
