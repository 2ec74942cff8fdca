"""The closed map of connector kinds: the ``kind`` enum of the package schema -> the class that talks to it.

Config never names a class or a module; a new kind is a new entry here and in the schema's enum
(tests/connectors/test_kinds.py keeps the two equal).
"""

from __future__ import annotations

from typing import Any, Protocol

from connectors.records import BadRecord, ChangeRecord, WalkInRecord
from connectors.rest import RestConnector
from connectors.sql import SqlConnector


class LocalConnector(Protocol):
    """What the sync engine needs from any local system."""

    honours_idempotency_keys: bool

    def submit(self, envelope: dict[str, Any], form: dict[str, Any]) -> str:
        """Deliver one application; return its local reference."""
        ...

    def lookup(self, envelope: dict[str, Any]) -> str | None:
        """Find an application by its national id."""
        ...

    def status_changes(self, since: Any) -> Any:
        """Pages of ChangeRecord | BadRecord since a cursor value."""
        ...

    def walk_ins(self, since: Any) -> Any:
        """Pages of WalkInRecord since a cursor value."""
        ...


CONNECTOR_KINDS: dict[str, type[Any]] = {"rest": RestConnector, "sql": SqlConnector}

__all__ = ["CONNECTOR_KINDS", "BadRecord", "ChangeRecord", "LocalConnector", "WalkInRecord"]
