"""Classify the change between two versions of one package as patch, minor or major, with reasons.

major: something that worked stops working — for citizens (a form field removed or renamed, newly
required, its type or constraints narrowed, a requirement newly required), for officers' statuses
(a status mapping removed or redirected) or for the local system (connector kind, an operation, its
method or path, a mapped target field, a table). minor: compatible additions and changes. patch: wording.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from registry.rules.access import as_dict, as_list
from registry.semver import level_rank

_TIGHTER_WHEN_HIGHER = ("minLength", "minimum", "exclusiveMinimum", "minItems")
_TIGHTER_WHEN_LOWER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")


@dataclass(frozen=True)
class Change:
    """One classified difference."""

    level: str  # patch | minor | major
    path: str
    reason: str


@dataclass(frozen=True)
class DiffResult:
    """All differences and the overall level (the highest one; 'none' when identical)."""

    changes: list[Change]

    @property
    def level(self) -> str:
        """The version part this change needs to bump."""
        return max((c.level for c in self.changes), key=level_rank, default="none")


def diff_packages(old: dict[str, Any], new: dict[str, Any]) -> DiffResult:
    """Compare two versions of the same package (ids are compared by the caller)."""
    changes = [
        *_form_changes(as_dict(old.get("form")), as_dict(new.get("form")), "$.form"),
        *_service_changes(as_dict(old.get("service")), as_dict(new.get("service"))),
        *_local_system_changes(as_dict(old.get("local_system")), as_dict(new.get("local_system"))),
    ]
    covered = {"form", "service", "local_system", "version"}
    for key in sorted((set(old) | set(new)) - covered):
        if old.get(key) != new.get(key):
            changes.append(Change("patch", f"$.{key}", f"{key} changed"))
    if not changes and old != new:
        changes.append(Change("patch", "$", "formatting or wording changed"))
    return DiffResult(changes)


# --- form -----------------------------------------------------------------------------------------


def _types(field: dict[str, Any]) -> set[str]:
    declared = field.get("type")
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list):
        types = {t for t in declared if isinstance(t, str)}
    else:
        types = {"any"}
    if "number" in types:
        types.add("integer")  # integer values stay valid when the type widens to number
    return types


def _form_changes(old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[Change]:
    old_props, new_props = as_dict(old.get("properties")), as_dict(new.get("properties"))
    old_required, new_required = set(as_list(old.get("required"))), set(as_list(new.get("required")))
    removed = [n for n in old_props if n not in new_props]
    added = [n for n in new_props if n not in old_props]
    for name in removed:
        twin = next((a for a in added if _types(as_dict(new_props[a])) == _types(as_dict(old_props[name]))), None)
        how = f"renamed to '{twin}'?" if twin else "removed"
        yield Change("major", f"{path}.properties.{name}", f"form field '{name}' {how}: citizens' data no longer fits")
    for name in added:
        if name in new_required:
            yield Change("major", f"{path}.properties.{name}", f"new required form field '{name}'")
        else:
            yield Change("minor", f"{path}.properties.{name}", f"new optional form field '{name}'")
    for name in sorted((new_required - old_required) & set(old_props)):
        yield Change("major", f"{path}.required", f"form field '{name}' is now required")
    for name in sorted((old_required - new_required) & set(new_props)):
        yield Change("minor", f"{path}.required", f"form field '{name}' is no longer required")
    if old.get("additionalProperties", True) is not False and new.get("additionalProperties", True) is False:
        yield Change("major", f"{path}.additionalProperties", "the form no longer accepts extra fields")
    for name in old_props.keys() & new_props.keys():
        yield from _field_changes(as_dict(old_props[name]), as_dict(new_props[name]), f"{path}.properties.{name}", name)


def _field_changes(old: dict[str, Any], new: dict[str, Any], path: str, name: str) -> Iterator[Change]:
    old_types, new_types = _types(old), _types(new)
    if "any" not in new_types and ("any" in old_types or not old_types <= new_types):
        yield Change(
            "major",
            f"{path}.type",
            f"type of '{name}' narrowed from {_show(old.get('type'))} to {_show(new.get('type'))}",
        )
    elif old_types != new_types:
        yield Change("minor", f"{path}.type", f"type of '{name}' widened to {_show(new.get('type'))}")
    if "enum" in new and (
        set(map(str, as_list(old.get("enum")))) - set(map(str, as_list(new["enum"]))) or "enum" not in old
    ):
        yield Change("major", f"{path}.enum", f"'{name}' accepts fewer values")
    elif "enum" in old and old.get("enum") != new.get("enum"):
        yield Change("minor", f"{path}.enum", f"'{name}' accepts more values")
    for key in _TIGHTER_WHEN_HIGHER + _TIGHTER_WHEN_LOWER:
        before, after = old.get(key), new.get(key)
        if before == after or not isinstance(after, (int, float)):
            if before != after and after is None:
                yield Change("minor", f"{path}.{key}", f"{key} of '{name}' removed")
            continue
        tighter = before is None or (after > before if key in _TIGHTER_WHEN_HIGHER else after < before)
        level = "major" if tighter else "minor"
        yield Change(level, f"{path}.{key}", f"{key} of '{name}' changed from {_show(before)} to {after}")
    for key in ("pattern", "format", "const"):
        if old.get(key) != new.get(key):
            level = "minor" if new.get(key) is None else "major"
            yield Change(level, f"{path}.{key}", f"{key} of '{name}' changed")
    if old.get("x-personal-data") != new.get("x-personal-data"):
        yield Change("minor", f"{path}.x-personal-data", f"personal-data marking of '{name}' changed")
    for key in ("title", "description", "examples"):
        if old.get(key) != new.get(key):
            yield Change("patch", f"{path}.{key}", f"{key} of '{name}' changed")
    if "properties" in old or "properties" in new:
        yield from _form_changes(old, new, path)


def _show(value: Any) -> str:
    return "unset" if value is None else str(value)


# --- service --------------------------------------------------------------------------------------


def _service_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    old_reqs = {r.get("id"): r for r in as_list(old.get("requirements")) if isinstance(r, dict)}
    new_reqs = {r.get("id"): r for r in as_list(new.get("requirements")) if isinstance(r, dict)}
    for rid, req in new_reqs.items():
        before = old_reqs.get(rid)
        if req.get("required") and (before is None or not before.get("required")):
            yield Change("major", "$.service.requirements", f"requirement '{rid}' is newly required")
        elif before is None:
            yield Change("minor", "$.service.requirements", f"new optional requirement '{rid}'")
        elif before != req:
            narrowed = set(as_list(before.get("formats"))) - set(as_list(req.get("formats")))
            smaller = (req.get("max_size_kb") or 0) < (before.get("max_size_kb") or 0)
            level = "major" if narrowed or smaller else "minor"
            yield Change(level, "$.service.requirements", f"requirement '{rid}' changed")
    for rid in old_reqs.keys() - new_reqs.keys():
        yield Change("minor", "$.service.requirements", f"requirement '{rid}' removed")
    for key in ("sla_working_days", "fee", "category", "channels", "agency", "outputs"):
        if old.get(key) != new.get(key):
            yield Change("minor", f"$.service.{key}", f"{key} changed")
    for key in ("name", "description", "legal_basis"):
        if old.get(key) != new.get(key):
            yield Change("patch", f"$.service.{key}", f"{key} changed")


# --- local system ---------------------------------------------------------------------------------


def _local_system_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    if old.get("kind") != new.get("kind"):
        yield Change(
            "major",
            "$.local_system.kind",
            f"connector kind changed from {_show(old.get('kind'))} to {_show(new.get('kind'))}",
        )
        return
    old_map, new_map = as_dict(old.get("status_map")), as_dict(new.get("status_map"))
    for code in old_map:
        if code not in new_map:
            yield Change("major", f"$.local_system.status_map.{code}", f"status mapping of '{code}' removed")
        elif old_map[code] != new_map[code]:
            yield Change(
                "major",
                f"$.local_system.status_map.{code}",
                f"'{code}' now maps to {new_map[code]} instead of {old_map[code]}",
            )
    for code in new_map.keys() - old_map.keys():
        yield Change("minor", f"$.local_system.status_map.{code}", f"new status mapping '{code}'")
    yield from _operation_changes(as_dict(old.get("operations")), as_dict(new.get("operations")))
    yield from _table_changes(as_dict(old.get("tables")), as_dict(new.get("tables")))
    handled = {"kind", "status_map", "operations", "tables", "name"}
    for key in sorted((old.keys() | new.keys()) - handled):
        if old.get(key) != new.get(key):
            yield Change("minor", f"$.local_system.{key}", f"{key} changed")
    if old.get("name") != new.get("name"):
        yield Change("patch", "$.local_system.name", "name changed")


def _operation_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    for name, before in old.items():
        path = f"$.local_system.operations.{name}"
        after = new.get(name)
        if after is None:
            yield Change("major", path, f"operation '{name}' removed")
            continue
        before, after = as_dict(before), as_dict(after)
        for key in ("method", "path"):
            if before.get(key) != after.get(key):
                yield Change(
                    "major",
                    f"{path}.{key}",
                    f"{key} of '{name}' changed: {_show(before.get(key))} -> {_show(after.get(key))}",
                )
        yield from _mapping_changes(as_dict(before.get("body")), as_dict(after.get("body")), f"{path}.body")
        for key in sorted((before.keys() | after.keys()) - {"method", "path", "body"}):
            if before.get(key) != after.get(key):
                yield Change("minor", f"{path}.{key}", f"{key} of '{name}' changed")
    for name in new.keys() - old.keys():
        yield Change("minor", f"$.local_system.operations.{name}", f"new operation '{name}'")


def _table_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    for name, before in old.items():
        path = f"$.local_system.tables.{name}"
        before, after = as_dict(before), as_dict(new.get(name))
        if not after:
            yield Change("major", path, f"table mapping '{name}' removed")
            continue
        for key in ("table", "reference_column", "national_id_column", "cursor_column"):
            if before.get(key) != after.get(key):
                yield Change("major", f"{path}.{key}", f"{key} of '{name}' changed")
        yield from _mapping_changes(as_dict(before.get("columns")), as_dict(after.get("columns")), f"{path}.columns")
    for name in new.keys() - old.keys():
        yield Change("minor", f"$.local_system.tables.{name}", f"new table mapping '{name}'")


def _mapping_changes(old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[Change]:
    for target in old:
        if target not in new:
            yield Change("major", f"{path}.{target}", f"the local system no longer receives '{target}'")
        elif old[target] != new[target]:
            yield Change("minor", f"{path}.{target}", f"source of '{target}' changed")
    for target in new.keys() - old.keys():
        yield Change("minor", f"{path}.{target}", f"the local system now also receives '{target}'")


def required_bump_reasons(result: DiffResult, level: str) -> list[str]:
    """The reasons of the changes at ``level`` (what forces that bump)."""
    return [c.reason for c in result.changes if c.level == level]


__all__ = ["Change", "DiffResult", "diff_packages", "required_bump_reasons"]
