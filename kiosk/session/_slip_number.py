"""The number on a booking slip this terminal printed, as the 予約あり number pad builds it.

A booking made offline (仮予約) and a call-back request are printed with the terminal's
reference `<device id>-<sequence number, 6 digits>-<check digit>` (`_SessionCore._reference`;
central's look-up computes the same: `sync.central.bookings.kiosk_reference`), e.g.
`kiosk-0001-000042-7`. Only the digits vary between this terminal's slips: the pad fills in the
device id and the hyphens, and the resident types the 7 digits.

Invariants: pure functions, no I/O. The check digit is the byte-weighted sum of
`<device id>-<number as typed>` mod 10, so a single mistyped digit is caught before the number
leaves the terminal; a number with another prefix (another terminal's slip, typed on the
letters keyboard) is not judged here: central says whether it is a booking.
"""

from __future__ import annotations

import re

__all__ = ["SLIP_DIGITS", "slip_number", "slip_number_problem"]

SLIP_DIGITS = 7  # the 6-digit number and its check digit, as printed
_TAIL = re.compile(r"([0-9]{6,9})-([0-9])")


def slip_number(prefix: str, digits: str) -> str:
    """`kiosk-0001` + `0000427` -> `kiosk-0001-000042-7`: the last digit typed is the check
    digit. Fewer than 7 digits give an incomplete number (`slip_number_problem` says so)."""
    if len(digits) < SLIP_DIGITS:
        return f"{prefix}-{digits}"
    return f"{prefix}-{digits[:-1]}-{digits[-1]}"


def _check(core: str) -> int:
    return sum((i + 1) * b for i, b in enumerate(core.encode())) % 10


def slip_number_problem(reference: str, device_id: str) -> str | None:
    """For a number of this terminal's slips (it starts with `<device id>-`): "incomplete" when
    digits are missing, "mistyped" when its check digit does not match; else None."""
    prefix = f"{device_id}-"
    if not reference.startswith(prefix):
        return None
    m = _TAIL.fullmatch(reference[len(prefix) :])
    if m is None:
        return "incomplete"
    if _check(f"{device_id}-{m[1]}") != int(m[2]):
        return "mistyped"
    return None
