"""Errors of the central dashboard. Messages never carry personal data: only option names,
addresses the dashboard listens on, and which query parameter was wrong."""

from __future__ import annotations

from sync.errors import SyncError

__all__ = ["BadQueryError", "DashboardConfigError", "DashboardError"]


class DashboardError(SyncError):
    """Base of every error of the dashboard."""


class DashboardConfigError(DashboardError):
    """The dashboard cannot start as configured (listen address, token, store path)."""


class BadQueryError(DashboardError):
    """A request's query string is not one the dashboard accepts: answered with 400."""
