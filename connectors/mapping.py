"""Evaluating a package's declarative mappings: JMESPath expressions (never code) and ``{placeholders}``."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import jmespath
from jmespath.parser import ParsedResult

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
# "nomor_registrasi", "application.id": most package expressions are plain field paths
_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
# "pemohon[nik]", "berkas[0][nama]": the bracket form of a nested body target (schema: $defs/body_mapping)
_BRACKET_TARGET = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)((?:\[[A-Za-z0-9_-]+\])+)\Z")


@lru_cache(maxsize=4096)
def compiled(expression: str) -> ParsedResult:
    """A compiled JMESPath expression (cached: packages repeat their expressions for every record)."""
    return jmespath.compile(expression)


@lru_cache(maxsize=4096)
def _field_path(expression: str) -> tuple[str, ...] | None:
    return tuple(expression.split(".")) if _FIELD_PATH.match(expression) else None


def search(expression: str, data: Any) -> Any:
    """Evaluate one expression over ``data``. A plain field path is walked directly, with JMESPath's
    meaning (a missing field, or a field of a non-object, is null): it is evaluated for every field of
    every record read, and the interpreter costs ten times the walk."""
    path = _field_path(expression)
    if path is None:
        return compiled(expression).search(data)
    for name in path:
        if not isinstance(data, dict):
            return None
        data = data.get(name)
    return data


def is_bracket_name(target: str) -> bool:
    """Whether a mapping target is written in the bracket form (``pemohon[nik]``, ``berkas[0][nama]``)."""
    return _BRACKET_TARGET.match(target) is not None


def target_path(target: str) -> tuple[str, ...]:
    """The nesting a mapping target names: ``pelapor.nik`` and ``pelapor[nik]`` are both
    ``("pelapor", "nik")``. A numeric segment (``berkas[0]``, ``berkas.0``) is an object key, not a list
    position: the two forms mean exactly the same."""
    match = _BRACKET_TARGET.match(target)
    if match is not None:
        return (match.group(1), *match.group(2)[1:-1].split("]["))
    return tuple(target.split("."))


def build_object(mapping: dict[str, str], data: Any, *, verbatim_brackets: bool = False) -> dict[str, Any]:
    """Evaluate ``{target: expression}``; a dotted target (``pelapor.nik``) or a bracket one
    (``pelapor[nik]``) builds nested objects. With ``verbatim_brackets`` (form-encoded and multipart
    bodies) a bracket target is kept as one field name, exactly as written: it is already the name the
    local system reads. Targets whose value is null are left out, so optional form fields stay optional
    locally. Two targets naming the same field are refused (ValueError), never silently overwritten."""
    result: dict[str, Any] = {}
    for target, expression in mapping.items():
        value = search(expression, data)
        if value is None:
            continue
        node = result
        *parents, leaf = (target,) if verbatim_brackets and is_bracket_name(target) else target_path(target)
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"mapping target {target!r} collides with a value at {part!r}")
            node = child
        if leaf in node:
            raise ValueError(f"mapping target {target!r} names a field another target already sets")
        node[leaf] = value
    return result


def fill(template: str, data: Any, url_encode: bool = True) -> str:
    """Replace ``{application.id}``-style placeholders; values are URL-encoded for paths and queries."""

    def value(match: re.Match[str]) -> str:
        found = search(match.group(1), data)
        text = "" if found is None else str(found)
        return quote(text, safe="") if url_encode else text

    return _PLACEHOLDER.sub(value, template)
