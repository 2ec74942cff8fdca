"""A form schema is self-contained: its references point inside it, and it compiles with retrieval off.

A ``$ref`` to ``http://169.254.169.254/...`` or ``file:///etc/passwd`` would make whoever compiles the
form (the hub at delivery time, the national layer) fetch it: a request a hostile package aims at an
internal address, past the production host policy. The hub compiles forms offline; this rule says so
at validation time, with the place to fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs

from registry.problems import PathPart
from registry.rules.context import Finding, PackageContext

_REFERENCE_KEYWORDS = ("$ref", "$dynamicRef")
_MAX_DEPTH = 64  # package files nest at most 64 levels (registry.document): deeper cannot occur here


def _references(node: Any, path: tuple[PathPart, ...], depth: int = 0) -> Iterator[tuple[tuple[PathPart, ...], Any]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _REFERENCE_KEYWORDS:
                yield (*path, key), value
            yield from _references(value, (*path, key), depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, (*path, index), depth + 1)


def check_form_references(ctx: PackageContext) -> Iterator[Finding]:
    """Every ``$ref`` of the form is local (``#...``), and the form compiles without fetching anything."""
    form = ctx.doc.get("form")
    if not isinstance(form, dict):
        return
    remote = False
    for path, target in _references(form, ("form",)):
        if not isinstance(target, str) or not target.startswith("#"):
            remote = True
            yield Finding(
                path,
                f"reference {str(target)[:80]!r} points outside the form: references must be local "
                "(#/$defs/...); the hub never fetches schemas",
            )
    if remote:
        return
    try:
        jsonschema_rs.validator_for(form, offline=True)
    except (jsonschema_rs.ValidationError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        yield Finding(("form",), f"the form does not compile as a self-contained JSON Schema: {first}")
