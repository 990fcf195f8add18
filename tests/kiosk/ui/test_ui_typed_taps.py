"""The UI reaches the session only through typed flow methods, and its modules form no cycle.

Read from the source (kv rules and the Python of kiosk/ui), so a tap that names an intent by a
string, a screen that looks for the running app, or a frame that imports its screens fails here
at once, before any window opens."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import kiosk.ui
from kiosk.session import Flows

UI = Path(kiosk.ui.__file__).resolve().parent
KV_FILES = sorted(UI.rglob("*.kv"))
PY_FILES = sorted(UI.rglob("*.py"))
_ACT = re.compile(r"\broot\.act\(root\.flows\.([a-z_]+)\.([a-z_]+)\b")


def test_kv_taps_call_typed_flow_methods_that_exist():
    calls = []
    for kv in KV_FILES:
        text = kv.read_text(encoding="utf-8")
        assert "intent(" not in text, f"{kv.name}: an intent named by a string"
        assert "getattr(" not in text, kv.name
        calls += [(kv.name, flow, method) for flow, method in _ACT.findall(text)]
    assert len(calls) >= 50  # every button of every screen and of the frame
    flows = Flows.__dataclass_fields__
    for name, flow, method in calls:
        assert flow in flows, (name, flow)
        flow_type = flows[flow].type
        flow_class = getattr(__import__("kiosk.session", fromlist=[flow_type]), flow_type)
        assert callable(getattr(flow_class, method, None)), (name, flow, method)


def test_no_screen_asks_kivy_for_the_running_app():
    for path in PY_FILES:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(UI)
        if rel.parts[0] == "screens" or path.name == "_root.py":
            assert "get_running_app" not in text, rel
            assert "_app()" not in text, rel
            assert ".intent(" not in text, rel


def _imports_of(path: Path) -> set[str]:
    """Every kiosk.ui module `path` imports, at module level or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out |= {n for n in names if n.startswith("kiosk.ui")}
    return out


def _module_name(path: Path) -> str:
    parts = ("kiosk", "ui", *path.relative_to(UI).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_ui_modules_form_no_import_cycle():
    modules = {_module_name(p): p for p in PY_FILES}
    # `from kiosk.ui.screens import SCREENS` names a package attribute: the package itself.
    graph = {
        name: {m for m in (i if i in modules else i.rsplit(".", 1)[0] for i in _imports_of(p))
               if m in modules and m != name}
        for name, p in modules.items()
    }  # fmt: skip
    # A package's __init__ importing its own submodules is how packages are built, not a cycle
    # between two modules: the edge from a submodule up to its package is what would close one.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    assert "kiosk.ui.screens" not in graph["kiosk.ui._root"]
    assert not any(m.startswith("kiosk.ui.screens") for m in graph["kiosk.ui._root"])
    assert "kiosk.ui._root" not in graph["kiosk.ui.screens._base"]

    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError(f"import cycle: {' -> '.join([*path, node, nxt])}")
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
