"""Valid citizen form data for a package's form (a JSON Schema): what a counter officer types in for a
walk-in, and what tests submit. Seeded, so a run is reproducible; realistic enough to pass the hub's
validation (patterns, enums, formats, bounds). Never real people: names come from a short fixed list."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sandbox.local import patterns

_GIVEN = ["Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Wahyu", "Sri", "Eko", "Putri", "Hadi", "Lestari"]
_FAMILY = ["Rahayu", "Santoso", "Wibowo", "Purnomo", "Handayani", "Setiawan", "Kusuma", "Nugroho", "Wulandari"]
_STREETS = [
    "Jl. Majapahit",
    "Jl. Gajah Mada",
    "Jl. Pahlawan",
    "Jl. Brawijaya",
    "Jl. Empu Nala",
    "Jl. Benteng Pancasila",
]
_EPOCH = date(2024, 1, 1)


def _text(name: str, schema: dict[str, Any], rng: random.Random) -> str:
    kind = schema.get("x-personal-data")
    if kind == "name":
        text = f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"
    elif kind == "address":
        text = f"{rng.choice(_STREETS)} No. {rng.randint(1, 200)}"
    else:
        text = f"{schema.get('title') or name.replace('_', ' ')} {rng.randint(1, 999)}"
    low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 200))
    return text[:high].ljust(low, "x")


def _string(name: str, schema: dict[str, Any], rng: random.Random) -> str:
    if "pattern" in schema:
        return patterns.sample(schema["pattern"], rng)
    fmt = schema.get("format")
    if fmt == "date":
        return (_EPOCH + timedelta(days=rng.randint(0, 700))).isoformat()
    if fmt == "email":
        return f"warga{rng.randint(1, 99999)}@contoh.go.id"
    return _text(name, schema, rng)


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    step = 1 if integer else 0.01
    low = schema.get("minimum", schema["exclusiveMinimum"] + step if "exclusiveMinimum" in schema else 0)
    high = schema.get("maximum", schema["exclusiveMaximum"] - step if "exclusiveMaximum" in schema else low + 100)
    if integer:
        return rng.randint(int(low), int(high))
    return max(round(rng.uniform(float(low), float(high)), 2), round(float(low) + 0.01, 2))


def _array(name: str, schema: dict[str, Any], rng: random.Random) -> list[Any]:
    items = schema.get("items", {"type": "string"})
    low = int(schema.get("minItems", 1))
    count = rng.randint(low, max(low, min(int(schema.get("maxItems", low + 2)), low + 2)))
    if "enum" in items and schema.get("uniqueItems"):
        return rng.sample(list(items["enum"]), min(count, len(items["enum"])))
    values: list[Any] = []
    while len(values) < count:
        value = sample_value(name, items, rng)
        if not schema.get("uniqueItems") or value not in values:
            values.append(value)
    return values


def sample_value(name: str, schema: dict[str, Any], rng: random.Random) -> Any:
    """One valid value for the field ``name`` with JSON Schema ``schema``."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "string":
        return _string(name, schema, rng)
    if kind in ("integer", "number"):
        return _number(schema, rng, integer=kind == "integer")
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return _array(name, schema, rng)
    if kind == "object":
        return sample_form(schema, rng)
    raise ValueError(f"field {name!r}: cannot make a value of type {kind!r}")


def sample_form(form: dict[str, Any], rng: random.Random, include_optional: bool = True) -> dict[str, Any]:
    """A complete, valid form: every required field, and the optional ones unless told otherwise."""
    required = set(form.get("required", []))
    return {
        name: sample_value(name, schema, rng)
        for name, schema in form.get("properties", {}).items()
        if include_optional or name in required
    }
