"""The closed map of connector kinds: the ``kind`` enum of the package schema -> the class that talks to it.

Config never names a class or a module; a new kind is one class implementing ``LocalConnector``
(``connectors/local_connector.py``, where the interface and its choice of an ABC are explained), one
entry here, its ``$def`` and enum value in the package schema (tests/connectors/test_kinds.py keeps the
two equal) and its rows in the conformance suite (tests/connectors/conformance/). Callers ask the class
(``kind_of(package)``), never the kind's name.
"""

from __future__ import annotations

from typing import Any

from connectors.local_connector import LocalConnector, WiringInputs
from connectors.records import BadRecord, ChangeRecord, WalkInRecord
from connectors.rest import RestConnector
from connectors.soap import SoapConnector
from connectors.sql import SqlConnector

CONNECTOR_KINDS: dict[str, type[LocalConnector]] = {
    "rest": RestConnector,
    "sql": SqlConnector,
    "soap": SoapConnector,
}


def kind_of(package: dict[str, Any]) -> type[LocalConnector]:
    """The connector class of a package's ``local_system.kind`` (a validated package names a known one)."""
    return CONNECTOR_KINDS[package["local_system"]["kind"]]


__all__ = [
    "CONNECTOR_KINDS",
    "BadRecord",
    "ChangeRecord",
    "LocalConnector",
    "WalkInRecord",
    "WiringInputs",
    "kind_of",
]
