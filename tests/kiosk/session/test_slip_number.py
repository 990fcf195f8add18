"""The booking slip's number as the 予約あり pad builds it, checked before it leaves the terminal
(table-driven): this terminal's slips only; another prefix is central's to judge."""

from __future__ import annotations

import pytest

from kiosk.session import slip_number
from kiosk.session._slip_number import slip_number_problem
from sync.central.bookings import kiosk_reference


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        (kiosk_reference("kiosk-0001", 42), None),  # as printed: kiosk-0001-000042-6
        (kiosk_reference("kiosk-0001", 1234567), None),  # 7 digits of number
        ("kiosk-0001-000042-7", "mistyped"),  # wrong check digit
        ("kiosk-0001-000024-6", "mistyped"),  # two digits swapped
        ("kiosk-0001-00004", "incomplete"),
        ("kiosk-0001-", "incomplete"),
        ("K9-000001-0", None),  # another terminal's slip: central says
        ("B1A2B3C4D", None),  # central's online form: central says
    ],
)
def test_this_terminals_slip_numbers_are_checked(typed, problem):
    assert slip_number_problem(typed, "kiosk-0001") == problem


def test_the_pad_builds_the_number_as_printed():
    assert slip_number("kiosk-0001", "0000426") == "kiosk-0001-000042-6"
    assert slip_number("C01", "00004") == "C01-00004"
