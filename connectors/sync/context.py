"""What every flow works with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.kinds import LocalConnector
from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.sync.backoff import RetryPolicy
from connectors.sync.packages import PackageSource

ConnectorFactory = Callable[[dict[str, Any]], LocalConnector]


@dataclass
class SyncContext:
    """The ledger, the packages, both sides' clients and the retry policy of one worker."""

    ledger: Ledger
    packages: PackageSource
    national: NationalClient
    connector_factory: ConnectorFactory
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    hash_key: bytes = b"mpphub-development-key"
    page_size: int = 100
    max_records_per_run: int = 5000
    _connectors: dict[tuple[str, str], LocalConnector] = field(default_factory=dict)

    def connector(self, package: dict[str, Any]) -> LocalConnector:
        """The local connector of one package version (built once, reused)."""
        key = (package["id"], package["version"])
        if key not in self._connectors:
            self._connectors[key] = self.connector_factory(package)
        return self._connectors[key]
