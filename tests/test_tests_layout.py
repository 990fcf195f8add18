"""The tests' own layout rules (docs/harness.md): test folders mirror the packages, every test
folder is a package with a conftest, and a test reaches into private modules (`_name`) only of the
package its folder mirrors: everything else it uses through public APIs."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
PACKAGES = ("madoguchi", "kiosk", "sync", "devices", "provisioning")
# Folders that mirror something other than a Python package.
NON_PACKAGE_FOLDERS = {"systemd", "image_build", "support"}


def _test_folders() -> list[Path]:
    return sorted(
        p
        for p in TESTS.rglob("*")
        if p.is_dir() and p.name not in ("__pycache__", "data") and "data" not in p.parts
    )


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
            out += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


def _private_owner(module: str) -> str | None:
    """`kiosk.ui._walk.mount` -> `kiosk.ui` (the package whose private module it is), else None."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def test_every_test_folder_mirrors_a_package_or_a_named_folder():
    stray = []
    for folder in _test_folders():
        rel = folder.relative_to(TESTS).parts
        if rel[0] in NON_PACKAGE_FOLDERS:
            assert (REPO / rel[0]).is_dir() or rel[0] == "support", rel
            continue
        if not (REPO.joinpath(*rel) / "__init__.py").is_file():
            stray.append("/".join(rel))
    assert not stray, f"test folders that mirror no package: {stray}"


def test_every_test_folder_is_a_package_with_a_conftest():
    missing = []
    for folder in [TESTS, *_test_folders()]:
        if not (folder / "__init__.py").is_file():
            missing.append(f"{folder.relative_to(REPO)}/__init__.py")
        if folder.name != "support" and not (folder / "conftest.py").is_file():
            missing.append(f"{folder.relative_to(REPO)}/conftest.py")
    assert not missing, missing


def test_no_test_module_sits_at_the_top_but_this_one():
    assert sorted(p.name for p in TESTS.glob("test_*.py")) == ["test_tests_layout.py"]


def test_private_modules_are_reached_only_from_their_own_test_folder():
    offences = []
    for path in TESTS.rglob("*.py"):
        rel = path.relative_to(TESTS).parts[:-1]
        mirrored = ".".join(rel) if rel and rel[0] in PACKAGES else None
        for module in _imports(path):
            if module.split(".")[0] not in PACKAGES:
                continue
            owner = _private_owner(module)
            if owner is None:
                continue
            if mirrored is None or not (owner == mirrored or owner.startswith(mirrored + ".")):
                offences.append(f"{path.relative_to(REPO)}: {module}")
    assert not offences, "\n".join(sorted(set(offences)))


def test_no_test_imports_another_test_module():
    offences = [
        f"{path.relative_to(REPO)}: {module}"
        for path in TESTS.rglob("*.py")
        for module in _imports(path)
        if module.startswith("tests.") and any(p.startswith("test_") for p in module.split("."))
    ]
    assert not offences, offences
