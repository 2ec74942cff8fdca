"""Building the engine's parts from settings: ledger, packages, national client, local connectors."""

from __future__ import annotations

from typing import Any

from connectors.kinds import CONNECTOR_KINDS, LocalConnector
from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.secrets import EnvSecrets, SecretResolver
from connectors.sync.context import SyncContext
from connectors.sync.packages import PackageSource
from connectors.url_policy import HostPolicy
from hub.settings import STATE_DIR, Settings


def connector_factory(settings: Settings, secrets: SecretResolver, national: NationalClient) -> Any:
    """A function package -> local connector, honouring base-URL overrides and the host policy."""
    policy = HostPolicy.from_setting(settings.allowed_hosts) if settings.allowed_hosts else None

    def build(package: dict[str, Any]) -> LocalConnector:
        local = package["local_system"]
        cls = CONNECTOR_KINDS[local["kind"]]
        if local["kind"] == "rest":
            base = settings.base_url_overrides.get(local["base_url"], local["base_url"])
            connector: LocalConnector = cls(
                package, secrets, base_url=base, url_policy=policy, attachment_fetcher=national.http
            )
            return connector
        connector = cls(package, secrets)
        return connector

    return build


def build_context(settings: Settings, secrets: SecretResolver | None = None) -> SyncContext:
    """A ready SyncContext (the ledger is opened and migrated)."""
    if settings.ledger_url.startswith("sqlite:///") and not settings.ledger_url.startswith("sqlite:////"):
        STATE_DIR.mkdir(parents=True, exist_ok=True)
    ledger = Ledger.open(settings.ledger_url)
    national = NationalClient(settings.national_url, settings.national_token)
    resolver = secrets or EnvSecrets()
    return SyncContext(
        ledger=ledger,
        packages=PackageSource(settings.registry),
        national=national,
        connector_factory=connector_factory(settings, resolver, national),
        hash_key=settings.hash_key.encode(),
    )
