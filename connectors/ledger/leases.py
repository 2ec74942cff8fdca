"""Stream leases with fencing: one worker at a time per (flow, service), and a worker whose lease has moved on
can write nothing more for that stream.

A lease is taken with a *generation* (bumped by every take-over). While a flow runs, the engine puts its lease
in ``current_lease`` (``LedgerBase.fenced``); every ledger write of the flow then starts, in its own
transaction, with ``fence``: an UPDATE of the lease row that succeeds only when owner and generation are still
ours, and that extends the lease (every write is a heartbeat). The UPDATE comes first on purpose: it takes the
lease row's lock (PostgreSQL) or the database's write lock (SQLite), so a take-over and a write of the old
holder are serialised — either the write commits before the take-over, or it finds the generation moved on
and raises ``LeaseLost`` with nothing written.

Long reads write nothing for a while, so flows also call ``heartbeat`` between pages and items; a heartbeat
renews only when a third of the lease has passed (a write per item would cost more than it buys).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Connection

from connectors.errors import LeaseLost as LeaseLost  # with the other errors; re-exported for the ledger
from connectors.ledger.models import StreamLease
from connectors.ledger.types import utcnow


@dataclass
class Lease:
    """A worker's hold on one stream, as taken: renewals keep ``generation`` and move ``renewed_at``."""

    stream: str
    owner: str
    generation: int
    seconds: float
    # when this run must stop taking new work (monotonic clock); the rest waits for the next run
    run_deadline: float = float("inf")
    renewed_at: float = field(default_factory=time.monotonic)

    def due_for_renewal(self) -> bool:
        """Whether a third of the lease has passed since it was last renewed."""
        return time.monotonic() - self.renewed_at >= self.seconds / 3

    def budget_spent(self) -> bool:
        """Whether the run has used its time budget (``MPPHUB_RUN_SECONDS``)."""
        return time.monotonic() >= self.run_deadline


current_lease: ContextVar[Lease | None] = ContextVar("mpphub_current_lease", default=None)


def fence(conn: Connection, lease: Lease) -> None:
    """Inside the caller's transaction: check that ``lease`` still holds and extend it; raise LeaseLost
    otherwise (the caller's transaction then rolls back, so nothing of the write lands)."""
    renewed = conn.execute(
        update(StreamLease)
        .where(
            StreamLease.stream == lease.stream,
            StreamLease.owner == lease.owner,
            StreamLease.generation == lease.generation,
        )
        .values(until=utcnow() + timedelta(seconds=lease.seconds), heartbeat_at=utcnow(), held=True)
    )
    if renewed.rowcount != 1:
        raise LeaseLost(f"{lease.stream}: another worker took this stream over (lease generation {lease.generation})")
    lease.renewed_at = time.monotonic()


@contextmanager
def holding(lease: Lease) -> Iterator[Lease]:
    """Make ``lease`` the current lease of this thread (every fenced write checks it) for the block."""
    token = current_lease.set(lease)
    try:
        yield lease
    finally:
        current_lease.reset(token)
