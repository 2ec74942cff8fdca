"""The ledger's foundation: cursors that advance by compare-and-set, stream leases, dead letters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from connectors.ledger.models import DeadLetter, StreamLease, SyncCursor
from connectors.ledger.types import (
    CursorMoved,
    utcnow,
)


class LedgerBase:
    """The engine, cursors (compare-and-set), stream leases and dead-letter bookkeeping every part uses."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- cursors ----------------------------------------------------------------------------------

    def cursor(self, service_id: str, flow: str) -> str | None:
        """The stored cursor of a feed (None: from the beginning)."""
        with self.engine.connect() as conn:
            value: str | None = conn.scalar(
                select(SyncCursor.value).where(SyncCursor.service_id == service_id, SyncCursor.flow == flow)
            )
            return value

    def _advance(
        self, conn: Connection, region: str, service_id: str, flow: str, old: str | None, new: str | None
    ) -> None:
        """Compare-and-set the cursor inside the caller's transaction; raise CursorMoved on a lost race.
        Cursor values are stored as text (local cursors may be ids or timestamps)."""
        now = utcnow()
        old = None if old is None else str(old)
        new = None if new is None else str(new)
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

    # --- stream leases ----------------------------------------------------------------------------

    def acquire_stream(self, stream: str, owner: str, seconds: float) -> bool:
        """Take or renew the lease of a stream; False while another owner holds an unexpired one."""
        now = utcnow()
        until = now + timedelta(seconds=seconds)
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(StreamLease)
                .where(StreamLease.stream == stream, or_(StreamLease.owner == owner, StreamLease.until < now))
                .values(owner=owner, until=until, generation=StreamLease.generation + 1)
            )
            if renewed.rowcount == 1:
                return True
            try:
                with conn.begin_nested():
                    conn.execute(insert(StreamLease).values(stream=stream, owner=owner, until=until, generation=1))
            except IntegrityError:
                return False
            return True

    def release_stream(self, stream: str, owner: str) -> None:
        """Give a lease back early (a clean stop)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(StreamLease)
                .where(StreamLease.stream == stream, StreamLease.owner == owner)
                .values(until=utcnow() - timedelta(seconds=1))
            )

    @staticmethod
    def _dead_letter(
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
                created_at=utcnow(),
                replays=0,
            )
        )
