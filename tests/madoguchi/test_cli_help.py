"""Every command of `madoguchi` has help text, answers --help, and the version prints."""

import click
from click.testing import CliRunner

from madoguchi import __version__
from madoguchi.cli import cli


def _walk(command, path=()):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), (*path, name))


def test_every_command_has_help_text():
    commands = list(_walk(cli))
    assert len(commands) > 1
    for path, command in commands:
        assert (command.help or command.short_help or "").strip(), (
            f"no help: madoguchi {' '.join(path)}"
        )
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_unknown_command_fails():
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code != 0
