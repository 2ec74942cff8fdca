"""A pure-Python check that a package is VALID against the package schema, for cold starts.

Importing jsonschema-rs and compiling the schema costs more than the whole 50 ms budget of
``mpphub validate one.json``; this module needs only ``re`` and the schema file. It interprets the
subset of JSON Schema 2020-12 the package schema uses and answers one question: is the document
certainly valid? Every verdict is exact or raises ``Unsure``: a keyword it does not know, a value
whose semantics might differ between engines (a float where an integer is asked, a huge integer,
non-ASCII text under a regex pattern, a string that is not UTF-8 encodable...). Callers fall back to
jsonschema-rs on anything but "valid", so the detailed, x-message-driven errors stay exactly as they
were, and this module never decides that a package is invalid.

The form is also checked against the JSON Schema 2020-12 metaschema (the package schema refers to it);
that check is conservative too: keywords the metaschema gives a shape are checked, rare ones
(``$ref``, ``dependentSchemas``...) make it unsure, unknown ones (``x-personal-data``) are annotations.

Nothing is generated from the schema, so nothing can drift: the schema file is read as it is. The
property tests in ``tests/registry/test_schema_fast.py`` check that this never accepts what jsonschema-rs rejects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from registry.schemas import package_schema, resolve_pointer

METASCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"
# Integers beyond 2**53 compare differently once an engine turns them into floats.
_SAFE_INT = 2**53
# Under a regex pattern only printable ASCII is judged: there `\s`, `$`, `\d` mean the same in Python
# and in the ECMA-262 dialect of jsonschema-rs (no trailing newline, no Unicode classes).
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_ANNOTATIONS = {"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"}


class Unsure(Exception):
    """The fast check cannot give an exact verdict: ask jsonschema-rs."""


def is_certainly_valid(doc: object) -> bool:
    """True only when ``doc`` is valid against the package schema; False when unsure or invalid."""
    try:
        # jsonschema-rs raises on strings that are not UTF-8 encodable (lone surrogates): keep its behaviour
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
        return _valid(package_schema(), doc) is not None
    except (Unsure, UnicodeEncodeError, RecursionError, ValueError, TypeError):
        return False


# A validation result: None when invalid, else the object property names the schema evaluated
# (what unevaluatedProperties needs); an empty set for non-objects.
Evaluated = set[str] | None
Check = Callable[[object, object, dict[str, object]], Evaluated]


def _valid(schema: object, inst: object) -> Evaluated:
    if schema is True:
        return set()
    if schema is False:
        return None
    if not isinstance(schema, dict):
        raise Unsure(f"schema node {schema!r}")
    evaluated: set[str] = set()
    for key, value in schema.items():
        if key in _ANNOTATIONS or key.startswith("x-") or key in _DONE_ELSEWHERE:
            continue
        check = _KEYWORDS.get(key)
        if check is None:
            raise Unsure(f"keyword {key}")
        result = check(value, inst, schema)
        if result is None:
            return None
        evaluated |= result
    if "unevaluatedProperties" in schema and isinstance(inst, dict):
        rest = schema["unevaluatedProperties"]
        for name in inst:
            if name not in evaluated and _valid(rest, inst[name]) is None:
                return None
        evaluated |= set(inst)
    return evaluated


def _ok(condition: bool) -> Evaluated:
    return set() if condition else None


def _type(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    names = value if isinstance(value, list) else [value]
    return _ok(any(_has_type(name, inst) for name in names))


def _has_type(name: object, inst: object) -> bool:
    if isinstance(inst, int) and not isinstance(inst, bool) and abs(inst) > _SAFE_INT:
        raise Unsure("huge integer")
    if name == "string":
        return isinstance(inst, str)
    if name == "object":
        return isinstance(inst, dict)
    if name == "array":
        return isinstance(inst, list)
    if name == "boolean":
        return isinstance(inst, bool)
    if name == "null":
        return inst is None
    if name == "number":
        return isinstance(inst, int | float) and not isinstance(inst, bool)
    if name == "integer":
        if isinstance(inst, float) and inst.is_integer():
            raise Unsure("float that an engine may take for an integer")
        return isinstance(inst, int) and not isinstance(inst, bool)
    raise Unsure(f"type {name!r}")


def _number(inst: object) -> int | float | None:
    """The instance as a number to compare, None when it is not a number (the keyword then ignores it)."""
    if isinstance(inst, bool) or not isinstance(inst, int | float):
        return None
    if isinstance(inst, int) and abs(inst) > _SAFE_INT:
        raise Unsure("huge integer")
    return inst


def _bound(compare: str) -> Check:
    def check(value: object, inst: object, _: dict[str, object]) -> Evaluated:
        number = _number(inst)
        if number is None:
            return set()
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Unsure("bound")
        if compare == "min":
            return _ok(number >= value)
        if compare == "max":
            return _ok(number <= value)
        if compare == "xmin":
            return _ok(number > value)
        return _ok(number < value)

    return check


def _length(limit: str, kind: type[str] | type[list[object]]) -> Check:
    def check(value: object, inst: object, _: dict[str, object]) -> Evaluated:
        if not isinstance(inst, kind):
            return set()
        if isinstance(value, bool) or not isinstance(value, int):
            raise Unsure("length bound")
        size = len(inst)
        return _ok(size >= value if limit == "min" else size <= value)

    return check


_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    if not isinstance(inst, str):
        return set()
    if not isinstance(value, str) or not _PRINTABLE_ASCII.fullmatch(inst):
        raise Unsure("pattern on non-ASCII text")
    compiled = _COMPILED.get(value)
    if compiled is None:
        try:
            compiled = _COMPILED[value] = re.compile(value)
        except re.error:
            raise Unsure("pattern Python cannot compile") from None
    return _ok(compiled.search(inst) is not None)


def _strings(values: object) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Unsure("enum or const of non-strings")
    return values


def _enum(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    # JSON equality between a string and anything else is false; other values need JSON's number rules
    return _ok(isinstance(inst, str) and inst in _strings(value))


def _const(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    return _ok(isinstance(inst, str) and inst in _strings([value]))


def _required(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    if not isinstance(inst, dict):
        return set()
    return _ok(all(name in inst for name in _strings(value)))


def _unique(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    if not isinstance(inst, list) or value is False:
        return set()
    if value is not True:
        raise Unsure("uniqueItems")
    if not all(isinstance(item, str) for item in inst):
        raise Unsure("uniqueItems over non-strings")
    return _ok(len(set(inst)) == len(inst))


def _items(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    if not isinstance(inst, list):
        return set()
    return _ok(all(_valid(value, item) is not None for item in inst))


def _properties(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    if not isinstance(inst, dict):
        return set()
    if not isinstance(value, dict):
        raise Unsure("properties")
    seen = set()
    for name, sub in value.items():
        if name in inst:
            if _valid(sub, inst[name]) is None:
                return None
            seen.add(name)
    return seen


def _additional(value: object, inst: object, schema: dict[str, object]) -> Evaluated:
    if not isinstance(inst, dict):
        return set()
    if "patternProperties" in schema:
        raise Unsure("patternProperties")
    declared = schema.get("properties") or {}
    assert isinstance(declared, dict)
    others = [name for name in inst if name not in declared]
    if not all(_valid(value, inst[name]) is not None for name in others):
        return None
    return set(others)


def _property_names(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    if not isinstance(inst, dict):
        return set()
    return _ok(all(_valid(value, name) is not None for name in inst))


def _all_of(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    evaluated: set[str] = set()
    for sub in _subschemas(value):
        result = _valid(sub, inst)
        if result is None:
            return None
        evaluated |= result
    return evaluated


def _one_of(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    passing = [result for result in (_valid(sub, inst) for sub in _subschemas(value)) if result is not None]
    return passing[0] if len(passing) == 1 else None


def _any_of(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    passing = [result for result in (_valid(sub, inst) for sub in _subschemas(value)) if result is not None]
    return set().union(*passing) if passing else None


def _subschemas(value: object) -> list[object]:
    if not isinstance(value, list) or not value:
        raise Unsure("applicator list")
    return value


def _if(value: object, inst: object, schema: dict[str, object]) -> Evaluated:
    condition = _valid(value, inst)
    branch = schema.get("then" if condition is not None else "else", True)
    result = _valid(branch, inst)
    if result is None:
        return None
    return result | (condition or set())


def _ref(value: object, inst: object, _: dict[str, object]) -> Evaluated:
    if value == METASCHEMA_2020_12:
        return _metaschema_valid(inst)
    if not isinstance(value, str) or not value.startswith("#/"):
        raise Unsure(f"$ref {value!r}")
    target = resolve_pointer(package_schema(), value[1:])
    if target is None:
        raise Unsure(f"$ref {value!r}")
    return _valid(target, inst)


def _min_max_properties(limit: str) -> Check:
    def check(value: object, inst: object, _: dict[str, object]) -> Evaluated:
        if not isinstance(inst, dict):
            return set()
        if isinstance(value, bool) or not isinstance(value, int):
            raise Unsure("property count")
        return _ok(len(inst) >= value if limit == "min" else len(inst) <= value)

    return check


# Keywords read by another keyword's check (then/else by if; unevaluatedProperties after all others).
_DONE_ELSEWHERE = {"then", "else", "unevaluatedProperties"}
_KEYWORDS: dict[str, Check] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "required": _required,
    "pattern": _pattern,
    "minLength": _length("min", str),
    "maxLength": _length("max", str),
    "minItems": _length("min", list),
    "maxItems": _length("max", list),
    "uniqueItems": _unique,
    "items": _items,
    "minimum": _bound("min"),
    "maximum": _bound("max"),
    "exclusiveMinimum": _bound("xmin"),
    "exclusiveMaximum": _bound("xmax"),
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "minProperties": _min_max_properties("min"),
    "maxProperties": _min_max_properties("max"),
    "allOf": _all_of,
    "oneOf": _one_of,
    "anyOf": _any_of,
    "if": _if,
    "$ref": _ref,
}


# --- the JSON Schema 2020-12 metaschema, conservatively -------------------------------------------

_SIMPLE_TYPES = {"array", "boolean", "integer", "null", "number", "object", "string"}
_META_STRING = {"title", "description", "$comment", "format"}
_META_BOOL = {"deprecated", "readOnly", "writeOnly", "uniqueItems"}
_META_COUNT = {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}
_META_NUMBER = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
_META_SCHEMA = {"items", "additionalProperties", "propertyNames", "not", "if", "then", "else"}
_META_SCHEMA_LIST = {"allOf", "anyOf", "oneOf"}
_META_SCHEMA_MAP = {"properties", "$defs"}
_META_ANY = {"const", "default"}
# Every other keyword the metaschema (or its vocabularies and the deprecated ones it still lists)
# gives a shape: not checked here, so their presence makes the check unsure.
_META_OTHER = {
    "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$recursiveRef",
    "$recursiveAnchor", "definitions", "dependencies", "prefixItems", "contains", "patternProperties",
    "dependentSchemas", "unevaluatedItems", "unevaluatedProperties", "multipleOf", "maxContains",
    "minContains", "dependentRequired", "contentEncoding", "contentMediaType", "contentSchema",
}  # fmt: skip
_META_KNOWN = (
    (_META_STRING | _META_BOOL | _META_COUNT | _META_NUMBER | _META_SCHEMA | _META_SCHEMA_LIST | _META_SCHEMA_MAP)
    | _META_ANY
    | {"$schema", "type", "enum", "required", "pattern", "examples"}
    | _META_OTHER
)


def _metaschema_valid(node: object) -> Evaluated:
    """``node`` is a valid JSON Schema 2020-12 (exact), or Unsure. Evaluated: the keywords it has."""
    _meta(node)
    return {key for key in node if key in _META_KNOWN} if isinstance(node, dict) else set()


def _meta(node: object) -> None:
    if isinstance(node, bool):
        return
    if not isinstance(node, dict):
        raise Unsure("schema that is not an object")
    for key, value in node.items():
        if key in _META_STRING:
            ok = isinstance(value, str)
        elif key in _META_BOOL:
            ok = isinstance(value, bool)
        elif key in _META_COUNT:
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _SAFE_INT
        elif key in _META_NUMBER:
            ok = _number(value) is not None
        elif key in _META_SCHEMA:
            _meta(value)
            ok = True
        elif key in _META_SCHEMA_LIST:
            ok = isinstance(value, list) and bool(value)
            for sub in value if ok else []:
                _meta(sub)
        elif key in _META_SCHEMA_MAP:
            ok = isinstance(value, dict)
            for sub in value.values() if ok else []:
                _meta(sub)
        elif key in _META_ANY:
            ok = True
        elif key == "$schema":
            ok = value == METASCHEMA_2020_12
        elif key == "type":
            names = value if isinstance(value, list) else [value]
            ok = bool(names) and all(isinstance(n, str) and n in _SIMPLE_TYPES for n in names)
            ok = ok and len(set(names)) == len(names)
        elif key in ("enum", "examples"):
            ok = isinstance(value, list)
        elif key == "required":
            ok = isinstance(value, list) and all(isinstance(n, str) for n in value) and len(set(value)) == len(value)
        elif key == "pattern":
            ok = isinstance(value, str)  # the metaschema's "format": "regex" is an annotation, not asserted
        elif key in _META_OTHER:
            ok = False
        else:
            continue  # an unknown keyword (x-personal-data...): an annotation, any value
        if not ok:
            raise Unsure(f"form keyword {key}")
