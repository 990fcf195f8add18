"""The central dashboard: a read-only web app for city-hall staff (`madoguchi central dashboard`).

Pages (HTML) and the same data as JSON under /api/: overview of devices and centers,
satisfaction, procedures and step timings, shelter occupancy. See docs/dashboard.md.

Invariants: it never writes to the store (read-only connections, bounded queries); it shows
aggregates and counts only, never a record body, a name, an address or any free text; Flask and
waitress are imported only by this package (and only when the app or the server is used).

Modules: `params` (query validation), `auth` (token, listen policy), `readonly_store`,
`aggregate` (pure arithmetic), `queries` (one per page), `centers` (registry), `app` (Flask),
`server` (waitress), `command` (click).
"""

from __future__ import annotations

import importlib

__all__ = [
    "BadQueryError",
    "Center",
    "DashboardConfig",
    "DashboardConfigError",
    "DashboardError",
    "DashboardServer",
    "ReadOnlyStore",
    "create_app",
    "open_readonly",
    "parse_listen",
    "registry_centers",
]

_WHERE = {
    "BadQueryError": "errors",
    "DashboardConfigError": "errors",
    "DashboardError": "errors",
    "Center": "queries",
    "ReadOnlyStore": "readonly_store",
    "open_readonly": "readonly_store",
    "DashboardConfig": "app",
    "create_app": "app",
    "DashboardServer": "server",
    "parse_listen": "server",
    "registry_centers": "centers",
}


def __getattr__(name: str):
    # Lazy: importing the package (e.g. for the CLI) does not import Flask or waitress.
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(name)
