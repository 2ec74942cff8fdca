"""Building the engine's parts from plain values: ledger, packages, national client, local connectors.

Both front ends use it: the hub (``hub/wiring.py``, from its settings) and the Airflow DAGs (``dags/``,
which must not import the hub)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.kinds import LocalConnector, WiringInputs, kind_of
from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.secrets import SecretResolver
from connectors.sync.context import ConnectorFactory, SyncContext
from connectors.sync.packages import PackageSource
from connectors.url_policy import host_policy


def connector_factory(
    secrets: SecretResolver,
    national: NationalClient,
    base_url_overrides: Mapping[str, str] | None = None,
    allowed_hosts: str = "",
    ledger_url: str | None = None,
) -> ConnectorFactory:
    """A function package -> local connector, honouring base-URL overrides and the host policy (HTTP
    endpoints and database hosts alike); a database kind may never reach ``ledger_url``'s database."""
    inputs = WiringInputs(
        secrets=secrets,
        base_url_overrides=dict(base_url_overrides or {}),
        # never None: without a configured list, the secure default (public hosts; MPPHUB_ALLOW_LOOPBACK)
        url_policy=host_policy(allowed_hosts),
        attachment_fetcher=national.http,
        ledger_url=ledger_url,
    )

    def build(package: dict[str, Any]) -> LocalConnector:
        return kind_of(package).from_package(package, inputs)

    return build


def build_context(
    *,
    ledger_url: str,
    registry: Path,
    national_url: str,
    national_token: str,
    hash_key: str,
    secrets: SecretResolver,
    base_url_overrides: Mapping[str, str] | None = None,
    allowed_hosts: str = "",
    lease_seconds: float = 120.0,
    run_seconds: float = 300.0,
    concurrency: int = 1,
    per_host: int = 2,
    region_reads: bool = True,
    clock: Clock = SYSTEM_CLOCK,
) -> SyncContext:
    """A ready SyncContext (the ledger is opened and migrated); the caller closes ``ctx.ledger``. The
    ledger and the context keep time with ``clock``: the system's, unless a test passes its own."""
    ledger = Ledger.open(ledger_url, clock=clock)
    national = NationalClient(national_url, national_token)
    return SyncContext(
        ledger=ledger,
        packages=PackageSource(registry),
        national=national,
        connector_factory=connector_factory(secrets, national, base_url_overrides, allowed_hosts, ledger_url),
        hash_key=hash_key.encode(),
        lease_seconds=lease_seconds,
        run_seconds=run_seconds,
        concurrency=concurrency,
        per_host=per_host,
        region_reads=region_reads,
    )
