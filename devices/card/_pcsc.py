"""The PC/SC edge: pyscard's low-level `scard` calls, with every failure translated to our errors.

Invariants: this is the only module of the reader that calls `smartcard`; callers get bytes or a
`CardError`, never an hresult. A context belongs to one thread (libpcsclite contexts are not
shared across threads), so every owner (a card, a watcher, one listing) makes its own.
"""

from __future__ import annotations

from smartcard import scard

from devices.card.errors import CardError, CardRemovedError, NoCardError, NoReaderError

__all__ = ["Connection", "Context", "PNP_NOTIFICATION"]

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

_U32 = 0xFFFFFFFF
_REMOVED = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_E_NOT_TRANSACTED,
    scard.SCARD_F_COMM_ERROR,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_W_UNRESPONSIVE_CARD,
}
_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}
_NO_READER = {
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_NO_READERS_AVAILABLE,
}


def _code(hresult: int) -> int:
    return hresult & _U32


def _same(hresult: int, codes: set[int]) -> bool:
    return _code(hresult) in {_code(c) for c in codes}


def _message(hresult: int) -> str:
    try:
        return scard.SCardGetErrorMessage(hresult)
    except Exception:  # noqa: BLE001 - a message lookup must never hide the real error
        return f"PC/SC error 0x{_code(hresult):08X}"


class Context:
    """One PC/SC context (SCardEstablishContext ... SCardReleaseContext)."""

    def __init__(self) -> None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            if _same(hresult, _NO_SERVICE):
                raise NoReaderError("pcscd is not running", pcsc_code=_code(hresult))
            raise NoReaderError(_message(hresult), pcsc_code=_code(hresult))
        self._context = context

    def release(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def readers(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self._context, [])
        if hresult == scard.SCARD_S_SUCCESS:
            return list(names)
        if _same(hresult, {scard.SCARD_E_NO_READERS_AVAILABLE}):
            return []
        if _same(hresult, _NO_SERVICE):
            raise NoReaderError("pcscd is not running", pcsc_code=_code(hresult))
        raise NoReaderError(_message(hresult), pcsc_code=_code(hresult))

    def status_change(
        self, states: list[tuple[str, int]], timeout_ms: int
    ) -> list[tuple[str, int, list[int]]] | None:
        """SCardGetStatusChange; None on timeout or cancel."""
        hresult, new = scard.SCardGetStatusChange(self._context, timeout_ms, states)
        if hresult == scard.SCARD_S_SUCCESS:
            return new
        if _same(hresult, {scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED}):
            return None
        if _same(hresult, _NO_SERVICE):
            raise NoReaderError("pcscd is not running", pcsc_code=_code(hresult))
        if _same(hresult, _NO_READER):
            raise NoReaderError("reader disappeared", pcsc_code=_code(hresult))
        raise CardError(f"watching readers failed: {_message(hresult)}")

    def cancel(self) -> None:
        """Wake a status_change waiting in another thread (safe to call from any thread)."""
        context = self._context
        if context is not None:
            scard.SCardCancel(context)

    def connect(self, reader: str) -> Connection:
        hresult, handle, protocol = scard.SCardConnect(
            self._context,
            reader,
            scard.SCARD_SHARE_EXCLUSIVE,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult == scard.SCARD_S_SUCCESS:
            return Connection(handle, protocol)
        if _same(hresult, {scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD}):
            raise NoCardError(reader)
        if _same(hresult, _NO_SERVICE):
            raise NoReaderError("pcscd is not running", pcsc_code=_code(hresult))
        if _same(hresult, _NO_READER):
            raise NoReaderError("reader not found", reader=reader, pcsc_code=_code(hresult))
        if _same(hresult, {scard.SCARD_E_SHARING_VIOLATION}):
            raise CardError(f"card in {reader} is in use by another program")
        if _same(hresult, _REMOVED):
            raise NoCardError(reader)
        raise CardError(f"cannot connect to the card in {reader}: {_message(hresult)}")


class Connection:
    """One exclusive connection to a card. `transmit` returns the raw response (data + SW)."""

    def __init__(self, handle: int, protocol: int) -> None:
        self._handle: int | None = handle
        self._pci = (
            scard.SCARD_PCI_T1 if protocol == scard.SCARD_PROTOCOL_T1 else scard.SCARD_PCI_T0
        )

    def atr(self) -> bytes:
        hresult, _reader, _state, _protocol, atr = scard.SCardStatus(self._handle)
        if hresult != scard.SCARD_S_SUCCESS:
            raise CardRemovedError("status", pcsc_code=_code(hresult))
        return bytes(atr)

    def transmit(self, apdu: bytes, operation: str) -> bytes:
        if self._handle is None:
            raise CardError("card connection is closed")
        hresult, response = scard.SCardTransmit(self._handle, self._pci, list(apdu))
        if hresult != scard.SCARD_S_SUCCESS:
            if _same(hresult, _NO_SERVICE):
                raise NoReaderError("pcscd is not running", pcsc_code=_code(hresult))
            if _same(hresult, _REMOVED | _NO_READER):
                raise CardRemovedError(operation, pcsc_code=_code(hresult))
            raise CardError(f"{operation} failed: {_message(hresult)}")
        if len(response) < 2:
            # vpcd (and some readers) report a card that vanished mid-command as an empty answer.
            raise CardRemovedError(operation)
        return bytes(response)

    def disconnect(self) -> None:
        """Disconnect and reset the card, so no verified PIN state outlives this session."""
        handle, self._handle = self._handle, None
        if handle is not None:
            scard.SCardDisconnect(handle, scard.SCARD_RESET_CARD)
