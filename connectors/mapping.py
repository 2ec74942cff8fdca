"""Evaluating a package's declarative mappings: JMESPath expressions (never code) and ``{placeholders}``."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import jmespath
from jmespath.parser import ParsedResult

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@lru_cache(maxsize=4096)
def compiled(expression: str) -> ParsedResult:
    """A compiled JMESPath expression (cached: packages repeat their expressions for every record)."""
    return jmespath.compile(expression)


def search(expression: str, data: Any) -> Any:
    """Evaluate one expression over ``data``."""
    return compiled(expression).search(data)


def build_object(mapping: dict[str, str], data: Any) -> dict[str, Any]:
    """Evaluate ``{target: expression}``; a dotted target (``pelapor.nik``) builds nested objects.
    Targets whose value is null are left out, so optional form fields stay optional locally."""
    result: dict[str, Any] = {}
    for target, expression in mapping.items():
        value = search(expression, data)
        if value is None:
            continue
        node = result
        *parents, leaf = target.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"mapping target {target!r} collides with a value at {part!r}")
            node = child
        node[leaf] = value
    return result


def fill(template: str, data: Any, url_encode: bool = True) -> str:
    """Replace ``{application.id}``-style placeholders; values are URL-encoded for paths and queries."""

    def value(match: re.Match[str]) -> str:
        found = search(match.group(1), data)
        text = "" if found is None else str(found)
        return quote(text, safe="") if url_encode else text

    return _PLACEHOLDER.sub(value, template)
