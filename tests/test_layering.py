"""Imports flow one way (DESIGN.md): registry <- connectors <- hub; dags -> connectors.

registry is pure (no network, database or Airflow); connectors never import Airflow or the hub."""

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
    "hub": {"dags", "airflow"},
    "sandbox": {"hub", "dags", "airflow"},
    "dags": {"hub", "sandbox"},
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
        for name in _imports(path):
            for banned in FORBIDDEN[layer]:
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{path.relative_to(REPO)} imports {name}")
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
