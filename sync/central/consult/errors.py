"""Errors of the consult package (the specialist console, staff accounts, the signaling relay).

Messages never carry personal data or secrets: usernames of staff accounts and role or topic
names at most, never a password, never an SDP or a chat line."""

from __future__ import annotations

from sync.errors import SyncError

__all__ = [
    "BadPasswordError",
    "ConsultConfigError",
    "ConsultError",
    "JanusError",
    "StaffExistsError",
    "UnknownRoleError",
]


class ConsultError(SyncError):
    """Base of every error of the consult package."""


class ConsultConfigError(ConsultError):
    """The console cannot start as configured (listen address, store, secret)."""


class UnknownRoleError(ConsultError):
    """A staff account was given a role the console does not know."""

    def __init__(self, role: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown role {role[:40]!r}: one of {', '.join(known)}")
        self.role = role


class BadPasswordError(ConsultError):
    """A new staff password is too short or too long."""


class StaffExistsError(ConsultError):
    """A staff account with this username exists already."""

    def __init__(self, username: str) -> None:
        super().__init__(f"staff account {username!r} exists already")
        self.username = username


class JanusError(ConsultError):
    """Janus (the SFU of calls with three or more parties) refused a request, did not answer in
    time, or cannot be reached; `code` is Janus's own error code when it gave one."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
