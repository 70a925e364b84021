"""Import direction: views ask services, never the encrypted store or the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import edge_counsel

PACKAGE = Path(edge_counsel.__file__).resolve().parent
UI = PACKAGE / "ui"

# Views that may still import the store, and why; shrink this list, never grow it.
STORE_ALLOWED = {
    "unlock_dialog.py": "it creates and opens the store from a passphrase (being reworked with unlocking)",
    "main_window.py": "its lock handling owns the open store's lifetime (being reworked with the chat)",
}


def imported_modules(path: Path) -> list[str]:
    """Absolute module names ``path`` imports (relative imports resolved against edge_counsel.ui)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level)
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]  # from .. import store
    return names


def _absolute(module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = ["edge_counsel", "ui"][: 2 - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def _imports(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def offenders(package: str, allowed=()) -> dict[str, list[str]]:
    found = {}
    for path in sorted(UI.glob("*.py")):
        hits = [name for name in imported_modules(path) if _imports(name, package)]
        if hits and path.name not in allowed:
            found[path.name] = sorted(set(hits))
    return found


def test_views_never_import_the_store():
    assert offenders("edge_counsel.store", STORE_ALLOWED) == {}, "views go through edge_counsel.services"


def test_views_never_import_the_command_line():
    assert offenders("edge_counsel.cli") == {}, "shared helpers belong in edge_counsel.services"


def test_the_check_sees_relative_and_absolute_imports(tmp_path):
    assert _absolute("store.database", 2) == "edge_counsel.store.database"
    assert _absolute(None, 2) == "edge_counsel" and _absolute("pages", 1) == "edge_counsel.ui.pages"
    sample = tmp_path / "sample.py"
    sample.write_text("from .. import store\nimport edge_counsel.store.keys\nfrom ..services import journal\n")
    names = imported_modules(sample)
    assert [n for n in names if _imports(n, "edge_counsel.store")] == ["edge_counsel.store", "edge_counsel.store.keys"]
