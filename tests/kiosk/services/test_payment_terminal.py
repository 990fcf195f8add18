"""The payment-terminal driver against its simulator over real TCP on 127.0.0.1: every outcome
(approve, decline, cancel, timeout with abort, offline, garbage) is an `Approval` or the typed
error, and `TerminalPayment` turns them into the session's `Paid` / `PortPaymentError`."""

from __future__ import annotations

import socket
import time

import pytest

from devices.payment import (
    PaymentCancelledError,
    PaymentDeclinedError,
    PaymentProtocolError,
    PaymentTerminalSimulator,
    PaymentTimeoutError,
    SocketPaymentTerminal,
    TerminalOfflineError,
)
from kiosk.services import CounterPayment, TerminalPayment
from kiosk.session.ports import Paid, PortPaymentError

pytestmark = pytest.mark.timeout(60)


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_approved_charge_returns_the_amount_and_transaction():
    with PaymentTerminalSimulator(["approve"]) as sim:
        approval = SocketPaymentTerminal(sim.host, sim.port).charge(900, "A7D7B7B6", 5.0)
    assert approval.amount_yen == 900 and approval.transaction_id.startswith("T")
    assert sim.approved == [{"amount_yen": 900, "reference": "A7D7B7B6", "mode": "approve",
                             "transaction_id": approval.transaction_id}]  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "error", "reason"),
    [
        ("decline", PaymentDeclinedError, "declined"),
        ("cancel", PaymentCancelledError, "cancelled"),
        ("timeout", PaymentTimeoutError, "timeout"),
        ("garbage", PaymentProtocolError, "protocol"),
    ],
)
def test_every_other_answer_is_a_typed_error(mode, error, reason):
    with PaymentTerminalSimulator([mode, mode]) as sim:
        terminal = SocketPaymentTerminal(sim.host, sim.port)
        with pytest.raises(error) as e:
            terminal.charge(300, "R1", 0.5)
        assert e.value.reason == reason
        # The session's port says the same reason; nothing was approved.
        with pytest.raises(PortPaymentError) as port_error:
            TerminalPayment(terminal, timeout_s=0.5).charge(300, "R2")
        assert port_error.value.reason == reason
        assert sim.approved == []
        if mode == "timeout":  # the driver told the terminal to stop waiting for the card
            deadline = time.monotonic() + 5
            while len(sim.aborts) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(sim.aborts) == 2


def test_terminal_payment_maps_outcomes_to_the_port():
    with PaymentTerminalSimulator(["decline", "approve"]) as sim:
        port = TerminalPayment(SocketPaymentTerminal(sim.host, sim.port), timeout_s=2.0)
        with pytest.raises(PortPaymentError) as e:
            port.charge(600, "R3")
        assert e.value.reason == "declined" and e.value.code == "51"
        paid = port.charge(600, "R3")
    assert isinstance(paid, Paid) and paid.method == "terminal" and paid.amount_yen == 600


def test_an_offline_terminal_is_offline():
    terminal = SocketPaymentTerminal("127.0.0.1", _refused_port(), connect_timeout_s=1.0)
    with pytest.raises(TerminalOfflineError):
        terminal.charge(300, "R4", 1.0)
    with pytest.raises(PortPaymentError) as e:
        TerminalPayment(terminal, timeout_s=1.0).charge(300, "R4")
    assert e.value.reason == "offline"


@pytest.mark.parametrize("amount", [0, -300, 1.5, "300", True])
def test_a_bad_amount_is_refused_before_the_terminal(amount):
    with PaymentTerminalSimulator() as sim:
        with pytest.raises(ValueError):
            SocketPaymentTerminal(sim.host, sim.port).charge(amount, "R5", 1.0)
        with pytest.raises(PortPaymentError) as e:
            TerminalPayment(SocketPaymentTerminal(sim.host, sim.port)).charge(amount, "R5")
        assert e.value.reason == "protocol"
        assert sim.charges == []


def test_incidents_are_kept_for_staff_without_personal_data(tmp_path):
    path = tmp_path / "payment-incidents.jsonl"
    counter = CounterPayment(incidents_path=path)
    counter.record_incident({"reference": "A1", "amount_yen": 900, "method": "terminal",
                             "transaction_id": "T1", "reasons": ["media-empty"],
                             "document": "resident_record", "name": "窓口 花子"})  # fmt: skip
    text = path.read_text(encoding="utf-8")
    assert '"amount_yen": 900' in text and "media-empty" in text and "窓口" not in text
    assert (path.stat().st_mode & 0o777) == 0o600
    with pytest.raises(PortPaymentError):
        counter.charge(300, "A1")  # counter never charges
