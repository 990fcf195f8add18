"""`madoguchi <command>`: one thin click layer over the library, loaded lazily.

Guarantees:
- `madoguchi --help` (and `--version`) imports click and nothing of ours beyond `madoguchi.core`:
  no network, crypto, GUI, database or PDF library. A command's module (`<package>._cli`, which
  exposes `commands`, a list of click commands) is imported only when that command runs or shows
  its own help. The one-line summaries `madoguchi --help` lists are kept here for that reason;
  tests/madoguchi/test_cli_startup.py checks they equal the commands' own.
- A `MadoguchiError` from any command, and an `OSError` (a file, directory or socket the
  operating system refused), becomes one line on stderr and exit code 1, never a traceback. Any
  other exception is a bug in the command and keeps its traceback, so that it gets fixed there.
  Usage errors (a missing or malformed option or argument) keep click's answer: the usage line,
  a hint, the error, and exit code 2.
- A command whose optional dependencies are not installed (the extras of pyproject.toml: a city
  hall server has no `[kiosk]`, the terminal no `[central]`) says which extra it needs, in one line
  with exit code 1.
"""

from __future__ import annotations

import importlib
import sys

import click

from madoguchi.core import __version__
from madoguchi.core.errors import MadoguchiError

# Command name -> (package whose `_cli` module defines it, its line in `madoguchi --help`), in help
# order (click sorts nothing here).
_COMMANDS: dict[str, tuple[str, str]] = {
    "kiosk": (
        "kiosk",
        "Run the resident's touch screen (or save screenshots of every screen).",
    ),
    "kiosk-hash-staff-pin": (
        "kiosk",
        "Print the hash of a staff PIN (6-12 digits) for the kiosk config or the config bundle's "
        "`staff_pins` (the PIN itself is never stored).",
    ),
    "demo": (
        "madoguchi.demo",
        "Run the kiosk with central, sync agent, simulated card and a PDF printer, all here.",
    ),
    "sync-agent": (
        "sync",
        "The device's sync agent: sends the outbox to the central side over ZeroMQ CURVE.",
    ),
    "central": (
        "sync.central",
        "The central side: receiver, store, processing, forwarder and dashboard.",
    ),
    "consult": (
        "sync.central.consult",
        "オンライン窓口: the specialist console and its staff accounts.",
    ),
    "provision": (
        "provisioning",
        "Central keys, device enrollment and bundles (IT staff).",
    ),
    "card-sim": (
        "devices.card",
        "Simulated My Number card behind pcscd (vpcd), for tests and the demo.",
    ),
    "print-test": (
        "devices.printer",
        "Print a test receipt (or A4 test page) and report the printer status.",
    ),
    "build-print-font": (
        "devices.printer",
        "Build the compact CJK font copies, regular and bold, for the printer and the screens.",
    ),
    "bench": (
        "madoguchi.bench",
        "Run a benchmark; prints one JSON object (see docs/benchmarks.md).",
    ),
}

# Optional third-party libraries -> the extra of pyproject.toml that installs them.
_EXTRA_OF = {
    "kivy": "kiosk",
    "smartcard": "kiosk",
    "cups": "kiosk",
    "fpdf": "kiosk",
    "fontTools": "kiosk",
    "segno": "kiosk",
    "zmq": "kiosk] or [central",
    "requests": "kiosk] or [central",
    "flask": "kiosk] or [central",
    "werkzeug": "kiosk] or [central",
    "waitress": "kiosk] or [central",
    "psycopg": "central",
    "aiortc": "call",
    "av": "call",
    "numpy": "call",
}


def _one_line(message: str) -> str:
    # A message that spans lines (a wrapped cause, a list of problems) still prints as one line,
    # so that a service manager's journal and a script reading stderr see one record.
    return "; ".join(part.strip() for part in message.splitlines() if part.strip())


def _missing_extra(command: str, error: ModuleNotFoundError) -> click.ClickException | None:
    library = (error.name or "").split(".")[0]
    extra = _EXTRA_OF.get(library)
    if extra is None:
        return None
    return click.ClickException(
        f"'madoguchi {command}' needs the [{extra}] extra ({library} is not installed): "
        f"pip install 'madoguchi[{extra.split(']')[0]}]'"
    )


class _LazyGroup(click.Group):
    """Lists commands from `_COMMANDS` and imports a command's module only to run it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        try:
            module = importlib.import_module(f"{entry[0]}._cli")
        except ModuleNotFoundError as e:
            missing = _missing_extra(cmd_name, e)
            if missing is None:
                raise
            raise missing from e
        for command in module.commands:
            if command.name == cmd_name:
                return command
        raise LookupError(
            f"{entry[0]}._cli defines no command {cmd_name!r}"
        )  # a bug: fix _COMMANDS

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own version calls get_command for every name: that would import every module.
        width = max(len(name) for name in _COMMANDS)
        limit = formatter.width - 6 - width
        rows = [
            (name, click.Command(name, help=summary).get_short_help_str(limit))
            for name, (_, summary) in _COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MadoguchiError as e:
            click.echo(f"error: {_one_line(str(e))}", err=True)
            sys.exit(1)
        except OSError as e:
            # The operating system refused a file, directory or socket the operator named (a
            # path under a regular file, a full disk, a port in use): its message names the
            # path, and a traceback would add nothing the operator can act on.
            click.echo(f"error: {_one_line(str(e))}", err=True)
            sys.exit(1)
        except ModuleNotFoundError as e:  # a command that imports its library when it runs
            missing = _missing_extra(ctx.invoked_subcommand or "", e)
            if missing is None:
                raise
            click.echo(f"error: {missing.message}", err=True)
            sys.exit(1)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="madoguchi")
def cli() -> None:
    """Madoguchi: a city hall service window for every community center."""


def command_summaries() -> dict[str, tuple[str, str]]:
    """Every command's (package, summary) as `madoguchi --help` lists them (for tests and docs)."""
    return dict(_COMMANDS)


def main() -> None:
    cli(prog_name="madoguchi")


if __name__ == "__main__":
    main()
