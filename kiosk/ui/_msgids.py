"""Every UI string the screens can show, found in the sources (the test on untranslated strings
and the `.po` files are checked against this list).

Strings are written as `app.tr('...')` / `tr("...")` calls in `.kv` and Python files,
`GUIDANCE = "..."` on screen classes, and the notice table in `_root.py`. Only literal English
msgids count; the catalog's own texts (procedures, questions) are translated in the catalog.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

__all__ = ["ui_msgids"]

_HERE = Path(__file__).resolve().parent
_KV_TR = re.compile(r"""\btr\(\s*(['"])((?:\\.|(?!\1).)*)\1""")


def _py_msgids(path: Path) -> set[str]:
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name == "tr":
                for arg in node.args[:1]:
                    out |= _literals(arg)
        elif isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if "GUIDANCE" in targets or "NOTICE_TEXT" in targets:
                out |= _literals(node.value, dict_values=True)
    return {s for s in out if s}


def _literals(node: ast.AST, dict_values: bool = False) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    if dict_values and isinstance(node, ast.Dict):
        return {v.value for v in node.values if isinstance(v, ast.Constant)}
    return set()


def ui_msgids() -> set[str]:
    """All msgids used by kiosk/app.py and kiosk/ui/** (kv and Python)."""
    out: set[str] = set()
    for kv in sorted(_HERE.rglob("*.kv")):
        for m in _KV_TR.finditer(kv.read_text(encoding="utf-8")):
            out.add(m.group(2).replace("\\'", "'"))
    for py in [*sorted(_HERE.rglob("*.py")), _HERE.parent / "app.py"]:
        out |= _py_msgids(py)
    return out
