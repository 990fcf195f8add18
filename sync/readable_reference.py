"""Reference numbers residents read out and staff type: `C01-0017-3`, or with several terminals
in a center `C01B-0017-3` (s3 review A3; the format is in docs/record-format.md).

    <center code><terminal mark>-<number>-<check digit>

- center code (`SessionConfig.reference_center`): one or two capital letters and one to three
  digits (`C01`), one per center, unique in the city (set at enrolment);
- terminal mark (`SessionConfig.reference_mark`): empty for a center's only terminal, else one
  capital letter; a mark is never given to a second terminal of the center (a replaced
  terminal gets the next letter), so (code, mark) names one terminal forever;
- number: the terminal's own outbox sequence number in full, at least 4 digits (`0017`,
  `12345`);
- check digit: Damm's algorithm over the code and mark (letters as two digits, A=10 … Z=35) and
  the number as printed (at least 4 digits): every single mistyped digit and every swap of two
  neighbouring digits is caught. Typed without its leading zeros, the number reads the same.

Invariants (why a reference is unique city-wide, even offline, and maps back to its record):
- One terminal's sequence numbers never repeat (`sync.outbox`, across recovery too) and no two
  terminals share (code, mark): nothing needs coordinating, the terminal may be offline.
- Central finds the record from (code, mark) → device id (`locate_reference`, given the
  registry's references) and the number → the record header's `seq`. The reference holds no
  personal data and no device id.
- Old references stay readable (`parse_reference` gives their `form`): `device`, the former
  `<device id>-<seq, 6 digits>-<check>` (`device_reference`; still printed when no center code
  is configured, and by bookings), which names the device itself; `dated`, the short-lived
  `<center>-<MMDD>-<mark><seq mod 10000>` (`format_dated_reference`), which central can match
  only with the created-at day.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

__all__ = [
    "ReadableReference",
    "device_reference",
    "format_dated_reference",
    "format_reference",
    "locate_reference",
    "parse_reference",
    "reference_center_problem",
    "reference_mark_problem",
]

MODULUS = 10_000  # the dated form's number
_CODE = re.compile(r"[A-Z]{1,2}[0-9]{1,3}")
_MARK = re.compile(r"[A-Z]?")
_SHORT = re.compile(
    r"(?P<code>[A-Z]{1,2}[0-9]{1,3})(?P<mark>[A-Z]?)-(?P<n>[0-9]{1,9})-(?P<c>[0-9])"
)
_DEVICE = re.compile(r"(?P<dev>[A-Za-z0-9][A-Za-z0-9._:-]{0,63})-(?P<n>[0-9]{6,9})-(?P<c>[0-9])")
_DATED = re.compile(
    r"(?P<center>[^\s-]{1,8})-(?P<mm>\d{2})(?P<dd>\d{2})-(?P<mark>[A-Z]?)(?P<n>\d{4})"
)
# Damm's quasigroup of order 10 (totally anti-symmetric, zero diagonal).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


@dataclass(frozen=True)
class ReadableReference:
    """A parsed reference. `form`: "short" (`C01B-0017-3`: center, mark, seq), "device" (the
    former `<device>-<seq>-<check>`: device_id, seq) or "dated" (`中央-1203-B0042`: center,
    month, day, mark, number = seq mod 10,000; seq None)."""

    form: str
    center: str = ""
    mark: str = ""
    seq: int | None = None
    device_id: str = ""
    month: int = 0
    day: int = 0
    number: int = 0

    @property
    def terminal(self) -> str:
        """`C01B`: the terminal's part of a short reference (registry key)."""
        return self.center + self.mark


def reference_center_problem(center: str) -> str | None:
    """Why `center` cannot be a center code, or None."""
    if not isinstance(center, str) or not _CODE.fullmatch(center):
        return "1-2 capital letters then 1-3 digits, e.g. C01"
    return None


def reference_mark_problem(mark: str) -> str | None:
    if not isinstance(mark, str) or not _MARK.fullmatch(mark):
        return "empty or one letter A-Z (a digit would read as part of the center code)"
    return None


