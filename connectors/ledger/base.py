"""The ledger's foundation: cursors that advance by compare-and-set, stream leases, dead letters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.ledger.leases import Lease, PendingLease, current_lease, fence, hold, holding, pending_lease
from connectors.ledger.models import DeadLetter, StreamLease, SyncCursor
from connectors.ledger.types import CursorMoved, as_utc


class LedgerBase:
    """The engine, cursors (compare-and-set), stream leases and dead-letter bookkeeping every part uses.

    ``clock`` is the ledger's sense of time (``connectors/clock.py``): every timestamp it writes and every
    due-time or expiry it compares comes from it, so a test clock moves this ledger's time alone."""

    def __init__(self, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> None:
        self.engine = engine
        self.clock = clock

    # --- cursors ----------------------------------------------------------------------------------

    def cursor(self, service_id: str, flow: str) -> str | None:
        """The stored cursor of a feed (None: from the beginning)."""
        with self.engine.connect() as conn:
            value: str | None = conn.scalar(
                select(SyncCursor.value).where(SyncCursor.service_id == service_id, SyncCursor.flow == flow)
            )
            return value

    def published_version(self, service_id: str) -> tuple[str | None, datetime | None]:
        """What the catalogue flow last put in the national catalogue for a service (``version@sha256``)
        and when, or (None, None)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(SyncCursor.value, SyncCursor.updated_at).where(
                    SyncCursor.service_id == service_id, SyncCursor.flow == "catalogue"
                )
            ).first()
        return (row.value, row.updated_at) if row is not None else (None, None)

    def note_published(self, region: str, service_id: str, value: str) -> None:
        """Record that ``value`` (``version@sha256``) is in the national catalogue now (fenced, like every
        write of a flow)."""
        now = self.clock.now()
        with self._write() as conn:
            where = (SyncCursor.service_id == service_id, SyncCursor.flow == "catalogue")
            if not conn.execute(update(SyncCursor).where(*where).values(value=value, updated_at=now)).rowcount:
                conn.execute(
                    insert(SyncCursor).values(
                        service_id=service_id, flow="catalogue", region=region, value=value, updated_at=now
                    )
                )

    def _advance(
        self, conn: Connection, region: str, service_id: str, flow: str, old: str | None, new: str | None
    ) -> None:
        """Compare-and-set the cursor inside the caller's transaction; raise CursorMoved on a lost race.
        Cursor values are stored as text (local cursors may be ids or timestamps)."""
        now = self.clock.now()
        old = None if old is None else str(old)
        new = None if new is None else str(new)
        if old == new:
            # nothing new was read: check the cursor is still ours, but write nothing (an idle poll is free)
            stored = conn.execute(
                select(SyncCursor.value).where(SyncCursor.service_id == service_id, SyncCursor.flow == flow)
            ).first()
            if stored is not None:
                if stored.value != old:
                    raise CursorMoved(f"{service_id} {flow}")
                return
            if old is not None:
                raise CursorMoved(f"{service_id} {flow}")  # a cursor we read is gone: not ours to recreate
        if old is None:
            existing = conn.scalar(
                select(func.count())
                .select_from(SyncCursor)
                .where(SyncCursor.service_id == service_id, SyncCursor.flow == flow)
            )
            if existing:
                row = conn.execute(
                    update(SyncCursor)
                    .where(SyncCursor.service_id == service_id, SyncCursor.flow == flow, SyncCursor.value.is_(None))
                    .values(value=new, updated_at=now)
                )
                if row.rowcount != 1:
                    raise CursorMoved(f"{service_id} {flow}")
                return
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(SyncCursor).values(
                            service_id=service_id, flow=flow, region=region, value=new, updated_at=now
                        )
                    )
            except IntegrityError:
                raise CursorMoved(f"{service_id} {flow}") from None
            return
        row = conn.execute(
            update(SyncCursor)
            .where(SyncCursor.service_id == service_id, SyncCursor.flow == flow, SyncCursor.value == old)
            .values(value=new, updated_at=now)
        )
        if row.rowcount != 1:
            raise CursorMoved(f"{service_id} {flow}")

    # --- stream leases (see connectors/ledger/leases.py for the fencing) ------------------------------

    def acquire_stream(self, stream: str, owner: str, seconds: float, run_seconds: float | None = None) -> Lease | None:
        """Take (or, for the same owner, renew) the lease of a stream; None while another owner holds an
        unexpired one. A take-over bumps the generation, which fences every write of the previous holder."""
        now = self.clock.now()
        until = now + timedelta(seconds=seconds)
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(StreamLease)
                .where(StreamLease.stream == stream, or_(StreamLease.owner == owner, StreamLease.until < now))
                .values(owner=owner, until=until, generation=StreamLease.generation + 1, held=True, heartbeat_at=now)
            )
            if renewed.rowcount != 1:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(StreamLease).values(
                                stream=stream, owner=owner, until=until, generation=1, held=True, heartbeat_at=now
                            )
                        )
                except IntegrityError:
                    return None
            generation = int(conn.scalar(select(StreamLease.generation).where(StreamLease.stream == stream)) or 0)
        deadline = float("inf") if run_seconds is None else self.clock.monotonic() + run_seconds
        return Lease(stream, owner, generation, seconds, clock=self.clock, run_deadline=deadline)

    def release_stream(self, stream: str, owner: str, generation: int | None = None) -> None:
        """Give a lease back early (a clean stop). Only the holder's own generation is released."""
        conditions = [StreamLease.stream == stream, StreamLease.owner == owner]
        if generation is not None:
            conditions.append(StreamLease.generation == generation)
        with self.engine.begin() as conn:
            conn.execute(
                update(StreamLease).where(*conditions).values(until=self.clock.now() - timedelta(seconds=1), held=False)
            )

    def lease_holder(self, stream: str) -> tuple[str, datetime] | None:
        """(owner, until) of an unexpired lease on ``stream``, or None when the stream is free."""
        with self.engine.connect() as conn:
            row = conn.execute(select(StreamLease.owner, StreamLease.until).where(StreamLease.stream == stream)).first()
        if row is None:
            return None
        until = as_utc(row.until)
        return (str(row.owner), until) if until is not None and until >= self.clock.now() else None

    def streams_held_by_others(self, owner: str, ending: str = "") -> dict[str, tuple[str, datetime]]:
        """Streams (those ending with ``ending``, e.g. ``":35.76/akta-kelahiran"``) whose unexpired lease
        another owner holds: stream -> (owner, until). One read for a whole cycle."""
        query = select(StreamLease.stream, StreamLease.owner, StreamLease.until).where(
            StreamLease.held.is_(True), StreamLease.until >= self.clock.now(), StreamLease.owner != owner
        )
        if ending:
            query = query.where(StreamLease.stream.endswith(ending, autoescape=True))
        with self.engine.connect() as conn:
            return {row.stream: (str(row.owner), as_utc(row.until) or self.clock.now()) for row in conn.execute(query)}

    def stale_leases(self) -> list[dict[str, Any]]:
        """Leases still marked held whose time ran out: their worker stopped heartbeating (crashed or hung);
        any worker takes the stream over at its next cycle."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(StreamLease.stream, StreamLease.owner, StreamLease.until, StreamLease.heartbeat_at)
                .where(StreamLease.held.is_(True), StreamLease.until < self.clock.now())
                .order_by(StreamLease.stream)
            )
            return [
                {
                    "stream": row.stream,
                    "owner": row.owner,
                    "until": as_utc(row.until),
                    "heartbeat_at": as_utc(row.heartbeat_at),
                }
                for row in rows
            ]

    @staticmethod
    def fenced(lease: Lease) -> AbstractContextManager[Lease]:
        """Within the block, this thread's flow writes are fenced by ``lease`` (and renew it)."""
        return holding(lease)

    def pending(self, stream: str, owner: str, seconds: float, run_seconds: float | None = None) -> PendingLease:
        """A flow's lease on ``stream``, to be taken at its first write (``hold_stream``, ``_write``)."""
        deadline = float("inf") if run_seconds is None else self.clock.monotonic() + run_seconds
        return PendingLease(
            stream, lambda: self.acquire_stream(stream, owner, seconds, run_seconds), deadline, clock=self.clock
        )

    @staticmethod
    def lazily_fenced(pending: PendingLease) -> AbstractContextManager[PendingLease]:
        """Within the block, this thread's flow takes ``pending`` at its first write; every write is
        fenced by it from then on."""
        return pending_lease(pending)

    @staticmethod
    def hold_stream() -> Lease | None:
        """Take the current flow's lease now, if it is still pending: before a flow's first call that
        changes another system, and before it reads the work it will do under the lease (StreamHeld
        when another worker holds it)."""
        return hold()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction of a flow: fenced by the current lease, which a pending one is taken as
        first (see leases.py); unfenced outside a flow."""
        lease = hold()
        with self.engine.begin() as conn:
            if lease is not None:
                fence(conn, lease)
            yield conn

    def heartbeat(self) -> None:
        """Between a flow's steps: renew the current lease if a third of it has passed; raise LeaseLost
        when another worker took the stream over. A no-op outside a flow."""
        lease = current_lease.get()
        if lease is None or not lease.due_for_renewal():
            return
        with self.engine.begin() as conn:
            fence(conn, lease)

    def _dead_letter(
        self,
        conn: Connection,
        kind: str,
        ref: str,
        service_id: str,
        region: str,
        flow: str,
        reason: str,
        record: dict[str, Any] | None,
    ) -> None:
        existing = conn.execute(select(DeadLetter.id).where(DeadLetter.kind == kind, DeadLetter.ref == ref)).first()
        if existing is not None:  # seen again (a re-read, or failing again after a replay): reopen it
            conn.execute(
                update(DeadLetter)
                .where(DeadLetter.id == existing.id)
                .values(reason=reason, replayed_at=None, record=record)
            )
            return
        conn.execute(
            insert(DeadLetter).values(
                kind=kind,
                ref=ref,
                service_id=service_id,
                region=region,
                flow=flow,
                reason=reason,
                record=record,
                created_at=self.clock.now(),
                replays=0,
            )
        )
