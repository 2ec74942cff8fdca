"""Which input fields a JMESPath expression reads, found on its syntax tree (nothing is evaluated)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Node types whose children are all evaluated against the same input as the node itself.
_SAME_INPUT = {
    "function_expression",
    "multi_select_list",
    "multi_select_dict",
    "key_val_pair",
    "or_expression",
    "and_expression",
    "not_expression",
    "comparator",
}
# Node types whose first child reads the input and whose other children read the first child's result.
_LEFT_ONLY = {"index_expression", "projection", "value_projection", "flatten", "filter_projection", "pipe"}


# The two shapes most mappings have, answered without importing jmespath (~3 ms of a cold start):
# a dotted chain of plain identifiers, and a raw string literal without quotes or escapes inside.
_PLAIN_CHAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PLAIN_LITERAL = re.compile(r"'[^'\\]*'")


class ExpressionError(ValueError):
    """The text is not a JMESPath expression."""


@lru_cache(maxsize=16384)
def field_chains(expression: str) -> tuple[tuple[str, ...], ...]:
    """The leading field chains of an expression, e.g. ``join(' ', [form.nama, application.id])`` ->
    ``(('form', 'nama'), ('application', 'id'))``. Raises ExpressionError on a syntax error.

    Cached: across a national registry the same expressions recur in thousands of packages."""
    if _PLAIN_CHAIN.fullmatch(expression):
        return (tuple(expression.split(".")),)
    if _PLAIN_LITERAL.fullmatch(expression):
        return ()
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        tree = jmespath.compile(expression).parsed
    except JMESPathError as exc:
        raise ExpressionError(str(exc).replace("\n", " ")) from None
    problem = _function_problem(tree)
    if problem:
        raise ExpressionError(problem)
    chains: list[tuple[str, ...]] = []
    _collect(tree, chains)
    return tuple(chains)


def _function_problem(node: Any, depth: int = 0) -> str | None:
    """Why a function call of the tree would fail when evaluated (unknown name, wrong number of
    arguments), checked against jmespath's own function table (what the hub evaluates with), or None."""
    if not isinstance(node, dict) or depth > 200:
        return None
    if node.get("type") == "function_expression":
        from jmespath.functions import Functions

        name = str(node.get("value"))
        entry = Functions.FUNCTION_TABLE.get(name)
        if entry is None:
            known = sorted(Functions.FUNCTION_TABLE)
            from registry.suggest import did_you_mean

            return f"unknown function {name}(){did_you_mean(name, known)}"
        signature = entry["signature"]
        given = len(node.get("children", []))
        variadic = bool(signature) and bool(signature[-1].get("variadic"))
        if (given < len(signature)) if variadic else (given != len(signature)):
            wanted = f"at least {len(signature)}" if variadic else str(len(signature))
            return f"function {name}() takes {wanted} argument(s), not {given}"
    for child in node.get("children", []):
        problem = _function_problem(child, depth + 1)
        if problem:
            return problem
    return None


def _chain(node: dict[str, Any]) -> tuple[str, ...] | None:
    kind = node.get("type")
    if kind == "field":
        return (str(node["value"]),)
    if kind == "subexpression":  # a.b.c: the parser lists every part as a child
        children = node["children"]
        head = _chain(children[0])
        if head is None:
            return None
        for child in children[1:]:
            tail = _chain(child)
            if tail is None:
                break
            head += tail
            if child.get("type") != "field":  # after an index or projection the chain reads elements
                break
        return head
    if kind in _LEFT_ONLY and node.get("children"):
        return _chain(node["children"][0])
    return None


def _collect(node: Any, out: list[tuple[str, ...]]) -> None:
    if not isinstance(node, dict):
        return
    chain = _chain(node)
    if chain is not None:
        out.append(chain)
        return
    kind = node.get("type")
    children = node.get("children", [])
    if kind in _SAME_INPUT:
        for child in children:
            _collect(child, out)
    elif kind in _LEFT_ONLY and children:
        _collect(children[0], out)
