"""Packages import one way: no cycle between specc's packages, and the lower layers
(core, data, preprocessing, compiler, reports) never import runtime, serve, api or cli."""

from __future__ import annotations

import ast
from collections import defaultdict

from tests.conftest import ROOT

LOWER = ("core", "data", "preprocessing", "compiler", "loader", "reports", "schema")
UPPER = ("runtime", "serve", "tune", "api", "cli")


def package_imports() -> dict[str, set[str]]:
    """``{package: {packages it imports}}`` over every ``import specc.x`` in the tree,
    function-level imports included (``specc/api.py`` counts as package ``api``)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in (ROOT / "specc").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        me = parts[1] if len(parts) > 1 else "specc"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.startswith("specc.") and name.split(".")[1] != me:
                    graph[me].add(name.split(".")[1])
    return graph


def test_no_import_cycle_between_packages():
    graph = package_imports()
    state: dict[str, int] = {}

    def visit(node, trail):
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join(trail + [node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, trail + [node])
        state[node] = 2

    for package in sorted(graph):
        visit(package, [])


def test_lower_layers_never_import_the_runtime_or_the_api():
    graph = package_imports()
    for package in LOWER:
        assert not graph.get(package, set()) & set(UPPER), (package, graph[package])
