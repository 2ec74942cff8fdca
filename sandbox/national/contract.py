"""The national contract (``schemas/national-api.openapi.json``): loading it and checking requests with it.

Every operation's path, query and header parameters and its JSON body are validated by jsonschema-rs
against the contract's own schemas. ``$ref``s to the envelope and package schemas beside the contract
resolve offline through a jsonschema-rs registry. Messages never echo the submitted value (it may be a NIK).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import jsonschema_rs

from registry.schemas import ENVELOPE_SCHEMA_FILE, PACKAGE_SCHEMA_FILE, SCHEMA_DIR, load_schema, resolve_pointer
from sandbox.national.errors import Issue

CONTRACT_FILE = SCHEMA_DIR / "national-api.openapi.json"
BASE_URI = "https://mpphub.go.id/schemas/"
CONTRACT_URI = BASE_URI + CONTRACT_FILE.name
PACKAGE_URI = BASE_URI + PACKAGE_SCHEMA_FILE.name
_INTEGER = re.compile(r"^-?[0-9]{1,18}$")


def contract() -> dict[str, Any]:
    """The OpenAPI document (cached)."""
    return load_schema(CONTRACT_FILE)


@cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry(
        [
            (CONTRACT_URI, contract()),
            (BASE_URI + ENVELOPE_SCHEMA_FILE.name, load_schema(ENVELOPE_SCHEMA_FILE)),
            (PACKAGE_URI, load_schema(PACKAGE_SCHEMA_FILE)),
        ]
    )


def _absolute(node: Any) -> Any:
    """Copy of a contract schema whose local ``#/...`` refs point into the contract document."""
    if isinstance(node, dict):
        return {
            k: (CONTRACT_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _absolute(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute(v) for v in node]
    return node


def compile_ref(uri: str) -> jsonschema_rs.Validator:
    """A validator for the schema at ``uri`` (e.g. ``PACKAGE_URI + '#/$defs/form'``), formats checked."""
    return jsonschema_rs.validator_for({"$ref": uri}, registry=_registry(), validate_formats=True)


def json_path(parts: Iterable[str | int], root: str = "$") -> str:
    """``['events', 0, 'sequence']`` -> ``$.events[0].sequence``."""
    out = root
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _describe(kind: str, details: dict[str, Any]) -> str:
    """A message for one failed keyword, made from the schema only (no submitted value)."""
    limit = details.get("limit")
    messages = {
        "Type": f"must be of type {' or '.join(map(str, details.get('types', [])))}",
        "Enum": f"must be one of: {', '.join(map(str, details.get('options', [])))}",
        "Constant": f"must be {details.get('expected_value')!r}",
        "Pattern": f"must match the pattern {details.get('pattern')}",
        "Format": f"must be a valid {details.get('format')}",
        "MinLength": f"must be at least {limit} characters long",
        "MaxLength": f"must be at most {limit} characters long",
        "Minimum": f"must be >= {limit}",
        "Maximum": f"must be <= {limit}",
        "ExclusiveMinimum": f"must be > {limit}",
        "ExclusiveMaximum": f"must be < {limit}",
        "MultipleOf": f"must be a multiple of {details.get('multiple_of')}",
        "MinItems": f"must have at least {limit} items",
        "MaxItems": f"must have at most {limit} items",
        "UniqueItems": "must not contain duplicate items",
        "MinProperties": f"must have at least {limit} fields",
        "MaxProperties": f"must have at most {limit} fields",
        "AnyOf": "does not match any of the allowed shapes",
        "OneOfNotValid": "does not match any of the allowed shapes",
        "OneOfMultipleValid": "matches more than one of the allowed shapes",
        "FalseSchema": "is not allowed here",
    }
    return messages.get(kind, f"fails the {kind} rule")


def issues_of(validator: jsonschema_rs.Validator, instance: Any, location: str, root: str = "$") -> list[Issue]:
    """Every problem of ``instance``, as value-free issues with JSON paths under ``root``."""
    if validator.is_valid(instance):
        return []
    issues: list[Issue] = []
    for error in validator.iter_errors(instance):
        path = list(error.instance_path)
        kind = type(error.kind).__name__
        details = error.kind.as_dict()
        if kind == "Required":
            issues.append(Issue(location, json_path([*path, details["property"]], root), "is required"))
        elif kind == "PropertyNames":
            inner = details["error"]
            message = _x_message(inner.absolute_keyword_location) or "is not an allowed field name"
            issues.append(Issue(location, json_path([*path, str(inner.instance)], root), message))
        elif kind in ("AdditionalProperties", "UnevaluatedProperties"):
            for name in details.get("unexpected", []):
                issues.append(Issue(location, json_path([*path, name], root), "is not an allowed field here"))
        else:
            message = _x_message(error.absolute_keyword_location) or _describe(kind, details)
            issues.append(Issue(location, json_path(path, root), message))
    return issues


def _x_message(keyword_location: str | None) -> str | None:
    """The schema's own ``x-message`` beside the failing keyword (the package schema has value-free ones)."""
    uri, _, pointer = (keyword_location or "").partition("#")
    document = {CONTRACT_URI: contract(), PACKAGE_URI: load_schema(PACKAGE_SCHEMA_FILE)}.get(uri)
    node = resolve_pointer(document, pointer.rsplit("/", 1)[0]) if document is not None else None
    message = node.get("x-message") if isinstance(node, dict) else None
    return str(message) if message else None


@dataclass(frozen=True)
class Parameter:
    """One path, query or header parameter of an operation, with its compiled schema."""

    name: str
    location: str
    required: bool
    integer: bool
    validator: jsonschema_rs.Validator


@dataclass(frozen=True)
class Operation:
    """One contract operation: its parameters and body schema, ready to check a request."""

    operation_id: str
    parameters: tuple[Parameter, ...]
    body: jsonschema_rs.Validator | None

    def check_parameters(
        self, path: Mapping[str, str], query: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[dict[str, Any], list[Issue]]:
        """The parameters by name (integers converted), and the issues (400 when any)."""
        sources = {"path": path, "query": query, "header": headers}
        values: dict[str, Any] = {}
        issues: list[Issue] = []
        for p in self.parameters:
            raw = sources[p.location].get(p.name.lower() if p.location == "header" else p.name)
            if raw is None:
                if p.required:
                    issues.append(Issue(p.location, f"$.{p.name}", "is required"))
                continue
            value: Any = int(raw) if p.integer and _INTEGER.match(raw) else raw
            found = issues_of(p.validator, value, p.location, f"$.{p.name}")
            issues.extend(found)
            if not found:
                values[p.name] = value
        return values, issues

    def check_body(self, body: Any) -> list[Issue]:
        """Issues of a parsed JSON body (422 when any)."""
        return [] if self.body is None else issues_of(self.body, body, "body")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref``s of the contract (parameters, schemas) to the object they name."""
    while "$ref" in node and str(node["$ref"]).startswith("#/"):
        target: Any = contract()
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


@cache
def operation(operation_id: str) -> Operation:
    """The compiled operation ``operation_id`` of the contract."""
    for item in contract()["paths"].values():
        for spec in item.values():
            if not isinstance(spec, dict) or spec.get("operationId") != operation_id:
                continue
            params = []
            for raw in spec.get("parameters", []):
                p = _resolve(raw)
                schema = _absolute(p["schema"])
                validator = jsonschema_rs.validator_for(schema, registry=_registry(), validate_formats=True)
                integer = _resolve(p["schema"]).get("type") == "integer"
                params.append(Parameter(p["name"], p["in"], bool(p.get("required")), integer, validator))
            body = None
            if "requestBody" in spec:
                schema = _absolute(spec["requestBody"]["content"]["application/json"]["schema"])
                body = jsonschema_rs.validator_for(schema, registry=_registry(), validate_formats=True)
            return Operation(operation_id, tuple(params), body)
    raise KeyError(f"the contract has no operation {operation_id!r}")


@cache
def package_part(pointer: str) -> jsonschema_rs.Validator:
    """A validator for part of the package schema, e.g. ``/$defs/form`` (catalogue forms)."""
    return compile_ref(f"{PACKAGE_URI}#{pointer}")


@lru_cache(maxsize=1024)
def form_validator(form_json: str) -> jsonschema_rs.Validator:
    """A validator for one package version's form (keyed by its JSON text), formats checked."""
    return jsonschema_rs.validator_for(json.loads(form_json), validate_formats=True)
