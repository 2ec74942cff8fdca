"""Check a template file (``schemas/service-template.schema.json``) and an adopting package's composition.

A template is checked by its own schema, then each package section it holds by the package schema and the
package rules — without the package's required fields, which a template may leave to the adopting region,
and without the rules about the region's own identity (its code, its secret namespace). On top: a template
names no base URL and no secret (those are the region's), a connector profile holds only ``local_system``,
and every locked path points at something the template holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.problems import PathPart
from registry.regions import region_table
from registry.rules import PACKAGE_RULES, PackageContext
from registry.schema_check import explain_errors, schema_errors
from registry.schemas import SCHEMA_DIR, load_schema
from registry.templates import _MISSING, CONTENT_KEYS, _at, pointer_parts, template_content

if TYPE_CHECKING:
    import jsonschema_rs

TEMPLATE_SCHEMA_FILE = SCHEMA_DIR / "service-template.schema.json"
# Rules about the adopting region itself: a template has no region and names no secret.
NOT_FOR_TEMPLATES = {"region", "secret-namespace"}
Finding = tuple[list[PathPart], str, str]  # (path, message, rule)


@lru_cache(maxsize=1)
def template_validator() -> jsonschema_rs.Validator:
    """The compiled validator of the template schema (one per process)."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_schema(TEMPLATE_SCHEMA_FILE))


def template_findings(file: Path, doc: dict[str, Any]) -> Iterator[Finding]:
    """Every problem of a template document."""
    validator = template_validator()
    if not validator.is_valid(doc):
        for error in validator.iter_errors(doc):
            yield from explain_errors(error, load_schema(TEMPLATE_SCHEMA_FILE))
    content = template_content(doc)
    for path, message, rule in schema_errors(content):
        if rule != "schema.required" and path:  # a template may leave required fields to the region
            yield path, message, rule
    ctx = PackageContext(file=file, doc=content, regions=region_table())
    for name, rule_fn in PACKAGE_RULES.items():
        if name not in NOT_FOR_TEMPLATES:
            for finding in rule_fn(ctx):
                yield list(finding.path), finding.message, name
    yield from _region_only_values(content)
    meta = doc.get("template")
    if not isinstance(meta, dict):
        meta = {}
    if meta.get("kind") == "connector_profile":
        for key in CONTENT_KEYS:
            if key != "local_system" and key in doc:
                yield (
                    [key],
                    "a connector profile holds only local_system (put the rest in a service template)",
                    "template-profile",
                )
    owner = str(meta.get("id", "")).partition("/")[0]
    if owner and owner != "nasional" and owner not in region_table():
        yield ["template", "id"], f"owner {owner!r} is not a Kemendagri region code (or 'nasional')", "template-owner"
    locked = meta.get("locked")
    if isinstance(locked, dict):
        for pointer in locked:
            if (
                isinstance(pointer, str)
                and pointer.startswith("/")
                and _at(content, pointer_parts(pointer)) is _MISSING
            ):
                yield ["template", "locked", pointer], "locks a path the template does not hold", "template-locked"


def _region_only_values(content: dict[str, Any]) -> Iterator[Finding]:
    """A base URL, a token endpoint or a secret's name belongs to the region that adopts the template,
    never to the template (where the package format keeps them: ``local_system.base_url``,
    ``local_system.connection_ref`` and the ``*_ref`` / ``token_url`` of ``local_system.auth``)."""
    local = content.get("local_system")
    if not isinstance(local, dict):
        return
    for key in ("base_url", "connection_ref"):
        if key in local:
            what = "base URL" if key == "base_url" else "secret"
            yield (
                ["local_system", key],
                f"a template names no {what}: each adopting region sets its own",
                "template-region-value",
            )
    yield from _auth_values(local.get("auth"), ["local_system", "auth"])


def _auth_values(node: Any, path: list[PathPart]) -> Iterator[Finding]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = [*path, key]
            if key.endswith("_ref") or key == "token_url":
                what = "token endpoint" if key == "token_url" else "secret"
                yield here, f"a template names no {what}: each adopting region names its own", "template-region-value"
            else:
                yield from _auth_values(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _auth_values(item, [*path, index])
