"""Check a package against ``schemas/service-package.schema.json`` and turn each schema error into a
message a regional IT team can act on.

The JSON Schema engine is jsonschema-rs (2020-12, compiled once per process). Messages come from the
schema itself where it says more than the engine can: an ``x-message`` annotation beside the failing
keyword, the enum's own options for 'did you mean', the allowed property names for unknown fields.

Cold start: importing jsonschema-rs and compiling the schema takes longer than the whole 50 ms budget
of ``mpphub validate one.json``. So the first few documents of a process go through
``registry.schema_fast``, a pure-Python check that can only say "certainly valid"; anything else
(an invalid document, or any doubt) is judged by jsonschema-rs, exactly as before. After those few
documents the compiled validator is faster per document and is used for all of them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from registry.problems import PathPart, quote
from registry.schemas import package_schema, resolve_pointer
from registry.suggest import did_you_mean

if TYPE_CHECKING:
    import jsonschema_rs

SCHEMA_ERROR = tuple[list[PathPart], str, str]  # (instance path, message, rule)
_METASCHEMA_HOST = "json-schema.org"
_SHAPE_KINDS = {"Type", "Constant", "Enum"}


# How many documents per process may take the pure-Python fast path before jsonschema-rs is loaded.
FAST_PATH_DOCUMENTS = 16
_fast_path_left = FAST_PATH_DOCUMENTS


@lru_cache(maxsize=1)
def package_validator() -> jsonschema_rs.Validator:
    """The compiled validator of the package schema (one per process)."""
    import jsonschema_rs  # ~30-50 ms: imported only when a document needs it (see the module docstring)

    return jsonschema_rs.validator_for(package_schema())


def _fast_path_says_valid(doc: Any) -> bool:
    global _fast_path_left
    if _fast_path_left <= 0 or "jsonschema_rs" in sys.modules:
        return False
    _fast_path_left -= 1
    from registry.schema_fast import is_certainly_valid

    return is_certainly_valid(doc)


def schema_errors(doc: Any) -> Iterator[SCHEMA_ERROR]:
    """Every schema error of ``doc`` as (instance path, message, rule); none when valid."""
    if _fast_path_says_valid(doc):
        return
    validator = package_validator()
    if validator.is_valid(doc):  # the fast path for the ~all packages that are valid
        return
    for error in validator.iter_errors(doc):
        yield from _explain(error, package_schema())


def explain_errors(error: jsonschema_rs.ValidationError, schema: dict[str, Any]) -> Iterator[SCHEMA_ERROR]:
    """One engine error of a document checked against ``schema`` (another contract of ``schemas/``, e.g. the
    template schema) explained the same way as the package schema's."""
    yield from _explain(error, schema)


def _keyword_node(error: jsonschema_rs.ValidationError, schema: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The schema object that holds the failing keyword, and whether it lies in the JSON Schema metaschema."""
    uri, _, pointer = (error.absolute_keyword_location or "").partition("#")
    if _METASCHEMA_HOST in uri:
        return None, True
    parent = pointer.rsplit("/", 1)[0]
    node = resolve_pointer(schema, parent)
    return (node if isinstance(node, dict) else None), False


def _property_names(node: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Property names a schema object allows, following local $ref and allOf one level deep."""
    names = list((node.get("properties") or {}).keys())
    for sub in node.get("allOf", []):
        if isinstance(sub, dict) and "$ref" in sub:
            sub = resolve_pointer(schema, sub["$ref"].lstrip("#")) or {}
        names.extend((sub.get("properties") or {}).keys())
    return names


def _explain(error: jsonschema_rs.ValidationError, schema: dict[str, Any]) -> Iterator[SCHEMA_ERROR]:
    path: list[PathPart] = list(error.instance_path)
    kind = type(error.kind).__name__
    rule = f"schema.{kind[0].lower()}{kind[1:]}"
    node, in_metaschema = _keyword_node(error, schema)

    if kind in ("AnyOf", "OneOfNotValid"):
        yield from _best_branch(error, path, schema)
        return
    if kind == "PropertyNames":
        inner = error.kind.as_dict()["error"]
        name = inner.instance
        inner_node, _ = _keyword_node(inner, schema)
        hint = (inner_node or {}).get("x-message") or inner.message
        yield [*path, str(name)], f"bad name {quote(name)}: {hint}", "schema.property-name"
        return
    if in_metaschema:
        yield path, f"not valid JSON Schema 2020-12: {error.message}", "schema.form-metaschema"
        return
    if node is not None and "x-message" in node:
        yield path, str(node["x-message"]), rule
        return
    details = error.kind.as_dict()
    if kind in ("AdditionalProperties", "UnevaluatedProperties"):
        allowed = _property_names(node or {}, schema)
        for name in details.get("unexpected", []):
            if kind == "UnevaluatedProperties" and name in allowed:
                # an allowed field left unevaluated because the allOf part that declares it failed (a
                # field unknown inside its if/then branch, a missing required field): that failure is
                # reported where it is; calling this field unknown would be false
                continue
            hint = did_you_mean(name, allowed) or (f"; allowed: {', '.join(allowed)}" if allowed else "")
            yield [*path, name], f"unknown field {quote(name)}{hint}", "schema.unknown-field"
        return
    if kind == "Enum":
        options = [str(o) for o in details.get("options", [])]
        value = error.instance
        hint = did_you_mean(value, options) if isinstance(value, str) else ""
        yield path, f"{quote(value)} is not one of: {', '.join(options)}{hint}", rule
        return
    if kind == "Required":
        yield path, f"missing required field {quote(details.get('property'))}", rule
        return
    if kind == "Constant":
        yield path, f"must be {quote(details.get('expected_value'))}, not {quote(error.instance)}", rule
        return
    yield path, error.message if len(error.message) <= 300 else error.message[:297] + "...", rule


def _best_branch(
    error: jsonschema_rs.ValidationError, path: list[PathPart], schema: dict[str, Any]
) -> Iterator[SCHEMA_ERROR]:
    """For anyOf/oneOf, report the alternative the document came closest to, first and alone.

    Closest = the value has the branch's type (its errors are not just a type, const or enum mismatch
    at this spot), then its errors lie deepest in the document, then it has fewer errors, then it is
    listed first.
    """
    branches: list[list[jsonschema_rs.ValidationError]] = error.kind.as_dict().get("context", [])
    if not branches:
        yield path, error.message, "schema.anyOf"
        return

    def closeness(indexed: tuple[int, list[jsonschema_rs.ValidationError]]) -> tuple[bool, int, int, int]:
        index, errs = indexed
        # a branch whose only complaint is the value's type or literal at this very spot was not meant
        shape_miss = all(
            type(e.kind).__name__ in _SHAPE_KINDS and len(list(e.instance_path)) == len(path) for e in errs
        )
        depth = max((len(list(e.instance_path)) for e in errs), default=0)
        return (shape_miss, -depth, len(errs), index)

    _, best = min(enumerate(branches), key=closeness)
    for sub in best:
        yield from _explain(sub, schema)
