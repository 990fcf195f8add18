"""Click options shared by the `madoguchi central` commands (serve, report, forward, dashboard)."""

from __future__ import annotations

import click

__all__ = ["db_option"]


def db_option(note: str = ""):
    """`--db`: the central store, a SQLite file or a PostgreSQL URL."""
    suffix = f" ({note})" if note else ""
    return click.option(
        "--db",
        default="central.db",
        show_default=True,
        help=f"SQLite file, or postgresql://... for PostgreSQL{suffix}.",
    )
