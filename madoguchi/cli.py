"""`madoguchi <command>`: one thin click layer over the library.

Every package that offers commands has a `_cli` module exposing `commands`, a list of click
commands; they are gathered here. A `MadoguchiError` from any command becomes one line on stderr
and exit code 1, never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from madoguchi import __version__
from madoguchi.core.errors import MadoguchiError

# Packages that contribute commands through their `_cli` module, in help order.
_COMMAND_PACKAGES = (
    "kiosk",
    "madoguchi.demo",
    "sync",
    "sync.central",
    "sync.central.consult",
    "provisioning",
    "devices.card",
    "devices.printer",
    "madoguchi.bench",
)


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MadoguchiError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="madoguchi")
def cli() -> None:
    """Madoguchi: a city hall service window for every community center."""


def _load_commands(group: click.Group) -> None:
    for package in _COMMAND_PACKAGES:
        name = f"{package}._cli"
        if importlib.util.find_spec(name) is None:  # the package offers no command (yet)
            continue
        for command in importlib.import_module(name).commands:
            group.add_command(command)


_load_commands(cli)


def main() -> None:
    cli(prog_name="madoguchi")


if __name__ == "__main__":
    main()
