"""What every flow works with."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.kinds import LocalConnector
from connectors.ledger.leases import budget_spent
from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.sync.backoff import RetryPolicy
from connectors.sync.cycle import CycleView
from connectors.sync.feeds import FeedDirectory, FeedReads
from connectors.sync.packages import PackageSource

ConnectorFactory = Callable[[dict[str, Any]], LocalConnector]

log = logging.getLogger(__name__)


@dataclass
class SyncContext:
    """The ledger, the packages, both sides' clients, the retry policy and the clock of one worker."""

    ledger: Ledger
    packages: PackageSource
    national: NationalClient
    connector_factory: ConnectorFactory
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    hash_key: bytes = b"mpphub-development-key"
    page_size: int = 100
    max_records_per_run: int = 5000
    # a flow's lease (MPPHUB_LEASE_SECONDS): renewed by every write and between steps, so it must only
    # outlast the longest single step (one HTTP call: its timeout, 30 s by default)
    lease_seconds: float = 120.0
    # a flow run stops taking new work after this long (MPPHUB_RUN_SECONDS); the rest waits for the next run
    run_seconds: float = 300.0
    # services of one cycle side by side (MPPHUB_SYNC_CONCURRENCY), at most per_host on one local host
    # (MPPHUB_SYNC_PER_HOST): connectors/sync/concurrency.py
    concurrency: int = 1
    per_host: int = 2
    # the national feed of new applications read once per cycle per region, for all its services
    # (MPPHUB_NATIONAL_READS=region, the default), or once per service (=service): connectors/sync/region_reads.py
    region_reads: bool = True
    # who takes the leases (the engine sets it: flows that take a lease of their own, a region feed's)
    worker: str = ""
    # the region feeds of the registry, and which of them this cycle has read (connectors/sync/feeds.py)
    feeds: FeedDirectory = field(default_factory=FeedDirectory)
    feed_reads: FeedReads = field(default_factory=FeedReads)
    # what the current cycle read once for all its services (connectors/sync/cycle.py); None outside one
    cycle: CycleView | None = None
    # where every due-time decision of the flows takes the time from (connectors/clock.py). It is the
    # ledger's own clock, so that what a flow decides (a next attempt, a give-up moment, a re-check) and
    # what the ledger stamps and compares agree: left out, the ledger's is taken; given, it must be the one
    # the ledger was opened with (``Ledger.open(url, clock=...)``, ``build_context(..., clock=...)``)
    clock: Clock = SYSTEM_CLOCK
    _connectors: dict[tuple[str, str], LocalConnector] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.clock is self.ledger.clock:
            return
        if self.clock is not SYSTEM_CLOCK:
            raise ValueError(
                "a SyncContext keeps the time of its ledger: open the ledger with this clock "
                "(Ledger.open(url, clock=...)) rather than giving the context another one"
            )
        self.clock = self.ledger.clock  # the default: whatever clock the ledger keeps

    def connector(self, package: dict[str, Any]) -> LocalConnector:
        """The local connector of one package version (built once, reused)."""
        key = (package["id"], package["version"])
        if key not in self._connectors:
            self._connectors[key] = self.connector_factory(package)
        return self._connectors[key]

    def close(self) -> None:
        """Release what the context holds: every local connector it built (their HTTP sessions and
        database pools), then the ledger. Idempotent. A long-running caller (``mpphub sync --watch``, a
        DAG task, the demo) calls it once at its end: pooled connections left to the garbage collector are
        closed at an arbitrary moment, or not at all before the process exits."""
        connectors, self._connectors = list(self._connectors.values()), {}
        try:
            for connector in connectors:
                try:
                    connector.close()
                except Exception as exc:  # one connector failing to close must not keep the others open
                    log.warning("closing the %s connector failed: %s", connector.kind, type(exc).__name__)
        finally:
            self.ledger.close()

    def cursor(self, service_id: str, flow: str) -> Any:
        """A feed's stored cursor: from the cycle's view the first time a flow asks, else the ledger's."""
        if self.cycle is not None:
            known, value = self.cycle.cursor(service_id, flow)
            if known:
                return value
        return self.ledger.cursor(service_id, flow)

    def published(self, service_id: str) -> tuple[str | None, Any]:
        """What the catalogue flow last put in the national catalogue for a service, and when."""
        if self.cycle is not None:
            known, value = self.cycle.published(service_id)
            if known:
                return value
        return self.ledger.published_version(service_id)

    def may_have(self, service_id: str, queue: str) -> bool:
        """Whether the service's ``deliveries`` or ``events`` queue may hold work (always, outside a cycle)."""
        return self.cycle is None or self.cycle.may_have(service_id, queue)

    def touch(self, service_id: str, queue: str) -> None:
        """This cycle put work in the service's ``deliveries`` or ``events`` queue: ask it, not the view."""
        if self.cycle is not None:
            self.cycle.touch(service_id, queue)


def keep_going(ctx: SyncContext) -> bool:
    """Between a flow's steps: renew the lease when due (LeaseLost if another worker took the stream over)
    and say whether this run may take more work (False once its time budget is spent)."""
    ctx.ledger.heartbeat()
    return not budget_spent()
