"""The card reader behind `CardPort`: library errors become `Port*Error`s where the reader is
called; card data crosses once into a `CardData` the session wipes.

With a `trust` source (the signed config bundle's `card_trust`, `ConfigBundleView.card_trust`)
every read is checked: the auth certificate against the JPKI CAs and their CRLs, basic-4 against
the kenhojo signature. A card that fails becomes `PortCardRefusedError(reason)`: the reason is
logged for staff (a code, no card data); the session tells the resident to go to the counter."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.session.ports import (
    CardData,
    PortCardDataError,
    PortCardRefusedError,
    PortCardRemovedError,
    PortCertificateExpiredError,
    PortError,
    PortNoCardError,
    PortNotMyNumberCardError,
    PortPinBlockedError,
    PortWrongPinError,
)

log = logging.getLogger("kiosk.services")


def translate_card_error(e: Exception) -> PortError:
    from devices.card import errors as ce

    if isinstance(e, ce.WrongPinError):
        return PortWrongPinError(e.tries_left)
    if isinstance(e, ce.PinBlockedError):
        return PortPinBlockedError(str(e), just_now=e.just_now)
    if isinstance(e, ce.CardRemovedError):
        return PortCardRemovedError(str(e))
    if isinstance(e, (ce.NoCardError, ce.NoReaderError)):
        return PortNoCardError(str(e))
    if isinstance(e, ce.NotMyNumberCardError):
        return PortNotMyNumberCardError(str(e))
    if isinstance(e, ce.CertificateExpiredError):
        return PortCertificateExpiredError(str(e))
    if isinstance(e, ce.CertificateRejectedError):
        log.warning("card refused: auth certificate %s", e.reason)
        return PortCardRefusedError(e.reason)
    if isinstance(e, ce.CardNotGenuineError):
        log.warning("card refused: kenhojo signature check failed (%s)", e.reason)
        return PortCardRefusedError(f"not_genuine:{e.reason}")
    return PortCardDataError(type(e).__name__)


class _CardHandle:
    def __init__(self, card: Any, trust: Any = None) -> None:
        self._card = card
        self._trust = trust  # devices.card.trust.CardTrust or None

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        from devices.card.errors import CardError

        try:
            return fn(*args)
        except CardError as e:
            raise translate_card_error(e) from e

    def kenhojo_tries_left(self) -> int:
        return self._call(self._card.kenhojo_tries_left)

    def verify_kenhojo_pin(self, pin: str) -> None:
        self._call(self._card.verify_kenhojo_pin, pin)

    def read_basic4(self) -> CardData:
        basic4 = self._call(lambda: self._card.read_basic4(trust=self._trust))
        try:
            return CardData(
                name=basic4.name,
                address=basic4.address,
                birth_date=basic4.birth_date.isoformat(),
                sex=str(int(basic4.sex)),
            )
        finally:
            basic4.wipe()

    def jpki_auth_tries_left(self) -> int:
        return self._call(self._card.jpki_auth_tries_left)

    def verify_jpki_auth_pin(self, pin: str) -> None:
        self._call(self._card.verify_jpki_auth_pin, pin)

    def read_auth_certificate(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        cert = self._call(lambda: self._card.read_auth_certificate(trust=self._trust))
        return cert.public_bytes(Encoding.DER)

    def sign_sha256_digest(self, digest: bytes) -> bytes:
        return self._call(self._card.sign_sha256_digest, digest)

    def close(self) -> None:
        from devices.card.errors import CardError

        try:
            self._card.close()
        except CardError as e:
            log.info("card close: %s", type(e).__name__)


class CardReaderAdapter:
    """`CardPort` over `devices.card.CardReader` (a named reader, or the first with a card).

    `trust`: None, a `CardTrust`, or a callable returning the current one (or None), asked at
    each connect so a newly applied config bundle counts from the next card on."""

    def __init__(self, reader: Any, trust: Any = None) -> None:
        self.reader = reader
        self.trust = trust

    def connect(self) -> _CardHandle:
        from devices.card.errors import CardError

        trust = self.trust() if callable(self.trust) else self.trust
        try:
            return _CardHandle(self.reader.connect(), trust)
        except CardError as e:
            raise translate_card_error(e) from e
