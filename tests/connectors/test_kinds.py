"""The connector kinds in code and in the package schema are the same closed list."""

from __future__ import annotations

from connectors.kinds import CONNECTOR_KINDS
from registry.schemas import package_schema


def test_every_schema_kind_has_a_connector_and_no_more() -> None:
    kinds = package_schema()["$defs"]["local_system"]["properties"]["kind"]["enum"]
    assert set(CONNECTOR_KINDS) == set(kinds)
    assert all(cls.kind == name for name, cls in CONNECTOR_KINDS.items())
