"""The import graph keeps the shape docs/architecture.md draws (issue 17), beyond what the
import-linter contracts of pyproject.toml say on their own:
- no cycle between sibling modules or subpackages anywhere (the cycle is listed when there is one);
- every module of ours sits in a layer of the layers contract (a new module outside every layer
  would escape the contract without a word);
- nothing imports a `_cli` module: commands are loaded by name by madoguchi/cli.py only.
"""

import tomllib
from collections import defaultdict
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("madoguchi", "kiosk", "sync", "devices", "provisioning")


def _pending() -> set[str]:
    lines = (REPO / "scripts" / "import-contracts-pending.txt").read_text().splitlines()
    return {line.split("#")[0].strip() for line in lines} - {""}


def _contract(contract_id: str) -> dict:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["id"] == contract_id)


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*ROOTS, cache_dir=None)


def _sibling_cycles(graph, package: str) -> list[list[str]]:
    """Strongly connected groups of `package`'s children (Tarjan), each with more than one member."""
    children = sorted(graph.find_children(package))
    owner = {}
    for child in children:
        owner[child] = child
        for module in graph.find_descendants(child):
            owner[module] = child
    edges = defaultdict(set)
    for child in children:
        for module in (child, *graph.find_descendants(child)):
            for imported in graph.find_modules_directly_imported_by(module):
                target = owner.get(imported)
                if target is not None and target != child:
                    edges[child].add(target)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for child in children:
        if child not in index:
            visit(child)
    return groups


def _describe(graph, group: list[str]) -> str:
    lines = []
    for a in group:
        for b in group:
            if a != b:
                for chain in sorted(graph.find_shortest_chains(importer=a, imported=b))[:1]:
                    if len(chain) == 2 or all(m.startswith((a, b)) for m in chain):
                        lines.append(" -> ".join(chain))
    return "; ".join(lines)


@pytest.mark.xfail(
    "acyclic" in _pending(),
    reason="the acyclic contract is still pending (scripts/import-contracts-pending.txt)",
    strict=False,
)
def test_no_cycle_between_siblings(graph):
    packages = [m for m in graph.modules if graph.find_children(m)]
    found = {p: _sibling_cycles(graph, p) for p in sorted(packages)}
    cycles = {p: groups for p, groups in found.items() if groups}
    assert not cycles, "\n".join(
        f"{package}: {' <-> '.join(group)} ({_describe(graph, group)})"
        for package, groups in cycles.items()
        for group in groups
    )


def test_a_planted_cycle_is_found(tmp_path, monkeypatch):
    """The cycle finder above finds a cycle when there is one (a package made for the test)."""
    pkg = tmp_path / "plantedcycle"
    (pkg / "b").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from plantedcycle.b import inner\n")
    (pkg / "b" / "__init__.py").write_text("")
    (pkg / "b" / "inner.py").write_text("import plantedcycle.c\n")
    (pkg / "c.py").write_text("import plantedcycle.a\n")
    (pkg / "d.py").write_text("import plantedcycle.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    planted = grimp.build_graph("plantedcycle", cache_dir=None)
    assert _sibling_cycles(planted, "plantedcycle") == [
        ["plantedcycle.a", "plantedcycle.b", "plantedcycle.c"]
    ]


def _layer_modules() -> list[str]:
    modules = []
    for layer in _contract("layers")["layers"]:
        for part in layer.replace("|", ":").split(":"):
            modules.append(part.strip().strip("()"))
    return modules


def test_every_module_is_in_a_layer(graph):
    layered = _layer_modules()
    assert len(layered) == len(set(layered))

    def covered(module: str) -> bool:
        return any(module == m or module.startswith(m + ".") for m in layered)

    def splits(module: str) -> bool:  # a package whose children are listed one by one
        return any(m.startswith(module + ".") for m in layered)

    outside = sorted(m for m in graph.modules if not covered(m) and not splits(m))
    assert not outside, f"modules in no layer of pyproject.toml's layers contract: {outside}"
    missing = sorted(m for m in layered if m not in graph.modules)
    assert not missing, f"layers name modules that do not exist: {missing}"


def test_nothing_imports_a_cli_module(graph):
    cli_modules = [m for m in graph.modules if m.rsplit(".", 1)[-1] == "_cli"]
    assert len(cli_modules) >= 5
    importers = {m: sorted(graph.find_modules_that_directly_import(m)) for m in cli_modules}
    assert not {m: i for m, i in importers.items() if i}
