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

from registry.problems import PathPart, json_path, quote
from registry.rules.access import as_dict, as_list
from registry.semver import level_rank

Parts = tuple[PathPart, ...]

_TIGHTER_WHEN_HIGHER = ("minLength", "minimum", "exclusiveMinimum", "minItems")
_TIGHTER_WHEN_LOWER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")


@dataclass(frozen=True)
class Change:
    """One classified difference, at its JSON path spelt as ``mpphub validate`` spells it (``$.a.b[0]``)."""

    level: str  # patch | minor | major
    path: str
    reason: str


def _change(level: str, parts: Parts, reason: str) -> Change:
    return Change(level, json_path(parts), reason)


def _value(value: Any) -> str:
    """A value in a reason, shortened: strings quoted, the rest as compact JSON."""
    if value is None:
        return "unset"
    if isinstance(value, str):
        return quote(value)
    import json

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 60 else text[:57] + "..."


def _was(before: Any, after: Any) -> str:
    """``: old -> new``, the tail of a reason for a changed value. Long texts are shown from a little before
    where they start to differ (a reworded description would otherwise show the same first words twice)."""
    if isinstance(before, str) and isinstance(after, str) and max(len(before), len(after)) > 58:
        same = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), None)
        start = max(0, (min(len(before), len(after)) if same is None else same) - 20)
        if start:
            return f": '...{quote(before[start:], 54)[1:]} -> '...{quote(after[start:], 54)[1:]}"
    return f": {_value(before)} -> {_value(after)}"


