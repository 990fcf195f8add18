"""The payment-terminal driver interface and its driver over the Madoguchi terminal protocol.

A city's cashless terminal (IC card, QR payment) is plugged in behind `PaymentTerminal`: one
call, `charge(amount_yen, reference, timeout_s)`, that returns an `Approval` or raises one of
`devices.payment.errors`. `SocketPaymentTerminal` speaks a small line protocol over TCP (a
vendor bridge or `PaymentTerminalSimulator` listens): one JSON object per line,

    → {"op": "charge", "id": <uuid>, "amount_yen": <int>, "reference": <text>}
    ← {"id": <uuid>, "status": "approved", "transaction_id": <text>}
    ← {"id": <uuid>, "status": "declined" | "cancelled", "code": <text>}
    → {"op": "abort", "id": <uuid>}          (after `timeout_s` without an answer)

Invariants:
- `charge` returns only for an answer `approved` to this very request id with this amount;
  everything else raises (`PaymentDeclinedError`, `PaymentCancelledError`,
  `PaymentTimeoutError` after sending `abort`, `TerminalOfflineError`, `PaymentProtocolError`).
- Bounded: connect and answer deadlines; at most `MAX_LINE` bytes read per answer.
- No card data crosses: the request carries an amount and the kiosk's reference only.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from devices.payment.errors import (
    PaymentCancelledError,
    PaymentDeclinedError,
    PaymentProtocolError,
    PaymentTimeoutError,
    TerminalOfflineError,
)

__all__ = ["MAX_LINE", "Approval", "PaymentTerminal", "SocketPaymentTerminal"]

MAX_LINE = 4096


@dataclass(frozen=True)
class Approval:
    amount_yen: int
    transaction_id: str


class PaymentTerminal(Protocol):
    def charge(self, amount_yen: int, reference: str, timeout_s: float) -> Approval:
        """Charge `amount_yen` (> 0) for the kiosk's `reference`; see the module invariants."""
        ...


class SocketPaymentTerminal:
    """`PaymentTerminal` over TCP to `host:port` (a vendor bridge or the simulator)."""

    def __init__(self, host: str, port: int, *, connect_timeout_s: float = 2.0) -> None:
        self.host, self.port = host, port
        self.connect_timeout_s = connect_timeout_s

    def charge(self, amount_yen: int, reference: str, timeout_s: float) -> Approval:
        if type(amount_yen) is not int or amount_yen <= 0:
            raise ValueError("amount_yen must be a positive int")
        request_id = str(uuid.uuid4())
        try:
            sock = socket.create_connection((self.host, self.port), self.connect_timeout_s)
        except OSError as e:
            raise TerminalOfflineError(
                f"payment terminal unreachable ({type(e).__name__})"
            ) from None
        with sock:
            try:
                _send(sock, {"op": "charge", "id": request_id, "amount_yen": amount_yen,
                             "reference": reference})  # fmt: skip
                answer = _read_line(sock, time.monotonic() + timeout_s)
            except TimeoutError:
                try:
                    _send(sock, {"op": "abort", "id": request_id})
                except OSError:
                    pass  # the terminal times out on its own side too
                raise PaymentTimeoutError("no answer from the payment terminal") from None
            except OSError as e:
                raise TerminalOfflineError(f"payment terminal lost ({type(e).__name__})") from None
        return _approval(answer, request_id, amount_yen)


def _send(sock: socket.socket, message: dict) -> None:
    sock.sendall(json.dumps(message, separators=(",", ":")).encode() + b"\n")


def _read_line(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(1024)
        if not chunk:
            raise ConnectionResetError("closed")
        data += chunk
        if len(data) > MAX_LINE:
            raise PaymentProtocolError("answer too long")
    return data.split(b"\n", 1)[0]


def _approval(line: bytes, request_id: str, amount_yen: int) -> Approval:
    try:
        answer = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PaymentProtocolError("answer is not JSON") from None
    if not isinstance(answer, dict) or answer.get("id") != request_id:
        raise PaymentProtocolError("answer is not for this request")
    status, code = answer.get("status"), str(answer.get("code") or "")[:32]
    if status == "declined":
        raise PaymentDeclinedError("payment declined", code=code)
    if status == "cancelled":
        raise PaymentCancelledError("payment cancelled on the terminal", code=code)
    transaction = answer.get("transaction_id")
    if status != "approved" or not isinstance(transaction, str) or not 0 < len(transaction) <= 64:
        raise PaymentProtocolError("unknown answer status")
    return Approval(amount_yen, transaction)
