"""The ledger's operations. Every method is one transaction; cursors move only together with what was read.

Concurrency: several workers may share one PostgreSQL ledger. Feeds are read with optimistic cursors
(compare-and-set: the loser of a race stores nothing), and each (flow, service) stream is worked by one
worker at a time under an expiring lease, which keeps per-service order and per-application sequence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.ledger.admin import AdminLedger
from connectors.ledger.audit import AuditLedger
from connectors.ledger.db import make_engine, upgrade
from connectors.ledger.history import HistoryLedger
from connectors.ledger.inbound import InboundLedger
from connectors.ledger.outbound import OutboundLedger
from connectors.ledger.types import (
    CursorMoved,
    InboundCounts,
    NewApplication,
    Quarantined,
    StatusChange,
    StatusMapper,
)


class Ledger(OutboundLedger, InboundLedger, AdminLedger, AuditLedger, HistoryLedger):
    """The hub's durable store: open with ``Ledger.open(url)`` (migrates to the latest schema).

    ``clock`` (default: the system's) is where all of the ledger's time comes from — what it stamps and
    what it compares due times and lease expiry with; tests and drills pass a ``connectors.clock``
    test clock and advance it."""

    def __init__(self, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(engine, clock)

    @classmethod
    def open(cls, url: str, clock: Clock = SYSTEM_CLOCK) -> Ledger:
        """Open (and migrate) the ledger at ``url``, keeping its time with ``clock``."""
        engine = make_engine(url)
        upgrade(engine)
        return cls(engine, clock)

    def end_cycle(self, failures_by_region: Mapping[str, int] | None, now: datetime | None = None) -> tuple[int, int]:
        """What a sync cycle writes at its end, in one transaction: its idle runs not written yet (into their
        streams' health rows, ``flush_idle_runs``) and then, after a cycle that ran to its end
        (``failures_by_region`` not None: its regions and the failed flow runs in each), its regions' rows
        of this hour in ``region_history`` (``record_region_history``), sampled after the idle runs in the
        same transaction. A cycle that failed passes None: its idle runs are written, no history (a failed
        ledger has nothing to sample). Returns (idle runs written, regions written); no transaction at all
        when there is neither."""
        runs = self._take_idle_runs()
        regions = failures_by_region or {}
        if not runs and not regions:
            return 0, 0
        with self.engine.begin() as conn:
            self._write_idle_runs(conn, runs)
            written = self._write_region_history(conn, regions, now or self.clock.now()) if regions else 0
        return len(runs), written

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


__all__ = [
    "CursorMoved",
    "InboundCounts",
    "Ledger",
    "NewApplication",
    "Quarantined",
    "StatusChange",
    "StatusMapper",
]
