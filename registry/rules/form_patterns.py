"""Every regular expression of the form compiles, with bounded repetition, so the form compiles at sync.

A form's ``pattern`` (and ``patternProperties`` names) are compiled by jsonschema-rs when the hub
validates an application; one that does not compile (``"([a-"``) or that asks for a huge automaton
(``"^a{1000000}$"``) would fail every delivery of the service instead of failing ``mpphub validate``.

Cold start: jsonschema-rs costs ~30 ms to import, more than a one-file ``validate`` may spend. So a
pattern in a plain subset (literals, classes, groups, ``\\d\\w\\s`` and ``{n,m}`` quantifiers) on which
Python's ``re`` and jsonschema-rs were fuzzed to agree is judged by ``re``; any other pattern, and any
pattern ``re`` refuses, is judged by jsonschema-rs itself (what the sync uses), so the rule never
refuses a pattern the hub would compile.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from registry.problems import PathPart
from registry.rules.context import Finding, PackageContext

MAX_REPETITION = 1000  # the largest {n,m} bound a form pattern may use
_MAX_DEPTH = 64  # package files nest at most 64 levels (registry.document)
# Keys whose children are named subschemas: a child called "pattern" there is a field, not a keyword.
_NAMED_SCHEMAS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
_QUANTIFIER = re.compile(r"\{(\d+)(?:,(\d*))?\}")
_BOUND = re.compile(r"(?<!\\)\{(\d+)(?:,(\d*))?\}")
_PLAIN = re.compile(r"(?:[A-Za-z0-9 ^$\[\]()|.*+?,:_-]|\\[dDwWsS.\-+*?()\[\]^$|/])*")


def _patterns(node: Any, path: tuple[PathPart, ...], depth: int = 0) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield (*path, key), value
            elif key == "patternProperties" and isinstance(value, dict):
                for name in value:
                    yield (*path, key, name), name
            if key in _NAMED_SCHEMAS and isinstance(value, dict):
                for name, sub in value.items():
                    yield from _patterns(sub, (*path, key, name), depth + 2)
            elif isinstance(value, dict | list):
                yield from _patterns(value, (*path, key), depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _patterns(value, (*path, index), depth + 1)


def _python_compiles(pattern: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FutureWarning on "[[" and the like: only the verdict matters
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError):
            return False
    return True


@lru_cache(maxsize=4096)
def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used in a form, or None. Cached: patterns recur across packages."""
    for match in _BOUND.finditer(pattern):
        bounds = [int(b) for b in match.groups() if b]
        if max(bounds) > MAX_REPETITION:
            return (
                f"pattern repeats {max(bounds)} times ({match.group()}): repetition bounds are limited to "
                f"{MAX_REPETITION}; use maxLength for long values"
            )
    simple = _PLAIN.fullmatch(_QUANTIFIER.sub("", pattern)) and "[]" not in pattern and "[^]" not in pattern
    if simple and _python_compiles(pattern):
        return None
    import jsonschema_rs

    try:
        jsonschema_rs.validator_for({"pattern": pattern}, offline=True)
    except (jsonschema_rs.ValidationError, ValueError):
        return f"pattern {pattern[:80]!r} is not a valid regular expression: the form would not compile at sync"
    return None


def check_form_patterns(ctx: PackageContext) -> Iterator[Finding]:
    """Every ``pattern`` and ``patternProperties`` name of the form compiles, with repetition <= 1000."""
    form = ctx.doc.get("form")
    if not isinstance(form, dict):
        return
    for path, pattern in _patterns(form, ("form",)):
        message = pattern_problem(pattern)
        if message:
            yield Finding(path, message)
