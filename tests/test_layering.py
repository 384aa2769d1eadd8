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


def _py_files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _py_files("scheduling"), ids=lambda p: str(p.relative_to(ROOT)))
def test_scheduling_reaches_calendars_only_through_the_provider_registry(path):
    assert not {m for m in imported_modules(path) if m.split(".")[0] == "integrations"}


@pytest.mark.parametrize("path", _py_files("integrations"), ids=lambda p: str(p.relative_to(ROOT)))
def test_integrations_do_not_import_scheduling(path):
    assert "scheduling" not in imported_roots(path)


# Calls that go out over HTTP, and must say how long they may take.
_HTTP_CALLS = {
    ("requests", "get"), ("requests", "post"), ("requests", "put"), ("requests", "patch"), ("requests", "delete"),
    ("requests", "head"), ("requests", "request"), ("httplib2", "Http"), ("urllib3", "HTTPConnectionPool"),
    ("urllib3", "HTTPSConnectionPool"), ("urllib3", "PoolManager"), ("urllib3", "request"), ("caldav", "DAVClient"),
    ("msal", "ConfidentialClientApplication"), ("msal", "PublicClientApplication"), ("smtplib", "SMTP"),
}


def _http_calls_without_timeout(source: str, name: str) -> list[str]:
    missing = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and (owner.id, node.func.attr) in _HTTP_CALLS:
            if not any(k.arg == "timeout" for k in node.keywords):
                missing.append(f"{name}:{node.lineno} {owner.id}.{node.func.attr}")
    return missing


def test_every_outbound_http_call_has_an_explicit_timeout():
    files = [p for folder in ("core", "slots", "scheduling", "integrations", "feeds", "config") for p in _py_files(folder)]
    missing = [m for p in files for m in _http_calls_without_timeout(p.read_text(), str(p.relative_to(ROOT)))]
    assert missing == []


def test_the_timeout_check_sees_a_call_without_one():
    source = "import requests, httplib2\nrequests.get('http://x.test')\nhttplib2.Http(timeout=3)\nhttplib2.Http()\n"
    assert _http_calls_without_timeout(source, "probe.py") == ["probe.py:2 requests.get", "probe.py:4 httplib2.Http"]
