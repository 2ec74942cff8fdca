"""Building the engine's parts from the hub's settings (the construction itself is ``connectors.wiring``,
shared with the Airflow DAGs)."""

from __future__ import annotations

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.national import NationalClient
from connectors.secrets import EnvSecrets, SecretResolver
from connectors.sync.context import ConnectorFactory, SyncContext
from connectors.wiring import build_context as _build_context
from connectors.wiring import connector_factory as _connector_factory
from hub.settings import STATE_DIR, Settings


def connector_factory(settings: Settings, secrets: SecretResolver, national: NationalClient) -> ConnectorFactory:
    """A function package -> local connector, honouring base-URL overrides and the host policy."""
    return _connector_factory(
        secrets, national, settings.base_url_overrides, settings.allowed_hosts, settings.ledger_url
    )


def build_context(
    settings: Settings, secrets: SecretResolver | None = None, clock: Clock = SYSTEM_CLOCK
) -> SyncContext:
    """A ready SyncContext (the ledger is opened and migrated), keeping time with ``clock`` (the system's;
    ``mpphub`` run in-process by a test receives the test's through ``hub.cli.main(..., clock=...)``)."""
    if settings.ledger_url.startswith("sqlite:///") and not settings.ledger_url.startswith("sqlite:////"):
        STATE_DIR.mkdir(parents=True, exist_ok=True)
    return _build_context(
        ledger_url=settings.ledger_url,
        registry=settings.registry,
        national_url=settings.national_url,
        national_token=settings.national_token,
        hash_key=settings.hash_key,
        secrets=secrets or EnvSecrets(),
        base_url_overrides=settings.base_url_overrides,
        allowed_hosts=settings.allowed_hosts,
        lease_seconds=settings.lease_seconds,
        run_seconds=settings.run_seconds,
        concurrency=settings.sync_concurrency,
        per_host=settings.sync_per_host,
        region_reads=settings.national_reads == "region",
        clock=clock,
    )
