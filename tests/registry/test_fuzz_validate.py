"""Property-based: whatever a file holds, validation returns problems and never raises."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.validate import check_document, validate_file
from tests.conftest import REPO, CliResult

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=30,
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    validate_file(path)


@SETTINGS
@given(st.dictionaries(st.text(max_size=20), JSON, max_size=8))
def test_any_object(data: dict[str, Any]) -> None:
    check_document(Path("35.76/x.json"), data)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


GOOD = json.loads((REPO / "registry/packages/35.76/akta-kelahiran.json").read_text())
GOOD_PATHS = [p for p in _paths(GOOD) if p]


@SETTINGS
@given(st.sampled_from(GOOD_PATHS), JSON)
def test_valid_package_with_one_value_replaced(path: tuple[Any, ...], value: Any) -> None:
    doc = copy.deepcopy(GOOD)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    problems = check_document(Path("35.76/akta-kelahiran.json"), doc)
    for problem in problems:
        assert problem.message and problem.path.startswith("$")


# --- hostile JSON through the CLI: whatever a file holds, one clear line per problem, exit 0/1, never a traceback

_ANY_CHARACTER = st.characters(codec=None, categories=None)  # lone surrogates and control characters included
HOSTILE_TEXT = st.text(_ANY_CHARACTER, max_size=40) | st.sampled_from(
    [
        "../../../../etc/passwd",
        "{__class__}",
        "{form.__init__.__globals__}",
        "a\r\nX-Injected: 1",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "${jndi:ldap://127.0.0.1/x}",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "x" * 200_000,
    ]
)
HOSTILE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(HOSTILE_TEXT, children, max_size=4),
    max_leaves=30,
)


def _assert_clear(result: CliResult, path: Path) -> None:
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.out + result.err
    lines = result.out.splitlines()
    assert lines, "a summary line at least"
    for line in lines[:-1]:
        assert line.startswith(f"{path}::$"), line[:200]
    assert lines[-1].endswith(("all valid", "file")), lines[-1][:200]


@SETTINGS
@given(st.sampled_from(GOOD_PATHS), HOSTILE)
def test_cli_on_a_package_with_one_hostile_value(tmp_path: Path, cli: Any, path: tuple[Any, ...], value: Any) -> None:
    doc = copy.deepcopy(GOOD)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    target = tmp_path / "35.76" / "akta-kelahiran.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(doc, ensure_ascii=True, allow_nan=True), encoding="utf-8")
    _assert_clear(cli("validate", target, "--jobs", "1"), target)


@SETTINGS
@given(HOSTILE)
def test_cli_on_any_hostile_document(tmp_path: Path, cli: Any, value: Any) -> None:
    target = tmp_path / "paket.json"
    target.write_text(json.dumps(value, ensure_ascii=True, allow_nan=True), encoding="utf-8")
    _assert_clear(cli("validate", target, "--jobs", "1"), target)
