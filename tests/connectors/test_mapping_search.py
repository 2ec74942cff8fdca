"""``connectors.mapping.search`` walks plain field paths itself: it must answer exactly as JMESPath does."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest

from connectors.mapping import search

DATA: list[Any] = [
    {"a": {"b": {"c": 1}}, "x": [1, 2], "n": None, "z": 0, "s": "", "f": False},
    {"a": [{"b": 1}], "x": "text"},
    {"a": {"b": "not an object"}},
    [],
    "text",
    None,
    7,
]
EXPRESSIONS = ["a", "a.b", "a.b.c", "a.b.c.d", "x", "x.y", "n", "n.m", "z", "s", "f", "missing", "_u1.v_2"]


@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize("data", DATA, ids=repr)
def test_field_paths_answer_as_jmespath_does(expression: str, data: Any) -> None:
    assert search(expression, data) == jmespath.search(expression, data)


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("a[0].b", {"a": [{"b": 1}]}, 1),  # not a plain path: JMESPath evaluates it
        ("length(x)", {"x": [1, 2]}, 2),
        ('"a.b"', {"a.b": 3, "a": {"b": 4}}, 3),  # a quoted identifier is one field
        ("'AKTA_LAHIR'", {}, "AKTA_LAHIR"),
    ],
)
def test_other_expressions_still_go_to_jmespath(expression: str, data: Any, expected: Any) -> None:
    assert search(expression, data) == expected
