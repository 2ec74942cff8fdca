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

A flow's lease is taken when the flow first has something to do, not before it looks (``PendingLease``):
most flows of a national cycle are idle — they read a feed or a queue and find nothing — and taking and
giving back a lease for each of them was most of an idle cycle's ledger writes (issue 12). Looking needs no
lease: every read a flow acts on is either repeated under the lease (a queue's due items, claimed by
compare-and-set) or stored by compare-and-set (a feed's cursor), so what another worker did meanwhile is
never overwritten. The first fenced write takes the lease (``hold``), and a flow takes it explicitly
(``LedgerBase.hold_stream``) before its first call that changes another system (a delivery, a push).
When another worker holds the stream, ``hold`` raises ``StreamHeld``: the flow stops, its reads discarded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.errors import LeaseLost as LeaseLost  # with the other errors; re-exported for the ledger
from connectors.errors import StreamHeld as StreamHeld  # re-exported with the lease machinery
from connectors.ledger.models import StreamLease


@dataclass
class Lease:
    """A worker's hold on one stream, as taken: renewals keep ``generation`` and move ``renewed_at``."""

    stream: str
    owner: str
    generation: int
    seconds: float
    # the ledger's clock, which took the lease: its expiry in the database is written and compared with
    # this clock alone (a lease written with one clock and checked with another would expire at random)
    clock: Clock = SYSTEM_CLOCK
    # when this run must stop taking new work (the clock's monotonic seconds); the rest waits for the next run
    run_deadline: float = float("inf")
    renewed_at: float = field(init=False)

    def __post_init__(self) -> None:
        self.renewed_at = self.clock.monotonic()

    def due_for_renewal(self) -> bool:
        """Whether a third of the lease has passed since it was last renewed."""
        return self.clock.monotonic() - self.renewed_at >= self.seconds / 3

    def budget_spent(self) -> bool:
        """Whether the run has used its time budget (``MPPHUB_RUN_SECONDS``)."""
        return self.clock.monotonic() >= self.run_deadline


current_lease: ContextVar[Lease | None] = ContextVar("mpphub_current_lease", default=None)


@dataclass
class PendingLease:
    """A flow's lease before it is taken: what to take (``take`` returns the lease, or None while another
    worker holds the stream) and the run's time budget, which runs from the flow's start either way."""

    stream: str
    take: Callable[[], Lease | None]
    run_deadline: float = float("inf")
    taken: Lease | None = None
    clock: Clock = SYSTEM_CLOCK  # the ledger's: ``run_deadline`` is on its monotonic seconds

    def budget_spent(self) -> bool:
        """Whether the run has used its time budget (``MPPHUB_RUN_SECONDS``)."""
        return self.clock.monotonic() >= self.run_deadline


current_pending: ContextVar[PendingLease | None] = ContextVar("mpphub_pending_lease", default=None)


def hold() -> Lease | None:
    """The current flow's lease, taken now if it was pending (StreamHeld when another worker holds the
    stream); None outside a flow (a command, a test writing directly)."""
    lease = current_lease.get()
    if lease is not None:
        return lease
    pending = current_pending.get()
    if pending is None:
        return None
    lease = pending.take()
    if lease is None:
        raise StreamHeld(f"{pending.stream}: another worker holds this stream")
    lease.run_deadline = pending.run_deadline
    pending.taken = lease
    current_lease.set(lease)  # for the rest of the flow (``pending_lease`` resets it when the flow ends)
    return lease


def budget_spent() -> bool:
    """Whether the current flow has used its time budget (False outside a flow)."""
    lease: Lease | PendingLease | None = current_lease.get() or current_pending.get()
    return lease is not None and lease.budget_spent()


# Built once with bound parameters: every fenced write runs it, and building an UPDATE per call costs
# SQLAlchemy about 150 µs against 25 µs to execute a prebuilt one (measured 2026-12-08; see
# docs/performance.md, "Sync throughput").
_RENEW = (
    update(StreamLease)
    .where(
        StreamLease.stream == bindparam("p_stream"),
        StreamLease.owner == bindparam("p_owner"),
        StreamLease.generation == bindparam("p_generation"),
    )
    .values(until=bindparam("p_until"), heartbeat_at=bindparam("p_now"), held=True)
)


def fence(conn: Connection, lease: Lease) -> None:
    """Inside the caller's transaction: check that ``lease`` still holds and extend it; raise LeaseLost
    otherwise (the caller's transaction then rolls back, so nothing of the write lands). The new expiry is
    the lease's own clock's (the ledger's that took it), like every comparison of it."""
    now = lease.clock.now()
    renewed = conn.execute(
        _RENEW,
        {
            "p_stream": lease.stream,
            "p_owner": lease.owner,
            "p_generation": lease.generation,
            "p_until": now + timedelta(seconds=lease.seconds),
            "p_now": now,
        },
    )
    if renewed.rowcount != 1:
        raise LeaseLost(f"{lease.stream}: another worker took this stream over (lease generation {lease.generation})")
    lease.renewed_at = lease.clock.monotonic()


@contextmanager
def pending_lease(pending: PendingLease) -> Iterator[PendingLease]:
    """Run a flow under ``pending``: its first fenced write (or ``hold``) takes the lease."""
    pending_token = current_pending.set(pending)
    lease_token = current_lease.set(None)
    try:
        yield pending
    finally:
        current_lease.reset(lease_token)
        current_pending.reset(pending_token)


@contextmanager
def holding(lease: Lease) -> Iterator[Lease]:
    """Make ``lease`` the current lease of this thread (every fenced write checks it) for the block."""
    token = current_lease.set(lease)
    try:
        yield lease
    finally:
        current_lease.reset(token)
