"""Short, readable reference numbers for receipts and slips: `中央-1203-0042`, or with several
terminals in a center `中央-1203-B0042` (center short name, month and day, the terminal's mark,
a 4-digit number).

Invariants (why they stay unique per center and day, even offline):
- The number is the terminal's own outbox sequence modulo 10,000: one terminal's sequence
  numbers never repeat (`sync.outbox`), so within one day two of its references collide only
  after 10,000 records in that day (a terminal appends a few hundred).
- Terminals of one center carry different marks (`SessionConfig.reference_mark`, one letter or
  digit, set at enrolment; a center with one terminal may leave it empty), so two terminals
  never produce the same reference, with or without a connection: nothing is coordinated.
- The center's short name (`SessionConfig.reference_center`) comes from config; `-` and white
  space are refused there so a reference parses back unambiguously (`parse_reference`).
- Central finds the record of a reference from its header (device → center and mark from the
  registry, created-at day, seq ≡ number mod 10,000); the reference itself holds no personal
  data and no device id.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = [
    "ReadableReference",
    "format_reference",
    "parse_reference",
    "reference_center_problem",
    "reference_mark_problem",
]

MODULUS = 10_000
_MARK = re.compile(r"[A-Z]?")
_PARSE = re.compile(
    r"(?P<center>[^\s-]{1,8})-(?P<mm>\d{2})(?P<dd>\d{2})-(?P<mark>[A-Z]?)(?P<n>\d{4})"
)


@dataclass(frozen=True)
class ReadableReference:
    center: str
    month: int
    day: int
    mark: str
    number: int


def reference_center_problem(center: str) -> str | None:
    """Why `center` cannot be a reference prefix, or None."""
    if not isinstance(center, str) or not 1 <= len(center) <= 8:
        return "1-8 characters"
    if "-" in center or any(c.isspace() for c in center) or not center.isprintable():
        return "no '-', spaces or control characters"
    return None


def reference_mark_problem(mark: str) -> str | None:
    if not isinstance(mark, str) or not _MARK.fullmatch(mark):
        return "empty or one letter A-Z (a digit would read as part of the number)"
    return None


def format_reference(center: str, day: date, mark: str, seq: int) -> str:
    """`<center>-<MMDD>-<mark><seq mod 10000, 4 digits>`."""
    if reference_center_problem(center) or reference_mark_problem(mark):
        raise ValueError("bad reference center or mark")
    if type(seq) is not int or seq < 1:
        raise ValueError("seq must be a positive int")
    return f"{center}-{day.month:02d}{day.day:02d}-{mark}{seq % MODULUS:04d}"


def parse_reference(text: str) -> ReadableReference | None:
    """The parts of a readable reference as staff type it (full-width digits accepted), or None."""
    import unicodedata

    m = (
        _PARSE.fullmatch(unicodedata.normalize("NFKC", text.strip()))
        if isinstance(text, str)
        else None
    )
    if m is None:
        return None
    month, day = int(m["mm"]), int(m["dd"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return ReadableReference(m["center"], month, day, m["mark"], int(m["n"]))
