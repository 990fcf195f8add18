"""Kiosk session errors (configuration mistakes; resident-facing problems are `Notice`s)."""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = ["SessionConfigError", "SessionError"]


class SessionError(MadoguchiError):
    """Base of kiosk session errors."""


class SessionConfigError(SessionError):
    """A bad `SessionConfig` value (names the field, never a secret)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"session config {field}: {reason}")
        self.field = field
        self.reason = reason
