"""The national contract itself: valid OpenAPI 3.1, errors as problem+json, bounded inputs, shared schemas
reused (never copied), and the sandbox implementing exactly its operations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR
from starlette.routing import Route

from registry.schemas import load_schema
from sandbox.national.app import NationalApi
from sandbox.national.contract import CONTRACT_FILE, contract

METHODS = {"get", "put", "post", "delete", "patch"}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, m, op) for path, item in contract()["paths"].items() for m, op in item.items() if m in METHODS]


def _resolve(node: Any, seen: frozenset[str] = frozenset()) -> Any:
    """Follow $refs within the contract and into the schema files beside it (one level per ref)."""
    if not isinstance(node, dict) or "$ref" not in node:
        return node
    ref = node["$ref"]
    file, _, pointer = ref.partition("#")
    document = load_schema(CONTRACT_FILE.parent / file) if file else contract()
    for part in filter(None, pointer.split("/")):
        document = document[part]
    return _resolve(document, seen | {ref})


def test_contract_is_valid_openapi_3_1() -> None:
    errors = [e.message for e in OPENAPI_31_VALIDATOR.iter_errors(contract())]
    assert errors == []
    assert contract()["openapi"].startswith("3.1")


def test_bearer_auth_everywhere() -> None:
    assert contract()["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": contract()["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert contract()["security"] == [{"bearerAuth": []}]
    assert all("security" not in op for _, _, op in _operations())  # nothing opts out


@pytest.mark.parametrize(("path", "method", "op"), _operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_error_is_problem_json(path: str, method: str, op: dict[str, Any]) -> None:
    codes = set(op["responses"])
    assert {"401", "429", "5XX"} <= codes, path
    for code, response in op["responses"].items():
        content = _resolve(response).get("content", {})
        if not code.startswith("2"):
            assert list(content) == ["application/problem+json"], (path, method, code)
            assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_applications_reuse_the_envelope_schema() -> None:
    schemas = contract()["components"]["schemas"]
    assert schemas["ApplicationEnvelope"] == {"$ref": "application-envelope.schema.json"}
    assert schemas["Attachment"] == {"$ref": "application-envelope.schema.json#/properties/attachments/items"}
    assert schemas["NationalStatus"] == {"$ref": "service-package.schema.json#/$defs/national_status"}
    text = CONTRACT_FILE.read_text(encoding="utf-8")
    assert '"package_version": {' not in text.split('"WalkInRegistration"')[0]  # no copied envelope


def _flatten(schema: Any) -> Any:
    """Resolve refs and merge ``allOf`` branches (their properties too) into one schema."""
    schema = _resolve(schema)
    if not isinstance(schema, dict) or "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for branch in map(_flatten, schema["allOf"]):
        props = merged.setdefault("properties", {})
        for name, sub in branch.get("properties", {}).items():
            props[name] = {**_resolve(props.get(name, {})), **_resolve(sub)}
        merged.update({k: v for k, v in branch.items() if k != "properties"})
    return merged


def _unbounded(schema: Any, where: str, out: list[str], depth: int = 0) -> None:
    """Strings without maxLength/enum/const/bounded pattern, arrays without maxItems, in request inputs."""
    schema = _flatten(schema)
    if not isinstance(schema, dict) or depth > 12:
        return
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    bounded_pattern = "pattern" in schema and not re.search(r"[*+]|\{\d+,\}", schema["pattern"])
    if "string" in kinds and not ({"maxLength", "enum", "const"} & set(schema) or bounded_pattern):
        out.append(where)
    if "array" in kinds and "maxItems" not in schema:
        out.append(where)
    for name, sub in schema.get("properties", {}).items():
        _unbounded(sub, f"{where}.{name}", out, depth + 1)
    if "items" in schema:
        _unbounded(schema["items"], f"{where}[]", out, depth + 1)


def test_request_inputs_are_bounded() -> None:
    problems: list[str] = []
    for path, method, op in _operations():
        for param in op.get("parameters", []):
            p = _resolve(param)
            _unbounded(p["schema"], f"{method} {path} {p['in']}.{p['name']}", problems)
            if p["name"] == "limit":
                assert _resolve(p["schema"])["maximum"] <= 1000
        if "requestBody" in op:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            own = _resolve(schema)
            # the package's `service` is bounded by the package schema (checked by its own tests)
            for name, sub in own["properties"].items():
                if name not in ("service", "form"):
                    _unbounded(sub, f"{method} {path} body.{name}", problems)
    assert problems == []
    batch = contract()["components"]["schemas"]["StatusEventBatch"]["properties"]["events"]
    assert batch["maxItems"] <= 1000


def test_the_sandbox_implements_every_operation() -> None:
    api = NationalApi.__new__(NationalApi)
    api.token, api.key = "t", "k"
    routes = [r for r in NationalApi.routes(api) if isinstance(r, Route)]
    served = {(r.path, m.lower()) for r in routes for m in (r.methods or []) if m != "HEAD"}
    assert served == {(path, method) for path, method, _ in _operations()}
