"""Every mapping source exists: outbound mappings read ``application.<field>`` (the envelope) or
``form.<field>`` (the package's own form); walk-in mappings write only fields of the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from registry.jmespath_refs import ExpressionError, field_chains
from registry.problems import PathPart
from registry.rules.access import as_dict, dig
from registry.rules.context import Finding, PackageContext
from registry.schemas import envelope_fields
from registry.suggest import did_you_mean

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ROOTS = ("application", "form")


def check_mapping_sources(ctx: PackageContext) -> Iterator[Finding]:
    """Check every JMESPath and {placeholder} that reads the application against the form and envelope."""
    local = as_dict(ctx.doc.get("local_system"))
    form = as_dict(ctx.doc.get("form"))
    for path, expression in _outbound_expressions(local):
        yield from _check_expression(path, expression, form)
    for path, text in _templates(local):
        for match in _PLACEHOLDER.finditer(text):
            chain = tuple(match.group(1).split("."))
            yield from _check_chain(path, chain, form, f"placeholder {{{match.group(1)}}}")
            marking = _personal_data(chain, form)
            if marking:
                yield Finding(
                    path,
                    f"placeholder {{{match.group(1)}}} puts personal data ({marking}) into a URL, where logs and "
                    "proxies keep it: send it in the request body instead",
                )
    for path, expression in _local_expressions(local):
        try:
            field_chains(expression)
        except ExpressionError as exc:
            yield Finding(path, f"invalid JMESPath expression: {exc}")
    properties = as_dict(form.get("properties"))
    for mapping_path in (("operations", "walk_ins", "form"), ("tables", "walk_ins", "form")):
        if not properties:
            break  # no form fields to check against (a connector profile: its service template has the form)
        for name in as_dict(dig(local, *mapping_path)):
            if name not in properties:
                hint = did_you_mean(name, properties)
                yield Finding(
                    ("local_system", *mapping_path, name),
                    f"walk-in mapping writes '{name}', which is not a form field{hint}",
                )


def _outbound_expressions(local: dict[str, Any]) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """JMESPath expressions evaluated over {application, form}."""
    for mapping_path in (("operations", "submit", "body"), ("tables", "applications", "columns")):
        for target, expression in as_dict(dig(local, *mapping_path)).items():
            if isinstance(expression, str):
                yield ("local_system", *mapping_path, target), expression


def _local_expressions(local: dict[str, Any]) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """JMESPath expressions evaluated over the local system's responses: syntax only can be checked."""
    operations = as_dict(local.get("operations"))
    for op_name, op in operations.items():
        op = as_dict(op)
        for key in ("records_path", "reference_path"):
            if isinstance(op.get(key), str):
                yield ("local_system", "operations", op_name, key), op[key]
        for section in ("fields", "form"):
            for key, expression in as_dict(op.get(section)).items():
                if isinstance(expression, str):
                    yield ("local_system", "operations", op_name, section, key), expression
        cursor_field = dig(op, "cursor", "field")
        if isinstance(cursor_field, str):
            yield ("local_system", "operations", op_name, "cursor", "field"), cursor_field
        for key in ("total_pages_path", "total_count_path"):  # an empty one is the schema's complaint
            if isinstance(dig(op, "pagination", key), str) and op["pagination"][key]:
                yield ("local_system", "operations", op_name, "pagination", key), op["pagination"][key]
        yield from _envelope_expressions(as_dict(op.get("envelope")), ("local_system", "operations", op_name))
    yield from _envelope_expressions(as_dict(local.get("envelope")), ("local_system",))
    for key, expression in as_dict(dig(local, "tables", "walk_ins", "form")).items():
        if isinstance(expression, str):
            yield ("local_system", "tables", "walk_ins", "form", key), expression


def _envelope_expressions(
    envelope: dict[str, Any], where: tuple[PathPart, ...]
) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """The success predicate and the message expression of an answer envelope (an empty one is the
    schema's complaint)."""
    for key in ("success", "message"):
        if isinstance(envelope.get(key), str) and envelope[key]:
            yield (*where, "envelope", key), envelope[key]


def _templates(local: dict[str, Any]) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """Operation paths and query values, whose {placeholders} are filled from the application."""
    for op_name, op in as_dict(local.get("operations")).items():
        op = as_dict(op)
        if isinstance(op.get("path"), str):
            yield ("local_system", "operations", op_name, "path"), op["path"]
        for key, value in as_dict(op.get("query")).items():
            if isinstance(value, str):
                yield ("local_system", "operations", op_name, "query", key), value


def _check_expression(path: tuple[PathPart, ...], expression: str, form: dict[str, Any]) -> Iterator[Finding]:
    try:
        chains = field_chains(expression)
    except ExpressionError as exc:
        yield Finding(path, f"invalid JMESPath expression: {exc}")
        return
    for chain in chains:
        yield from _check_chain(path, chain, form, f"source '{'.'.join(chain)}'")


def _check_chain(
    path: tuple[PathPart, ...], chain: tuple[str, ...], form: dict[str, Any], what: str
) -> Iterator[Finding]:
    root = chain[0]
    if root not in _ROOTS:
        hint = did_you_mean(root, _ROOTS)
        yield Finding(path, f"{what} must start with application. or form.{hint}")
        return
    if len(chain) < 2:
        return
    if root == "application":
        fields = envelope_fields()
        if chain[1] not in fields:
            yield Finding(
                path, f"{what}: the application envelope has no field '{chain[1]}'{did_you_mean(chain[1], fields)}"
            )
        return
    node = form
    for depth, name in enumerate(chain[1:], start=1):
        props = as_dict(node.get("properties"))
        if not props:
            return  # a free-form object: nothing more to check
        if name not in props:
            where = "the form" if depth == 1 else f"form field '{'.'.join(chain[1:depth])}'"
            yield Finding(path, f"{what}: {where} has no field '{name}'{did_you_mean(name, props)}")
            return
        node = as_dict(props[name])


def _personal_data(chain: tuple[str, ...], form: dict[str, Any]) -> str | None:
    """The ``x-personal-data`` marking of the form field a ``form.*`` chain reads, if any."""
    if chain[0] != "form":
        return None
    node: dict[str, Any] = form
    for name in chain[1:]:
        node = as_dict(as_dict(node.get("properties")).get(name))
        if not node:
            return None
        if isinstance(node.get("x-personal-data"), str):
            return str(node["x-personal-data"])
    return None
