"""Query-string validation of the dashboard's pages (pure: no Flask, no I/O).

Invariants: a page accepts only the parameters it names, each at most once, each with one of
its allowed values; anything else is a `BadQueryError` (answered with 400) whose message names
the parameter but never echoes an arbitrary value back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sync.central.dashboard.errors import BadQueryError

__all__ = [
    "MAX_QUERY_BYTES",
    "PROCEDURE_WINDOWS",
    "SATISFACTION_WINDOWS",
    "SHELTER_WINDOWS",
    "Window",
    "parse_choices",
    "parse_window",
]

MAX_QUERY_BYTES = 512

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class Window:
    """A time window ending now: its name as written in the query (`30d`) and its length."""

    name: str
    seconds: int


def _windows(*names: str) -> dict[str, Window]:
    unit = {"h": 3600, "d": 86400}
    return {n: Window(n, int(n[:-1]) * unit[n[-1]]) for n in names}


SATISFACTION_WINDOWS = _windows("7d", "30d", "90d", "365d")
PROCEDURE_WINDOWS = SATISFACTION_WINDOWS
SHELTER_WINDOWS = _windows("24h", "72h")


def _check_names(pairs: Iterable[tuple[str, str]], allowed: set[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key not in allowed:
            shown = f" '{key}'" if _NAME.match(key) else ""
            accepted = ", ".join(sorted(allowed)) or "none"
            raise BadQueryError(f"unknown query parameter{shown} (accepted: {accepted})")
        if key in seen:
            raise BadQueryError(f"query parameter '{key}' given more than once")
        seen[key] = value
    return seen


def check_query(raw_query: bytes, pairs: Iterable[tuple[str, str]], allowed: set[str]) -> dict:
    """The page's parameters as a dict, or `BadQueryError`."""
    if len(raw_query) > MAX_QUERY_BYTES:
        raise BadQueryError(f"query string too long (at most {MAX_QUERY_BYTES} bytes)")
    return _check_names(pairs, allowed)


def parse_window(
    raw_query: bytes,
    pairs: Iterable[tuple[str, str]],
    windows: Mapping[str, Window],
    default: str,
) -> Window:
    """`?window=` of a page: one of `windows` (default when absent), else `BadQueryError`."""
    params = check_query(raw_query, pairs, {"window"})
    name = params.get("window", default)
    if name not in windows:
        raise BadQueryError("window must be one of " + ", ".join(windows))
    return windows[name]


def parse_choices(
    raw_query: bytes,
    pairs: Iterable[tuple[str, str]],
    choices: Mapping[str, tuple[tuple[str, ...], str]],
) -> dict[str, str]:
    """Every parameter of `choices` ({name: (allowed values, default)}) as given or its
    default; an unknown parameter or a value not allowed is a `BadQueryError`."""
    params = check_query(raw_query, pairs, set(choices))
    out = {}
    for name, (allowed, default) in choices.items():
        value = params.get(name, default)
        if value not in allowed:
            raise BadQueryError(f"{name} must be one of " + ", ".join(allowed))
        out[name] = value
    return out
