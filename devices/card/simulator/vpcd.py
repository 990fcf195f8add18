"""The card side of vpcd (vsmartcard's virtual reader driver for pcscd).

Wire format: each message is a 2-byte big-endian length and then that many bytes. A 1-byte message
is a control code: 0 power off, 1 power on, 2 reset (no reply), 4 get ATR (reply: the ATR). A
longer message is an APDU, answered with response data + SW1 SW2. Closing the socket is the card
being removed from the reader.

vpcd writes the length prefix and the payload in two writes; a socket with delayed ACKs would pay
~40 ms per APDU, so we set TCP_NODELAY and re-arm TCP_QUICKACK around every receive.

`VirtualCardLink` moves bytes; what the card does is a `CardBehaviour` (a plain object with
`atr`, `power_on()`, `power_off()`, `reset()`, `process(apdu) -> bytes`), so the My Number card
simulator and tiny test cards share this transport.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from typing import Protocol

__all__ = ["CardBehaviour", "VirtualCardLink", "VPCD_CONTROL"]

log = logging.getLogger(__name__)

VPCD_CONTROL = {0: "power_off", 1: "power_on", 2: "reset", 4: "get_atr"}
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


class CardBehaviour(Protocol):
    atr: bytes

    def power_on(self) -> None: ...
    def power_off(self) -> None: ...
    def reset(self) -> None: ...
    def process(self, apdu: bytes) -> bytes: ...


class VirtualCardLink:
    """Connects a `CardBehaviour` to vpcd on host:port and serves it on a background thread.

    `insert()` connects (the card appears in the reader), `remove()` closes the socket (the card is
    pulled out, even in the middle of an exchange). Both are idempotent. `remove_after_apdus(n)`
    arms a pull after the n-th further APDU has been received but before it is answered, which is
    how tests pull a card mid-read deterministically.
    """

    def __init__(self, card: CardBehaviour, host: str = "127.0.0.1", port: int = 35963) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.apdu_count = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pull_after: int | None = None

    # -- life cycle -------------------------------------------------------------------------
    def insert(self, timeout: float = 5.0) -> None:
        """Connect to vpcd, retrying until `timeout` while pcscd's driver starts listening."""
        with self._lock:
            if self._sock is not None:
                return
            deadline = time.monotonic() + timeout
            while True:
                try:
                    sock = socket.create_connection((self.host, self.port), timeout=1.0)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self._thread = threading.Thread(
                target=self._serve, args=(sock,), name="vpcd-card", daemon=True
            )
            self._thread.start()

    def remove(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def remove_after_apdus(self, n: int) -> None:
        self._pull_after = self.apdu_count + n

    def __enter__(self) -> VirtualCardLink:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # -- the wire ---------------------------------------------------------------------------
    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until the link ends (removed, or vpcd/pcscd closed it); False on timeout."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _serve(self, sock: socket.socket) -> None:
        try:
            self._serve_loop(sock)
        finally:
            with self._lock:  # vpcd went away: the card is no longer in the reader
                if self._sock is sock:
                    self._sock = None
                    sock.close()

    def _serve_loop(self, sock: socket.socket) -> None:
        try:
            while True:
                header = _recv_exact(sock, 2)
                if header is None:
                    return
                (length,) = struct.unpack(">H", header)
                message = _recv_exact(sock, length)
                if message is None:
                    return
                reply = self._handle(message)
                if reply is _PULLED:
                    self._pull_now(sock)
                    return
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            return  # removed from another thread, or vpcd went away

    def _pull_now(self, sock: socket.socket) -> None:
        with self._lock:
            if self._sock is sock:
                self._sock = None
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _handle(self, message: bytes) -> bytes | object | None:
        if len(message) == 1:
            code = message[0]
            if code == 0:
                self.card.power_off()
            elif code == 1:
                self.card.power_on()
            elif code == 2:
                self.card.reset()
            elif code == 4:
                return bytes(self.card.atr)
            else:
                log.warning("vpcd sent unknown control code %d", code)
            return None
        self.apdu_count += 1
        if self._pull_after is not None and self.apdu_count >= self._pull_after:
            self._pull_after = None
            return _PULLED
        return self.card.process(bytes(message))


_PULLED = object()


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        if _QUICKACK is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except OSError:
                pass
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)