def _digits(text: str) -> str:
    return "".join(str(int(c, 36)) for c in text)  # 0-9 as they are, A=10 ... Z=35


def check_digit(digits: str) -> int:
    """Damm's check digit of a string of decimal digits."""
    interim = 0
    for d in digits:
        interim = _DAMM[interim][int(d)]
    return interim


def format_reference(center: str, mark: str, seq: int) -> str:
    """`<center><mark>-<seq, at least 4 digits>-<check>`, e.g. `C01-0017-3`."""
    if reference_center_problem(center) or reference_mark_problem(mark):
        raise ValueError("bad reference center code or terminal mark")
    if type(seq) is not int or not 1 <= seq < 10**9:
        raise ValueError("seq must be an int from 1 to 999,999,999")
    check = check_digit(_digits(center + mark) + f"{seq:04d}")
    return f"{center}{mark}-{seq:04d}-{check}"


def device_reference(device_id: str, seq: int) -> str:
    """The former form `<device>-<seq, 6 digits>-<check>` (a byte-weighted sum mod 10), still
    printed when no center code is configured and by bookings (central's booking look-up
    computes it: `sync.central.bookings.kiosk_reference`)."""
    core = f"{device_id}-{seq:06d}"
    check = sum((i + 1) * b for i, b in enumerate(core.encode())) % 10
    return f"{core}-{check}"


def format_dated_reference(center: str, day: date, mark: str, seq: int) -> str:
    """The dated form of 2026-12-03, `<center>-<MMDD>-<mark><seq mod 10000>`: kept so that
    what was printed with it still parses; nothing prints it any more."""
    if not isinstance(center, str) or not 1 <= len(center) <= 8:
        raise ValueError("bad reference center")
    if "-" in center or any(c.isspace() for c in center) or not center.isprintable():
        raise ValueError("bad reference center")
    if reference_mark_problem(mark):
        raise ValueError("bad reference mark")
    if type(seq) is not int or seq < 1:
        raise ValueError("seq must be a positive int")
    return f"{center}-{day.month:02d}{day.day:02d}-{mark}{seq % MODULUS:04d}"


def parse_reference(text: str) -> ReadableReference | None:
    """A reference as staff type it (full-width characters, lower case and spaces around it
    accepted), or None when it is none of the forms or its check digit is wrong."""
    if not isinstance(text, str) or len(text) > 100:
        return None
    typed = unicodedata.normalize("NFKC", text).strip()
    m = _SHORT.fullmatch(typed.upper())
    if m is not None:
        seq = int(m["n"])
        digits = _digits(m["code"] + m["mark"]) + f"{seq:04d}"  # as printed: 4 digits at least
        if seq >= 1 and check_digit(digits) == int(m["c"]):
            return ReadableReference("short", center=m["code"], mark=m["mark"], seq=seq)
    m = _DEVICE.fullmatch(typed)
    if m is not None:
        seq = int(m["n"])
        if seq >= 1 and device_reference(m["dev"], seq) == typed:
            return ReadableReference("device", device_id=m["dev"], seq=seq)
    m = _DATED.fullmatch(typed)
    if m is not None:
        month, day = int(m["mm"]), int(m["dd"])
        if 1 <= month <= 12 and 1 <= day <= 31:
            return ReadableReference("dated", center=m["center"], mark=m["mark"], month=month,
                                     day=day, number=int(m["n"]))  # fmt: skip
    return None


def locate_reference(text: str, terminals: Mapping[str, str]) -> tuple[str, int] | None:
    """(device id, seq) of the record a reference names, or None. `terminals` maps a terminal's
    reference part (`C01B`, the registry's `reference`) to its device id. A dated reference
    needs the created-at day as well: None here (see `parse_reference`)."""
    ref = parse_reference(text)
    if ref is None or ref.seq is None:
        return None
    if ref.form == "device":
        return ref.device_id, ref.seq
    device = terminals.get(ref.terminal)
    return (device, ref.seq) if device else None
