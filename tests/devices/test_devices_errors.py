"""devices/ keeps its exceptions in one `errors.py` per package (issue 17): no exception class is
defined in any other module, every one is named `...Error`, and the public ones derive from
`MadoguchiError` (so the CLI prints them as one line)."""

import ast
import importlib
from pathlib import Path

from madoguchi.core.errors import MadoguchiError

DEVICES = Path(__file__).resolve().parents[2] / "devices"
# Raised and caught inside their package only, never seen by a caller (see each errors.py).
INTERNAL = {"CupsConnectionLostError", "FrameError", "RenderTimeoutError", "TlvError"}


def _classes(path: Path) -> list[ast.ClassDef]:
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)]


def _looks_like_exception(node: ast.ClassDef) -> bool:
    bases = [ast.unparse(b) for b in node.bases]
    return node.name.endswith(("Error", "Exception")) or any(
        b.endswith(("Error", "Exception")) for b in bases
    )


def test_no_exception_class_outside_errors_modules():
    stray = [
        f"{path.relative_to(DEVICES.parent)}: {node.name}"
        for path in sorted(DEVICES.rglob("*.py"))
        if path.name != "errors.py"
        for node in _classes(path)
        if _looks_like_exception(node)
    ]
    assert not stray


def test_errors_modules_hold_error_classes_under_madoguchi_error():
    modules = sorted(DEVICES.rglob("errors.py"))
    assert {p.parent.name for p in modules} >= {"devices", "card", "printer", "payment"}
    for path in modules:
        name = ".".join(path.relative_to(DEVICES.parent).with_suffix("").parts)
        module = importlib.import_module(name)
        for node in _classes(path):
            assert node.name.endswith("Error"), f"{name}.{node.name}"
            cls = getattr(module, node.name)
            assert issubclass(cls, BaseException)
            if node.name not in INTERNAL:
                assert issubclass(cls, MadoguchiError), f"{name}.{node.name}"
                assert node.name in module.__all__, f"{name}.{node.name} not in __all__"
