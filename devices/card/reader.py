"""Reading a My Number card: reader discovery, PIN handling, basic-4, My Number, JPKI auth.

Invariants that protect the resident:
- A PIN is sent at most once per call: the reader NEVER retries a VERIFY by itself, and it refuses
  to send one when the card says no tries are left (`PinBlockedError`, nothing sent).
- Tries left are asked with an empty VERIFY, which never spends a try.
- The My Number is read only by `read_my_number()`; nothing else touches file 0001.
- `close()` disconnects with a card reset, so a verified PIN never outlives the session.
- Given a `CardTrust` (`devices.card.trust`), `read_basic4` / `read_my_number` return data only
  after the kenhojo signature file (EF 0003) verified against the authority and its digest matched
  the bytes read (3 more APDUs), and `read_auth_certificate` refuses a certificate without
  KeyUsage digitalSignature, from an untrusted CA, or on its CA's CRL.
- Logs carry operation names and status words only, never PINs or card data.

One `MyNumberCard` belongs to one thread (it owns its PC/SC context). It remembers which
application and file are selected and the tries left it last learned on this exclusive
connection, so the usual kiosk sequence (tries left, verify, read basic-4) costs 7 APDUs.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from cryptography import x509

from devices.card import _apdu
from devices.card._pcsc import Connection, Context
from devices.card.data import (
    Basic4,
    KenhojoSignature,
    MyNumber,
    parse_basic4,
    parse_my_number,
    parse_signature_file,
)
from devices.card.errors import (
    CardDataError,
    CardError,
    CardNotGenuineError,
    CardStatusError,
    NoCardError,
    NoReaderError,
    NotMyNumberCardError,
    PinBlockedError,
    PinNotVerifiedError,
    WrongPinError,
)
from devices.card.trust import CardTrust

__all__ = ["CardReader", "MyNumberCard", "Response", "list_readers"]

log = logging.getLogger(__name__)

_HEAD = 5  # tag (2) + longest BER length we accept (3): enough to know a file's full size
_MAX_FILE = 8192  # no file on the card is larger; a bigger TLV length means corrupt data
_MAX_SHORT = 256
_PIN_TRIES_FULL = 3


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int


@dataclass(frozen=True)
class _Pin:
    key: str  # "kenhojo" / "jpki_auth": used in errors and logs, never the value
    aid: bytes
    app: str
    fid: bytes


_KENHOJO = _Pin("kenhojo", _apdu.AID_KENHOJO, "kenhojo", _apdu.FID_KENHOJO_PIN)
_JPKI_AUTH = _Pin("jpki_auth", _apdu.AID_JPKI, "JPKI", _apdu.FID_JPKI_AUTH_PIN)


def list_readers() -> list[str]:
    """Names of the PC/SC readers pcscd knows (empty when none); NoReaderError if pcscd is down."""
    with Context() as context:
        return context.readers()


class CardReader:
    """A reader by name, or (None) whichever reader first holds a card."""

    def __init__(self, reader_name: str | None = None) -> None:
        self.reader_name = reader_name

    def connect(self) -> MyNumberCard:
        context = Context()
        try:
            names = context.readers()
            if not names:
                raise NoReaderError("no reader attached")
            if self.reader_name is not None:
                if self.reader_name not in names:
                    raise NoReaderError("reader not found", reader=self.reader_name)
                return MyNumberCard(context, context.connect(self.reader_name), self.reader_name)
            for name in names:
                try:
                    return MyNumberCard(context, context.connect(name), name)
                except NoCardError:
                    continue
            raise NoCardError(None)
        except BaseException:
            context.release()
            raise


class MyNumberCard:
    """An exclusive session with one card. Use as a context manager or call `close()`."""

    def __init__(self, context: Context, connection: Connection, reader_name: str) -> None:
        self.reader_name = reader_name
        self.apdu_count = 0
        self._context: Context | None = context
        self._conn = connection
        self._app: bytes | None = None
        self._ef: bytes | None = None
        self._tries: dict[str, int | None] = {}
        self._extended = True

    # -- life cycle --------------------------------------------------------------------------
    def close(self) -> None:
        context, self._context = self._context, None
        if context is None:
            return
        try:
            self._conn.disconnect()
        finally:
            context.release()

    def __enter__(self) -> MyNumberCard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def atr(self) -> bytes:
        return self._conn.atr()

    # -- transmit: public checks, private moves bytes ------------------------------------------
    def transmit(
        self,
        apdu: bytes,
        *,
        operation: str = "command",
        accept: tuple[int, ...] | None = (_apdu.SW_OK,),
    ) -> Response:
        """Send one APDU; raise CardStatusError unless its status word is in `accept` (None: any).

        Raw commands bypass the reader's bookkeeping: after one, the next call re-selects.
        """
        self._app = self._ef = None
        self._tries.clear()
        response = self._transmit(bytes(apdu), operation)
        if accept is not None and response.sw not in accept:
            log.info("card: %s answered SW %04X", operation, response.sw)
            raise CardStatusError(operation, response.sw)
        return response

    def _transmit(self, apdu: bytes, operation: str) -> Response:
        if self._context is None:
            raise CardError("the card session is closed")
        self.apdu_count += 1
        try:
            raw = self._conn.transmit(apdu, operation)
        except CardError:
            self._app = self._ef = None
            raise
        return Response(raw[:-2], (raw[-2] << 8) | raw[-1])

    # -- selection ---------------------------------------------------------------------------
    def _select_app(self, aid: bytes, app: str) -> None:
        if self._app == aid:
            return
        self._app = self._ef = None
        r = self._transmit(_apdu.select_aid(aid), f"SELECT {app}")
        if r.sw != _apdu.SW_OK:
            raise NotMyNumberCardError(app, r.sw)
        self._app = aid

    def _select_ef(self, fid: bytes, what: str) -> None:
        if self._ef == fid:
            return
        self._ef = None
        r = self._transmit(_apdu.select_fid(fid), f"SELECT {what}")
        if r.sw == 0x6A82:
            raise CardDataError(what, "file not found on the card")
        if r.sw != _apdu.SW_OK:
            raise CardStatusError(f"SELECT {what}", r.sw)
        self._ef = fid

    # -- PINs --------------------------------------------------------------------------------
    def _tries_left(self, pin: _Pin) -> int:
        self._select_app(pin.aid, pin.app)
        self._select_ef(pin.fid, f"{pin.key} PIN ({pin.fid.hex()})")
        r = self._transmit(_apdu.verify(None), f"{pin.key} tries left")
        if r.sw & 0xFFF0 == 0x63C0:
            tries = r.sw & 0x0F
        elif r.sw == 0x6983:
            tries = 0
        elif r.sw == _apdu.SW_OK:  # already verified in this session: not blocked
            tries = _PIN_TRIES_FULL
        else:
            raise CardStatusError(f"{pin.key} tries left", r.sw)
        self._tries[pin.key] = tries
        return tries

    def _verify(self, pin: _Pin, value: str) -> None:
        if len(value) != 4 or not value.isascii() or not value.isdigit():
            raise ValueError("a PIN is 4 digits")  # never spend a try on a malformed entry
        tries = self._tries.get(pin.key)
        if tries is None:
            tries = self._tries_left(pin)
        if tries == 0:
            raise PinBlockedError(pin.key)
        self._select_app(pin.aid, pin.app)
        self._select_ef(pin.fid, f"{pin.key} PIN ({pin.fid.hex()})")
        self._tries[pin.key] = None  # whatever happens next, what we knew is stale
        r = self._transmit(_apdu.verify(value.encode("ascii")), f"VERIFY {pin.key}")
        if r.sw == _apdu.SW_OK:
            log.info("card: %s PIN verified", pin.key)
            return
        if r.sw & 0xFFF0 == 0x63C0:
            left = r.sw & 0x0F
            self._tries[pin.key] = left
            log.info("card: wrong %s PIN, %d tries left", pin.key, left)
            if left == 0:
                raise PinBlockedError(pin.key, just_now=True)
            raise WrongPinError(pin.key, left)
        if r.sw == 0x6983:
            # Some cards answer the entry that spends the last try with 69 83 instead of
            # 63 C0. We only got here because the card had tries left a moment ago on this
            # exclusive connection, so this entry is what blocked it: the resident must hear
            # "you have just locked it", not "it was already locked".
            self._tries[pin.key] = 0
            log.info("card: wrong %s PIN, blocked by this entry (SW 6983)", pin.key)
            raise PinBlockedError(pin.key, just_now=True)
        raise CardStatusError(f"VERIFY {pin.key}", r.sw)

    def kenhojo_tries_left(self) -> int:
        """Tries left for the kenhojo PIN (no try is spent)."""
        return self._tries_left(_KENHOJO)

    def verify_kenhojo_pin(self, pin: str) -> None:
        """Verify the kenhojo PIN once: WrongPinError(tries_left) / PinBlockedError, no retry."""
        self._verify(_KENHOJO, pin)

    def jpki_auth_tries_left(self) -> int:
        """Tries left for the JPKI user-authentication PIN (no try is spent)."""
        return self._tries_left(_JPKI_AUTH)

    def verify_jpki_auth_pin(self, pin: str) -> None:
        """Verify the JPKI user-authentication PIN once; same rules as the kenhojo PIN."""
        self._verify(_JPKI_AUTH, pin)

    # -- files -------------------------------------------------------------------------------
    def _read_binary(self, offset: int, length: int, what: str, pin: str | None) -> bytes:
        r = self._transmit(_apdu.read_binary(offset, length), f"READ {what}")
        if r.sw in (_apdu.SW_OK, 0x6282):  # 62 82: end of file reached before Le bytes
            return r.data
        if r.sw == 0x6982 and pin is not None:
            raise PinNotVerifiedError(pin, f"reading {what}")
        if r.sw == 0x6B00:
            raise CardDataError(what, "file shorter than its TLV length")
        raise CardStatusError(f"READ {what}", r.sw)

    def _read_file(self, fid: bytes, what: str, pin: str | None) -> bytes:
        """A variable-length file: read the head, take the BER length, read the rest."""
        self._select_ef(fid, what)
        data = self._read_binary(0, _HEAD, what, pin)
        try:
            _tag, header, length = _apdu.read_tlv_header(data)
        except _apdu.TlvError as e:
            raise CardDataError(what, str(e)) from None
        total = header + length
        if total > _MAX_FILE:
            raise CardDataError(what, f"TLV length {total} is implausible")
        buf = bytearray(data[:total])
        while len(buf) < total:
            want = total - len(buf)
            if want > _MAX_SHORT and not self._extended:
                want = _MAX_SHORT
            try:
                chunk = self._read_binary(len(buf), want, what, pin)
            except CardStatusError as e:
                if e.status != 0x6700 or want <= _MAX_SHORT:
                    raise
                self._extended = False  # the card or reader refused extended length
                continue
            if not chunk:
                raise CardDataError(what, "file shorter than its TLV length")
            buf += chunk[: total - len(buf)]
        return bytes(buf)

    def _kenhojo_signature(self) -> KenhojoSignature:
        try:
            raw = self._read_file(
                _apdu.FID_KENHOJO_SIGNATURE, "kenhojo signature (0003)", "kenhojo"
            )
        except CardDataError as e:
            if e.problem == "file not found on the card":
                raise CardNotGenuineError("no_signature_file") from None
            raise
        return parse_signature_file(raw)

    def read_basic4(self, *, trust: CardTrust | None = None) -> Basic4:
        """Name, address, birth date, sex. Needs `verify_kenhojo_pin` first.

        With a `trust` that names kenhojo authorities, the signature file is checked first and
        nothing is returned unless the authority signed these very bytes (`CardNotGenuineError`).
        """
        self._select_app(_apdu.AID_KENHOJO, "kenhojo")
        raw = self._read_file(_apdu.FID_KENHOJO_BASIC4, "basic-4 (0002)", "kenhojo")
        if trust is not None and trust.checks_kenhojo:
            trust.check_kenhojo(self._kenhojo_signature(), basic4=raw)
        return parse_basic4(raw)

    def read_my_number(self, *, trust: CardTrust | None = None) -> MyNumber:
        """The 12-digit My Number. Call only when the procedure needs it and the resident agreed.
        With a `trust` naming kenhojo authorities, checked against the signature file first."""
        self._select_app(_apdu.AID_KENHOJO, "kenhojo")
        raw = self._read_file(_apdu.FID_KENHOJO_MY_NUMBER, "My Number (0001)", "kenhojo")
        if trust is not None and trust.checks_kenhojo:
            trust.check_kenhojo(self._kenhojo_signature(), my_number=raw)
        return parse_my_number(raw)

    def read_auth_certificate(
        self,
        *,
        check_validity: bool = True,
        now: datetime.datetime | None = None,
        trust: CardTrust | None = None,
    ) -> x509.Certificate:
        """The JPKI user-authentication certificate (no PIN needed).

        With `check_validity` (default) a certificate outside its validity period raises
        CertificateExpiredError and one without KeyUsage digitalSignature (or a CA certificate)
        CertificateRejectedError, so the kiosk can stop before asking for the PIN. A `trust`
        adds the chain to its CAs and their CRLs (`CertificateRevokedError`).
        """
        self._select_app(_apdu.AID_JPKI, "JPKI")
        raw = self._read_file(_apdu.FID_JPKI_AUTH_CERT, "JPKI auth certificate (000A)", None)
        try:
            cert = x509.load_der_x509_certificate(raw)
            _ = (cert.not_valid_before_utc, cert.not_valid_after_utc, cert.extensions)
        except ValueError as e:
            raise CardDataError("JPKI auth certificate (000A)", f"not X.509 DER ({e})") from None
        if check_validity or trust is not None:
            moment = now or datetime.datetime.now(datetime.UTC)
            (trust or CardTrust()).check_auth_certificate(cert, moment)
        return cert

    def sign_sha256_digest(self, digest: bytes) -> bytes:
        """PKCS#1 v1.5 signature by the card's JPKI auth key over a SHA-256 digest.

        Needs `verify_jpki_auth_pin` first. The DigestInfo is built here; the card pads and signs.
        """
        digest_info = _apdu.sha256_digest_info(digest)
        self._select_app(_apdu.AID_JPKI, "JPKI")
        self._select_ef(_apdu.FID_JPKI_AUTH_KEY, "JPKI auth key (0017)")
        r = self._transmit(_apdu.sign(digest_info), "SIGN")
        if r.sw == 0x6982:
            raise PinNotVerifiedError("jpki_auth", "signing")
        if r.sw != _apdu.SW_OK:
            raise CardStatusError("SIGN", r.sw)
        if not r.data:
            raise CardDataError("JPKI auth key (0017)", "empty signature")
        return r.data
