"""Defensive reads of a document that may not match the schema (rules run on invalid documents too)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def dig(doc: Any, *keys: str | int) -> Any:
    """``doc[k1][k2]...`` or None as soon as a step is missing or of the wrong type."""
    node = doc
    for key in keys:
        if isinstance(key, int):
            if not isinstance(node, list) or not -len(node) <= key < len(node):
                return None
        elif not isinstance(node, dict):
            return None
        node = node[key] if isinstance(key, int) else node.get(key)
    return node


def as_dict(value: Any) -> dict[str, Any]:
    """The value if it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value if it is an array, else an empty one."""
    return value if isinstance(value, list) else []


def strings(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """Every string value under ``node`` as (path, key it sits under, value); bounded by the loader's depth limit."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                yield (*path, key), key, value
            else:
                yield from strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, str):
                yield (*path, index), "", value
            else:
                yield from strings(value, (*path, index))


def form_fields(
    form: Any, path: tuple[str | int, ...] = ("form",)
) -> Iterator[tuple[tuple[str | int, ...], str, dict[str, Any]]]:
    """Every field of a form schema, nested objects included, as (path, name, field schema)."""
    for name, field in as_dict(dig(form, "properties")).items():
        if isinstance(field, dict):
            field_path = (*path, "properties", name)
            yield field_path, name, field
            yield from form_fields(field, field_path)
