"""Imports flow one way (DESIGN.md): registry <- connectors <- hub; dags -> connectors.

registry is pure (no network, database or Airflow); connectors never import Airflow or the hub. The
sandbox is not production code: the hub reaches it only from the demo and ``mpphub sandbox``
(``ALLOWED``), and no production layer imports Faker (the sandbox extra's dependency: a production
install has no Faker; synthetic test data comes from ``registry.synthetic``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

FORBIDDEN: dict[str, set[str]] = {
    "registry": {
        "connectors",
        "hub",
        "sandbox",
        "dags",
        "airflow",
        "requests",
        "sqlalchemy",
        "socket",
        "urllib.request",
        "http",
    },
    "connectors": {"hub", "dags", "airflow", "sandbox"},
    "hub": {"dags", "airflow", "sandbox"},
    "sandbox": {"hub", "dags", "airflow"},
    "dags": {"hub", "sandbox"},
}
# only the sandbox extra installs Faker
for _layer in ("registry", "connectors", "hub", "dags"):
    FORBIDDEN[_layer].add("faker")
# the two commands that exist to run the sandbox (the sandbox extra's users) may import it
ALLOWED: dict[str, set[str]] = {
    "hub/demo.py": {"sandbox"},
    "hub/commands/sandbox.py": {"sandbox"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(layer: str) -> list[str]:
    found = []
    for path in sorted((REPO / layer).rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        for name in _imports(path):
            for banned in FORBIDDEN[layer] - ALLOWED.get(relative, set()):
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{relative} imports {name}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_flow_one_way(layer: str) -> None:
    assert _violations(layer) == []


def test_the_checker_sees_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "registry" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("import requests\nfrom hub.cli import main\n")
    monkeypatch.setattr("tests.test_layering.REPO", tmp_path)
    assert sorted(_violations("registry")) == ["registry/bad.py imports hub.cli", "registry/bad.py imports requests"]


def test_the_hub_reaches_the_sandbox_only_from_its_two_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for relative, source in {
        "hub/demo.py": "from sandbox.world import start_sql_systems\n",
        "hub/commands/sandbox.py": "def run():\n    from sandbox.serve import serve_in_process\n",
        "hub/checking.py": "def form():\n    from sandbox.national.citizens import valid_form\n    import faker\n",
    }.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(source)
    monkeypatch.setattr("tests.test_layering.REPO", tmp_path)
    assert sorted(_violations("hub")) == [
        "hub/checking.py imports faker",
        "hub/checking.py imports sandbox.national.citizens",
    ]
