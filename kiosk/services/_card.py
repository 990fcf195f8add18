"""The card reader behind `CardPort`: library errors become `Port*Error`s where the reader is
called; card data crosses once into a `CardData` the session wipes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.session.ports import (
    CardData,
    PortCardDataError,
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
        return PortPinBlockedError(str(e))
    if isinstance(e, ce.CardRemovedError):
        return PortCardRemovedError(str(e))
    if isinstance(e, (ce.NoCardError, ce.NoReaderError)):
        return PortNoCardError(str(e))
    if isinstance(e, ce.NotMyNumberCardError):
        return PortNotMyNumberCardError(str(e))
    if isinstance(e, ce.CertificateExpiredError):
        return PortCertificateExpiredError(str(e))
    return PortCardDataError(type(e).__name__)


class _CardHandle:
    def __init__(self, card: Any) -> None:
        self._card = card

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
        basic4 = self._call(self._card.read_basic4)
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

        cert = self._call(self._card.read_auth_certificate)
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
    """`CardPort` over `devices.card.CardReader` (a named reader, or the first with a card)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def connect(self) -> _CardHandle:
        from devices.card.errors import CardError

        try:
            return _CardHandle(self.reader.connect())
        except CardError as e:
            raise translate_card_error(e) from e