def _leaf_changes(level: str, parts: Parts, label: str, old: Any, new: Any) -> Iterator[Change]:
    """A changed value as one line per changed leaf (objects are walked; a list or scalar is one leaf),
    so ``contact.email`` shows as itself, with its old and new value, not as "contact changed"."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            if old.get(key) != new.get(key):
                yield from _leaf_changes(level, (*parts, key), f"{label}.{key}", old.get(key), new.get(key))
        return
    yield _change(level, parts, f"{label} changed{_was(old, new)}")


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
        *_form_changes(as_dict(old.get("form")), as_dict(new.get("form")), ("form",)),
        *_service_changes(as_dict(old.get("service")), as_dict(new.get("service"))),
        *_local_system_changes(as_dict(old.get("local_system")), as_dict(new.get("local_system"))),
    ]
    covered = {"form", "service", "local_system", "version"}
    for key in sorted((set(old) | set(new)) - covered):
        if old.get(key) != new.get(key):
            changes.extend(_leaf_changes("patch", (key,), key, old.get(key), new.get(key)))
    if not changes and {k: v for k, v in old.items() if k != "version"} != {
        k: v for k, v in new.items() if k != "version"
    }:
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


def _form_changes(old: dict[str, Any], new: dict[str, Any], path: Parts) -> Iterator[Change]:
    old_props, new_props = as_dict(old.get("properties")), as_dict(new.get("properties"))
    old_required, new_required = set(as_list(old.get("required"))), set(as_list(new.get("required")))
    removed = [n for n in old_props if n not in new_props]
    added = [n for n in new_props if n not in old_props]
    for name in removed:
        twin = next((a for a in added if _types(as_dict(new_props[a])) == _types(as_dict(old_props[name]))), None)
        how = f"renamed to '{twin}'?" if twin else "removed"
        yield _change("major", (*path, "properties", name), f"form field '{name}' {how}: citizens' data no longer fits")
    for name in added:
        if name in new_required:
            yield _change("major", (*path, "properties", name), f"new required form field '{name}'")
        else:
            yield _change("minor", (*path, "properties", name), f"new optional form field '{name}'")
    for name in sorted((new_required - old_required) & set(old_props)):
        yield _change("major", (*path, "required"), f"form field '{name}' is now required")
    for name in sorted((old_required - new_required) & set(new_props)):
        yield _change("minor", (*path, "required"), f"form field '{name}' is no longer required")
    if old.get("additionalProperties", True) is not False and new.get("additionalProperties", True) is False:
        yield _change("major", (*path, "additionalProperties"), "the form no longer accepts extra fields")
    for name in old_props.keys() & new_props.keys():
        yield from _field_changes(as_dict(old_props[name]), as_dict(new_props[name]), (*path, "properties", name), name)


def _field_changes(old: dict[str, Any], new: dict[str, Any], path: Parts, name: str) -> Iterator[Change]:
    old_types, new_types = _types(old), _types(new)
    if "any" not in new_types and ("any" in old_types or not old_types <= new_types):
        yield _change(
            "major",
            (*path, "type"),
            f"type of '{name}' narrowed from {_show(old.get('type'))} to {_show(new.get('type'))}",
        )
    elif old_types != new_types:
        yield _change(
            "minor",
            (*path, "type"),
            f"type of '{name}' widened to {_show(new.get('type'))} (was {_show(old.get('type'))})",
        )
    if "enum" in new and (
        set(map(str, as_list(old.get("enum")))) - set(map(str, as_list(new["enum"]))) or "enum" not in old
    ):
        yield _change("major", (*path, "enum"), f"'{name}' accepts fewer values{_was(old.get('enum'), new['enum'])}")
    elif "enum" in old and old.get("enum") != new.get("enum"):
        yield _change("minor", (*path, "enum"), f"'{name}' accepts more values{_was(old['enum'], new.get('enum'))}")
    for key in _TIGHTER_WHEN_HIGHER + _TIGHTER_WHEN_LOWER:
        before, after = old.get(key), new.get(key)
        if before == after or not isinstance(after, (int, float)):
            if before != after and after is None:
                yield _change("minor", (*path, key), f"{key} of '{name}' removed (was {_show(before)})")
            continue
        tighter = before is None or (after > before if key in _TIGHTER_WHEN_HIGHER else after < before)
        level = "major" if tighter else "minor"
        yield _change(level, (*path, key), f"{key} of '{name}' changed from {_show(before)} to {after}")
    for key in ("pattern", "format", "const"):
        if old.get(key) != new.get(key):
            level = "minor" if new.get(key) is None else "major"
            yield _change(level, (*path, key), f"{key} of '{name}' changed{_was(old.get(key), new.get(key))}")
    if old.get("x-personal-data") != new.get("x-personal-data"):
        was = _was(old.get("x-personal-data"), new.get("x-personal-data"))
        yield _change("minor", (*path, "x-personal-data"), f"personal-data marking of '{name}' changed{was}")
    for key in ("title", "description", "examples"):
        if old.get(key) != new.get(key):
            yield _change("patch", (*path, key), f"{key} of '{name}' changed{_was(old.get(key), new.get(key))}")
    if "properties" in old or "properties" in new:
        yield from _form_changes(old, new, path)


def _show(value: Any) -> str:
    return "unset" if value is None else str(value)


# --- service --------------------------------------------------------------------------------------


def _service_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    old_list = [r for r in as_list(old.get("requirements")) if isinstance(r, dict)]
    new_list = [r for r in as_list(new.get("requirements")) if isinstance(r, dict)]
    old_reqs = {r.get("id"): r for r in old_list}
    # a requirement is reported at its index in the new package (a removed one at its index in the old)
    for index, req in enumerate(new_list):
        rid, at = req.get("id"), ("service", "requirements", index)
        before = old_reqs.get(rid)
        if req.get("required") and (before is None or not before.get("required")):
            yield _change("major", at, f"requirement '{rid}' is newly required")
        elif before is None:
            yield _change("minor", at, f"new optional requirement '{rid}'")
        elif before != req:
            narrowed = set(as_list(before.get("formats"))) - set(as_list(req.get("formats")))
            smaller = (req.get("max_size_kb") or 0) < (before.get("max_size_kb") or 0)
            level = "major" if narrowed or smaller else "minor"
            for key in [*before, *(k for k in req if k not in before)]:
                if before.get(key) != req.get(key):
                    was = _was(before.get(key), req.get(key))
                    yield _change(level, (*at, key), f"requirement '{rid}' changed: {key}{was[1:]}")
    new_ids = {r.get("id") for r in new_list}
    for index, req in enumerate(old_list):
        if req.get("id") not in new_ids:
            yield _change("minor", ("service", "requirements", index), f"requirement '{req.get('id')}' removed")
    for key in ("sla_working_days", "fee", "category", "channels", "agency", "outputs"):
        if old.get(key) != new.get(key):
            yield from _leaf_changes("minor", ("service", key), key, old.get(key), new.get(key))
    for key in ("name", "description", "legal_basis"):
        if old.get(key) != new.get(key):
            yield from _leaf_changes("patch", ("service", key), key, old.get(key), new.get(key))


# --- local system ---------------------------------------------------------------------------------

_LOCAL = ("local_system",)


def _local_system_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    if old.get("kind") != new.get("kind"):
        yield _change(
            "major",
            (*_LOCAL, "kind"),
            f"connector kind changed from {_show(old.get('kind'))} to {_show(new.get('kind'))}",
        )
        return
    old_map, new_map = as_dict(old.get("status_map")), as_dict(new.get("status_map"))
    for code in old_map:
        if code not in new_map:
            yield _change("major", (*_LOCAL, "status_map", code), f"status mapping of '{code}' removed")
        elif old_map[code] != new_map[code]:
            yield _change(
                "major",
                (*_LOCAL, "status_map", code),
                f"'{code}' now maps to {new_map[code]} instead of {old_map[code]}",
            )
    for code in [c for c in new_map if c not in old_map]:
        yield _change("minor", (*_LOCAL, "status_map", code), f"new status mapping '{code}' -> {new_map[code]}")
    yield from _operation_changes(as_dict(old.get("operations")), as_dict(new.get("operations")))
    yield from _table_changes(as_dict(old.get("tables")), as_dict(new.get("tables")))
    handled = {"kind", "status_map", "operations", "tables", "name"}
    for key in sorted((old.keys() | new.keys()) - handled):
        if old.get(key) != new.get(key):
            yield from _leaf_changes("minor", (*_LOCAL, key), key, old.get(key), new.get(key))
    if old.get("name") != new.get("name"):
        yield _change("patch", (*_LOCAL, "name"), f"name changed{_was(old.get('name'), new.get('name'))}")


def _operation_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    for name, before in old.items():
        path = (*_LOCAL, "operations", name)
        after = new.get(name)
        if after is None:
            yield _change("major", path, f"operation '{name}' removed")
            continue
        before, after = as_dict(before), as_dict(after)
        for key in ("method", "path"):
            if before.get(key) != after.get(key):
                yield _change(
                    "major",
                    (*path, key),
                    f"{key} of '{name}' changed: {_show(before.get(key))} -> {_show(after.get(key))}",
                )
        yield from _mapping_changes(as_dict(before.get("body")), as_dict(after.get("body")), (*path, "body"))
        for key in sorted((before.keys() | after.keys()) - {"method", "path", "body"}):
            if before.get(key) != after.get(key):
                yield from _leaf_changes("minor", (*path, key), f"{key} of '{name}'", before.get(key), after.get(key))
    for name in [n for n in new if n not in old]:
        yield _change("minor", (*_LOCAL, "operations", name), f"new operation '{name}'")


def _table_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    for name, before in old.items():
        path = (*_LOCAL, "tables", name)
        before, after = as_dict(before), as_dict(new.get(name))
        if not after:
            yield _change("major", path, f"table mapping '{name}' removed")
            continue
        for key in ("table", "reference_column", "national_id_column", "cursor_column"):
            if before.get(key) != after.get(key):
                yield _change(
                    "major", (*path, key), f"{key} of '{name}' changed{_was(before.get(key), after.get(key))}"
                )
        yield from _mapping_changes(as_dict(before.get("columns")), as_dict(after.get("columns")), (*path, "columns"))
    for name in [n for n in new if n not in old]:
        yield _change("minor", (*_LOCAL, "tables", name), f"new table mapping '{name}'")


def _mapping_changes(old: dict[str, Any], new: dict[str, Any], path: Parts) -> Iterator[Change]:
    for target in old:
        if target not in new:
            yield _change("major", (*path, target), f"the local system no longer receives '{target}'")
        elif old[target] != new[target]:
            yield _change("minor", (*path, target), f"source of '{target}' changed{_was(old[target], new[target])}")
    for target in [t for t in new if t not in old]:
        yield _change(
            "minor", (*path, target), f"the local system now also receives '{target}' <- {_value(new[target])}"
        )


def required_bump_reasons(result: DiffResult, level: str) -> list[str]:
    """The reasons of the changes at ``level`` (what forces that bump)."""
    return [c.reason for c in result.changes if c.level == level]


__all__ = ["Change", "DiffResult", "diff_packages", "required_bump_reasons"]
