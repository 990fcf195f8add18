"""The `bench` command group: one subcommand per benchmark module in this package."""

from __future__ import annotations

import importlib
import pkgutil

import click

import madoguchi.bench as _pkg


class _BenchGroup(click.Group):
    def _names(self) -> list[str]:
        return sorted(
            m.name for m in pkgutil.iter_modules(_pkg.__path__) if not m.name.startswith("_")
        )

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._names()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self._names():
            return None
        return importlib.import_module(f"madoguchi.bench.{name}").command


@click.group(cls=_BenchGroup)
def bench() -> None:
    """Run a benchmark; prints one JSON object (see docs/benchmarks.md)."""


commands = [bench]
