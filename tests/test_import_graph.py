"""The package's import graph has no cycles.

Every ``import`` of an ``edge_counsel`` module counts, at module level or inside a function
(a function-level import only hides a cycle until that function runs); imports under
``if TYPE_CHECKING:`` never run and do not count. Edges go to the module named, not to the
packages above it: a package ``__init__`` states an API, it is not what a module depends on.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PACKAGE = "edge_counsel"

# Cycles that are known and not fixed here, each as its modules in sorted order, with the reason.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((REPO / PACKAGE).rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(inner) for child in node.body for inner in ast.walk(child))
    return hidden


def _targets(node: ast.Import | ast.ImportFrom, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The edge_counsel modules an import statement in module ``name`` loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if node.level:
        here = name.split(".") if is_package else name.split(".")[:-1]
        base = ".".join(here[:len(here) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    found = {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known}
    if base in known and len(found) < len(node.names):
        found.add(base)  # some names are attributes of ``base`` itself
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        hidden = _type_checking_nodes(tree)
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in hidden:
                edges |= _targets(node, name, path.name == "__init__.py", known)
        graph[name] = edges - {name}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Tarjan's algorithm: the groups of two or more modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
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
                groups.append(tuple(sorted(group)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_sees_relative_absolute_and_function_level_imports():
    graph = import_graph()
    assert "edge_counsel.errors" in graph["edge_counsel.atomic"]  # from .errors import ...
    assert "edge_counsel.engine.manifest" in graph["edge_counsel.engine.model_files"]
    assert "edge_counsel.paths" in graph["edge_counsel.safety.risk"]  # inside a function


def test_no_import_cycles():
    cycles = set(strongly_connected(import_graph()))
    assert cycles - KNOWN_CYCLES == set(), "import cycles: " + "; ".join(
        " <-> ".join(group) for group in sorted(cycles - KNOWN_CYCLES))


def test_known_cycles_are_still_cycles():
    """A known exception that was fixed is removed from KNOWN_CYCLES, so it cannot come back."""
    assert KNOWN_CYCLES <= set(strongly_connected(import_graph()))


def test_the_crisis_classifier_imports_first():
    subprocess.run([sys.executable, "-c", "import edge_counsel.safety.classifier"], check=True, cwd=REPO)
