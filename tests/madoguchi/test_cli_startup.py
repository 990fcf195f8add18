"""`madoguchi --help` starts light: no network, crypto, GUI, database or PDF library is imported
(issue 17), the command list it shows is the commands' own, and a command whose extra is not
installed says which extra in one line."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from madoguchi.cli import command_summaries

REPO = Path(__file__).resolve().parents[2]
ROOT_PACKAGES = ("madoguchi", "kiosk", "sync", "devices", "provisioning")
# What `madoguchi --help` must not pay for (top-level module names as Python imports them).
HEAVY = {
    "zmq",
    "requests",
    "cryptography",
    "kivy",
    "psycopg",
    "flask",
    "waitress",
    "aiortc",
    "fpdf",
    "smartcard",
    "cups",
    "numpy",
    "cbor2",
    "babel",
}


def _imported_modules(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "madoguchi.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    # stderr lines: "import time: self [us] | cumulative | imported package" (indented by depth)
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in r.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    names.discard("imported package")
    return r, names


@pytest.mark.parametrize("args", [["--help"], ["--version"], []], ids=["help", "version", "bare"])
def test_start_up_imports_no_heavy_library(args):
    r, names = _imported_modules(*args)
    assert r.returncode in (0, 2), r.stderr[-2000:]  # bare `madoguchi` prints usage, exit 2 (click)
    assert "click" in names  # the parse saw the imports
    heavy = sorted(n for n in names if n.split(".")[0] in HEAVY)
    assert not heavy, f"`madoguchi {' '.join(args)}` imported {heavy}"
    ours = sorted(n for n in names if n.split(".")[0] in ROOT_PACKAGES)
    assert all(
        n == "madoguchi" or n.startswith(("madoguchi.core", "madoguchi.cli")) for n in ours
    ), ours


def test_help_lists_every_command_with_its_own_summary():
    summaries = command_summaries()
    r = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert r.returncode == 0, r.stderr
    listed = r.stdout.split("Commands:", 1)[1]
    for name, (package, summary) in summaries.items():
        command = next(
            c for c in importlib.import_module(f"{package}._cli").commands if c.name == name
        )
        assert command.get_short_help_str(limit=10**6) == summary, (
            f"madoguchi/cli.py's summary of {name!r} differs from the command's own help"
        )
        assert f"\n  {name} " in listed


def test_every_cli_module_command_is_listed():
    """A `_cli` module's command that madoguchi/cli.py does not list would be unreachable."""
    summaries = command_summaries()
    found = {}
    for top in ROOT_PACKAGES:
        for path in (REPO / top).rglob("_cli.py"):
            package = ".".join(path.relative_to(REPO).parent.parts)
            for command in importlib.import_module(f"{package}._cli").commands:
                found[command.name] = package
    assert found == {name: package for name, (package, _) in summaries.items()}


@pytest.mark.parametrize(
    ("blocked", "argv", "extra"),
    [
        ("cups", ["print-test", "--timeout", "1"], "kiosk"),  # fails importing the command
        ("kivy", ["kiosk", "--screenshots", "{tmp}"], "kiosk"),  # fails while running it
    ],
)
def test_missing_extra_is_one_line(tmp_path, blocked, argv, extra):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    # Setting sys.modules[name] = None makes `import name` raise ModuleNotFoundError, as on a
    # machine without that extra.
    code = (
        f"import sys; sys.modules[{blocked!r}] = None; "
        f"sys.argv = ['madoguchi', *{argv!r}]; "
        "from madoguchi.cli import main; main()"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"[{extra}]" in lines[0] and blocked in lines[0]
