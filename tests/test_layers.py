"""The house's floors: each package imports only the packages below it (README, Layout)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Top floor first.
FLOORS = ["closedloop", "watcher", "app", "mail", "archive", "reports", "templates", "filing"]
FLOORS += ["forms", "language"]


def imported_packages(package: str) -> dict[str, set[str]]:
    """Each house package `package` imports, with the modules that import it."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                top = name.split(".")[0]
                if top in FLOORS and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_imports_only_go_down() -> None:
    upward = {
        f"{package} -> {other} ({', '.join(sorted(where))})"
        for package in FLOORS
        for other, where in imported_packages(package).items()
        if FLOORS.index(other) < FLOORS.index(package)
    }
    assert not upward, "imports that go up a floor:\n" + "\n".join(sorted(upward))


def test_no_module_is_long() -> None:
    """Small modules with one job each: none much over 400 lines."""
    long = {
        f"{path.relative_to(ROOT)}: {lines} lines"
        for package in FLOORS
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 420
    }
    assert not long, "\n".join(sorted(long))
