"""Where the contracts live (``schemas/``, the single source of truth) and loading them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
PACKAGE_SCHEMA_FILE = SCHEMA_DIR / "service-package.schema.json"
ENVELOPE_SCHEMA_FILE = SCHEMA_DIR / "application-envelope.schema.json"


@cache
def load_schema(path: Path) -> dict[str, Any]:
    """Load one JSON schema file of ``schemas/`` (cached per process)."""
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def package_schema() -> dict[str, Any]:
    """The service-package JSON Schema."""
    return load_schema(PACKAGE_SCHEMA_FILE)


def national_statuses() -> list[str]:
    """The national status vocabulary, as the package schema defines it."""
    statuses: list[str] = package_schema()["$defs"]["national_status"]["enum"]
    return statuses


def terminal_statuses() -> list[str]:
    """The national statuses an application cannot leave."""
    values: list[str] = package_schema()["$defs"]["national_status"]["x-terminal"]
    return values


def national_transitions() -> dict[str, list[str]]:
    """Legal national status transitions: status -> the statuses it may move to (DESIGN.md)."""
    graph: dict[str, list[str]] = package_schema()["$defs"]["national_status"]["x-transitions"]
    return graph


def categories() -> list[str]:
    """The closed list of service categories, as the package schema defines it."""
    values: list[str] = package_schema()["$defs"]["category"]["enum"]
    return values


def envelope_fields() -> dict[str, Any]:
    """Fields of the application envelope that mappings may read as ``application.<field>``."""
    props: dict[str, Any] = load_schema(ENVELOPE_SCHEMA_FILE)["properties"]
    return props


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Follow a JSON Pointer (RFC 6901) such as ``/$defs/service/properties/fee``; None when absent."""
    node = document
    if not pointer:
        return node
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
        if node is None:
            return None
    return node
