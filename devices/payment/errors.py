"""Payment-terminal errors: one root (`PaymentError`) with a `reason` code the kiosk shows
staff and the resident's screen translates (`declined`, `timeout`, `cancelled`, `offline`,
`protocol`). Socket and JSON errors are translated where the driver calls them; the kiosk never
sees a `socket` or `json` type. Messages never carry card data (the terminal never sends any)."""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = [
    "PaymentCancelledError",
    "PaymentDeclinedError",
    "PaymentError",
    "PaymentProtocolError",
    "PaymentTimeoutError",
    "TerminalOfflineError",
]


class PaymentError(MadoguchiError):
    """The payment was not approved; nothing was charged (see `reason`)."""

    reason = "error"

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # the terminal's own decline code, for staff (never card data)


class PaymentDeclinedError(PaymentError):
    reason = "declined"


class PaymentCancelledError(PaymentError):
    """The resident cancelled on the terminal."""

    reason = "cancelled"


class PaymentTimeoutError(PaymentError):
    """No answer in time; the driver aborted the charge on the terminal."""

    reason = "timeout"


class TerminalOfflineError(PaymentError):
    """The terminal cannot be reached (not connected, switched off)."""

    reason = "offline"


class PaymentProtocolError(PaymentError):
    """The terminal answered something this driver does not understand."""

    reason = "protocol"
