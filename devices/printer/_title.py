"""The job title cupsd sees: short, one word, plain ASCII, never personal data.

Why titles look like `madoguchi-claim-slip`: Debian 12's cups-daemon 2.4.2-3+deb12u10 (a bookworm
security update) crashes with SIGSEGV on any job whose title holds whitespace (a space or a tab):
the kiosk's system cupsd would die at the first print. Titles are also kept in cupsd's job history
and logs, so they name the document kind only. `job_title` is applied where a title meets cupsd
(`Printer.print_document`), so every path (kiosk, reprints, CLI, benchmarks) is covered.
"""

from __future__ import annotations

import re

__all__ = ["job_title"]

_PREFIX = "madoguchi-"
_MAX = 48
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def job_title(kind: str) -> str:
    """`kind` as a cupsd-safe title: runs of anything but ASCII letters, digits, `.`, `_` and `-`
    become one `-`, prefixed with `madoguchi-` and cut to 48 characters.

    >>> job_title("claim slip")
    'madoguchi-claim-slip'
    >>> job_title("madoguchi print-test")
    'madoguchi-print-test'
    """
    word = _UNSAFE.sub("-", kind).strip("-.") or "document"
    if not word.startswith(_PREFIX):
        word = _PREFIX + word
    return word[:_MAX].rstrip("-.")
