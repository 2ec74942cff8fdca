"""A form schema is self-contained: its references point inside it, so it compiles with retrieval off.

A ``$ref`` to ``http://169.254.169.254/...`` or ``file:///etc/passwd`` would make whoever compiles the
form (the hub at delivery time, the national layer) fetch it: a request a hostile package aims at an
internal address, past the production host policy. The hub compiles forms offline; this rule says so
at validation time, with the place to fix. (It walks the form rather than compiling it: compiling costs
~1 ms a package, too much for a national registry of 100,000.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from registry.problems import PathPart
from registry.rules.context import Finding, PackageContext

_REFERENCE_KEYWORDS = ("$ref", "$dynamicRef")
# the dialects the hub compiles without fetching anything (a form is JSON Schema 2020-12)
_DIALECTS = ("https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#")
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
    """Every ``$ref`` of the form is local (``#...``) and reaches something in the form, and its
    ``$schema``, if any, is 2020-12: the form compiles without fetching anything (the hub compiles it
    offline) and without a dangling reference."""
    form = ctx.doc.get("form")
    if not isinstance(form, dict):
        return
    if "$schema" in form:
        schema = form["$schema"]
        if schema not in _DIALECTS:
            yield Finding(
                ("form", "$schema"),
                f"unknown dialect {str(schema)[:80]!r}: leave $schema out, or use {_DIALECTS[0]}",
            )
    text = json.dumps(form)  # one C-level pass: most forms have no reference at all
    if '$ref"' not in text and 'Ref"' not in text:
        return
    anchors: set[str] | None = None
    for path, target in _references(form, ("form",)):
        if not isinstance(target, str) or not target.startswith("#"):
            yield Finding(
                path,
                f"reference {str(target)[:80]!r} points outside the form: references must be local "
                "(#/$defs/...); the hub never fetches schemas",
            )
            continue
        if target.startswith("#/"):
            if _resolve(form, target[1:]) is None:
                yield Finding(
                    path,
                    f"reference {target[:80]!r} points at nothing in the form: the form would not compile; "
                    "add the definition (e.g. under $defs) or fix the reference",
                )
        elif len(target) > 1:
            if anchors is None:
                anchors = set(_anchors(form))
            if target[1:] not in anchors:
                yield Finding(
                    path,
                    f"reference {target[:80]!r} names no $anchor of the form: the form would not compile",
                )


def _resolve(form: dict[str, Any], pointer: str) -> Any:
    """The node a JSON Pointer (``/$defs/x``, percent-encoded as in a URI fragment) reaches, or None."""
    node: Any = form
    for raw in unquote(pointer).split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _anchors(node: Any, depth: int = 0) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$anchor", "$dynamicAnchor") and isinstance(value, str):
                yield value
            yield from _anchors(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _anchors(value, depth + 1)
