"""The layers: core imports no app above it, and the pure modules import no Django at all."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS_ABOVE_CORE = {"slots", "scheduling", "integrations", "feeds", "links", "config", "ops"}
PURE_MODULES = ["core/timezones.py", "slots/intervals.py", "slots/weekly.py", "slots/policy.py", "slots/pools.py",
                "slots/explain.py", "slots/loops.py"]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_nothing_above_it(path):
    assert not imported_roots(path) & APPS_ABOVE_CORE


@pytest.mark.parametrize("name", PURE_MODULES)
def test_pure_modules_import_no_django(name):
    path = ROOT / name
    assert "django" not in imported_roots(path)
    assert "rest_framework" not in imported_roots(path)
