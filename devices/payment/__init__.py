"""Payment terminals: the driver interface (`PaymentTerminal`), a driver over the Madoguchi
terminal protocol (`SocketPaymentTerminal`), its simulator and errors. See `terminal.py`."""

from devices.payment.errors import (
    PaymentCancelledError,
    PaymentDeclinedError,
    PaymentError,
    PaymentProtocolError,
    PaymentTimeoutError,
    TerminalOfflineError,
)
from devices.payment.simulator import PaymentTerminalSimulator
from devices.payment.terminal import Approval, PaymentTerminal, SocketPaymentTerminal

__all__ = [
    "Approval",
    "PaymentCancelledError",
    "PaymentDeclinedError",
    "PaymentError",
    "PaymentProtocolError",
    "PaymentTerminal",
    "PaymentTerminalSimulator",
    "PaymentTimeoutError",
    "SocketPaymentTerminal",
    "TerminalOfflineError",
]
