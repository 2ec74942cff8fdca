"""Lease fencing in the ledger (SQLite and PostgreSQL): a worker whose lease moved on writes nothing more,
renewals keep a lease alive, claims are compare-and-set on the row as it is now, and a crashed worker's
lease shows as stale until another worker takes the stream over. Time passes by advancing the ledger's own
clock (``clock`` fixture); two workers with clocks of their own each see expiry as the ledger stamped it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectors.clock import FrozenClock, ShiftedClock
from connectors.errors import StreamHeld
from connectors.ledger.leases import LeaseLost
from connectors.ledger.models import Application
from connectors.ledger.store import Ledger, NewApplication

SERVICE = "35.76/akta-kelahiran"
STREAM = f"outbound:{SERVICE}"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _store(ledger: Ledger, n: int = 2) -> None:
    apps = [
        NewApplication(f"NAT-{i}", SERVICE, "35.76", "1.0.0", T0 + timedelta(minutes=i), {"form": {}}) for i in range(n)
    ]
    ledger.store_new_applications("35.76", SERVICE, apps, None, "c1")


def test_a_write_under_a_lease_that_moved_on_is_refused_and_changes_nothing(
    ledger: Ledger, clock: ShiftedClock
) -> None:
    _store(ledger)
    first = ledger.acquire_stream(STREAM, "w1", 30)
    assert first is not None
    clock.advance(31)  # w1 is held up past its lease; w2 takes the stream over
    second = ledger.acquire_stream(STREAM, "w2", 30)
    assert second is not None and second.generation == first.generation + 1
    with ledger.fenced(first), pytest.raises(LeaseLost, match="another worker took this stream over"):
        ledger.mark_sending("NAT-0")
    with ledger.engine.connect() as conn:
        row = conn.execute(select(Application).where(Application.national_id == "NAT-0")).one()
    assert (row.delivery, row.attempts) == ("pending", 0), "the refused write left nothing behind"
    with ledger.fenced(second):
        claim = ledger.mark_sending("NAT-0")
    assert claim is not None and claim.previous == "pending" and claim.attempts == 1


def test_only_the_claim_holder_records_a_delivery(ledger: Ledger, clock: ShiftedClock) -> None:
    _store(ledger)
    first = ledger.acquire_stream(STREAM, "w1", 30)
    assert first is not None
    with ledger.fenced(first):
        assert ledger.mark_sending("NAT-0") is not None  # w1 sends; its reply is late
    clock.advance(31)
    second = ledger.acquire_stream(STREAM, "w2", 30)
    assert second is not None
    with ledger.fenced(second):
        claim = ledger.mark_sending("NAT-0")
        assert claim is not None and claim.previous == "sending"  # from the row as it is now: look up first
        ledger.mark_delivered("NAT-0", "LOC-1")
    with ledger.fenced(first), pytest.raises(LeaseLost):
        ledger.mark_delivered("NAT-0", "LOC-2")  # the late reply of w1 is never recorded
    assert ledger.due_deliveries(SERVICE, 10)[0]["local_reference"] == "LOC-1"


def test_a_claim_on_an_application_already_delivered_is_declined(ledger: Ledger) -> None:
    _store(ledger)
    ledger.mark_sending("NAT-0")
    ledger.mark_delivered("NAT-0", "LOC-1")
    assert ledger.mark_sending("NAT-0") is None


def test_writes_and_heartbeats_renew_the_lease(ledger: Ledger, clock: ShiftedClock) -> None:
    _store(ledger)
    lease = ledger.acquire_stream(STREAM, "w1", 30)
    assert lease is not None
    clock.advance(20)
    with ledger.fenced(lease):
        ledger.mark_sending("NAT-0")  # a fenced write: the lease now runs until +50
    clock.advance(20)
    assert ledger.acquire_stream(STREAM, "w2", 30) is None, "renewed by the write"
    holder = ledger.lease_holder(STREAM)
    assert holder is not None and holder[0] == "w1"
    assert lease.due_for_renewal(), "twenty seconds since the write: a third of the lease passed"
    with ledger.fenced(lease):
        ledger.heartbeat()
    clock.advance(25)
    assert ledger.acquire_stream(STREAM, "w2", 30) is None, "renewed by the heartbeat"


def test_a_heartbeat_outside_a_flow_does_nothing_and_a_fresh_one_writes_nothing(
    ledger: Ledger, clock: ShiftedClock
) -> None:
    ledger.heartbeat()  # no current lease: a no-op
    lease = ledger.acquire_stream(STREAM, "w1", 30)
    assert lease is not None
    clock.advance(31)
    assert ledger.acquire_stream(STREAM, "w2", 30) is not None
    lease.renewed_at = clock.monotonic()  # as if w1 had renewed a moment ago: it cannot know it lost the stream
    with ledger.fenced(lease):
        ledger.heartbeat()  # not due: no write, so no LeaseLost yet
        clock.advance(11)  # a third of the lease later: due, and the renewal finds the stream taken over
        with pytest.raises(LeaseLost):
            ledger.heartbeat()


def test_a_crashed_workers_lease_is_stale_until_taken_over(ledger: Ledger, clock: ShiftedClock) -> None:
    assert ledger.acquire_stream(STREAM, "w1", 30) is not None
    assert ledger.stale_leases() == []
    clock.advance(31)  # w1 died without releasing
    (stale,) = ledger.stale_leases()
    assert stale["stream"] == STREAM and stale["owner"] == "w1" and stale["heartbeat_at"] is not None
    assert ledger.lease_holder(STREAM) is None
    taken = ledger.acquire_stream(STREAM, "w2", 30)  # another name takes over at once
    assert taken is not None
    assert ledger.stale_leases() == []
    ledger.release_stream(STREAM, "w2", taken.generation)
    clock.advance(1)
    assert ledger.stale_leases() == [], "a released lease is not stale"


def test_release_gives_back_only_the_holders_own_generation(ledger: Ledger) -> None:
    old = ledger.acquire_stream(STREAM, "w1", 30)
    assert old is not None
    renewed = ledger.acquire_stream(STREAM, "w1", 30)  # the same worker again (a later run)
    assert renewed is not None
    ledger.release_stream(STREAM, "w1", old.generation)  # a stale release of the earlier run
    assert ledger.acquire_stream(STREAM, "w2", 30) is None, "the later run still holds the stream"


def test_a_pending_lease_is_taken_at_the_first_write_only(ledger: Ledger) -> None:
    _store(ledger)
    pending = ledger.pending(STREAM, "w1", 30, run_seconds=60)
    with ledger.lazily_fenced(pending):
        assert ledger.due_deliveries(SERVICE, 1), "reads need no lease"
        assert ledger.lease_holder(STREAM) is None and pending.taken is None, "looking took nothing"
        claim = ledger.mark_sending("NAT-0")  # the first write takes the lease, then is fenced by it
        assert claim is not None and pending.taken is not None
        holder = ledger.lease_holder(STREAM)
        assert holder is not None and holder[0] == "w1"
    with ledger.engine.connect() as conn:
        row = conn.execute(
            select(Application.claim_owner, Application.claim_generation).where(Application.national_id == "NAT-0")
        ).one()
    assert (row.claim_owner, row.claim_generation) == ("w1", pending.taken.generation), "the claim is the lease's"


def test_a_pending_lease_another_worker_holds_stops_the_flow_with_nothing_written(ledger: Ledger) -> None:
    _store(ledger)
    pending = ledger.pending(STREAM, "w1", 30)
    with ledger.lazily_fenced(pending):
        assert ledger.due_deliveries(SERVICE, 1)  # w1 finds work...
        assert ledger.acquire_stream(STREAM, "w2", 30) is not None  # ...while w2 takes the stream
        with pytest.raises(StreamHeld, match="another worker holds this stream"):
            ledger.mark_sending("NAT-0")
        with pytest.raises(StreamHeld):
            ledger.hold_stream()
    assert pending.taken is None
    assert ledger.delivery_state("NAT-0") == ("pending", 0), "w1 wrote nothing"
    assert ledger.lease_holder(STREAM) is not None and ledger.lease_holder(STREAM)[0] == "w2"  # type: ignore[index]


def test_outside_a_flow_writes_take_no_lease(ledger: Ledger) -> None:
    _store(ledger)
    assert ledger.mark_sending("NAT-0") is not None
    assert ledger.lease_holder(STREAM) is None


def _same_database(ledger: Ledger) -> str:
    return ledger.engine.url.render_as_string(hide_password=False)


def test_each_workers_clock_decides_expiry_for_it_alone(ledger: Ledger, clock: ShiftedClock) -> None:
    """Two workers on one ledger database, each with its own clock: advancing one moves nobody else's time
    (there is no process-global offset), and each compares the stored expiry with its own clock."""
    other = Ledger.open(_same_database(ledger), clock=ShiftedClock())  # a second worker, real time
    try:
        assert ledger.acquire_stream(STREAM, "w1", 30) is not None
        clock.advance(31)  # w1's ledger: past the lease
        assert ledger.lease_holder(STREAM) is None and [s["owner"] for s in ledger.stale_leases()] == ["w1"]
        assert other.clock.now() < clock.now() - timedelta(seconds=30), "the other worker's time did not move"
        holder = other.lease_holder(STREAM)
        assert holder is not None and holder[0] == "w1", "by the other worker's clock the lease still runs"
        assert other.acquire_stream(STREAM, "w2", 30) is None and other.stale_leases() == []
        assert isinstance(other.clock, ShiftedClock)
        other.clock.advance(31)  # now its time has passed the expiry too
        taken = other.acquire_stream(STREAM, "w2", 30)
        assert taken is not None and taken.clock is other.clock, "a lease keeps the clock of the ledger that took it"
    finally:
        other.close()


def test_a_lease_is_stamped_and_renewed_with_its_ledgers_clock(ledger: Ledger) -> None:
    past = datetime(2020, 1, 6, 8, 0, tzinfo=UTC)
    frozen = FrozenClock(past)
    worker = Ledger.open(_same_database(ledger), clock=frozen)
    try:
        _store(worker)
        lease = worker.acquire_stream(STREAM, "w1", 30)
        assert lease is not None and not lease.due_for_renewal()
        assert worker.lease_holder(STREAM) == ("w1", past + timedelta(seconds=30))
        frozen.advance(12)
        assert lease.due_for_renewal(), "a third of the lease passed on the worker's clock"
        with worker.fenced(lease):
            worker.heartbeat()
        assert worker.lease_holder(STREAM) == ("w1", past + timedelta(seconds=42)), "renewed from the same clock"
        assert not lease.due_for_renewal()
        # by real time (the fixture's ledger) the lease expired years ago; by the worker's clock it runs
        assert ledger.lease_holder(STREAM) is None and worker.lease_holder(STREAM) is not None
    finally:
        worker.close()
