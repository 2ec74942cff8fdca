"""The ledger's operations. Every method is one transaction; cursors move only together with what was read.

Concurrency: several workers may share one PostgreSQL ledger. Feeds are read with optimistic cursors
(compare-and-set: the loser of a race stores nothing), and each (flow, service) stream is worked by one
worker at a time under an expiring lease, which keeps per-service order and per-application sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from connectors.ledger.db import make_engine, upgrade
from connectors.ledger.models import Application, DeadLetter, StatusEvent, StreamLease, SyncCursor, SyncRun


class CursorMoved(Exception):
    """Another worker advanced the cursor first: this read is discarded (its items are stored by the winner)."""


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class NewApplication:
    """An application read from the national layer, to deliver."""

    national_id: str
    service_id: str
    region: str
    package_version: str
    submitted_at: datetime
    payload: dict[str, Any]
    subject_hash: str | None = None
    status: str = "submitted"


@dataclass(frozen=True)
class StatusChange:
    """A local status change, to be mapped with the status map of its application's package version."""

    event_id: str
    local_reference: str
    local_status: str
    changed_at: datetime
    note: str | None = None
    national_id: str | None = None


StatusMapper = Callable[[str, str], "str | None"]  # (package_version, local status) -> national status


@dataclass(frozen=True)
class Quarantined:
    """A record that cannot be applied (unmapped code, unknown application...): kept with its reason."""

    ref: str
    reason: str
    record: dict[str, Any]


@dataclass(frozen=True)
class InboundCounts:
    """What storing one page of status changes did."""

    stored: int = 0
    duplicates: int = 0
    unchanged: int = 0
    quarantined: int = 0


class Ledger:
    """The hub's durable store: open with ``Ledger.open(url)`` (migrates to the latest schema)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Ledger:
        """Open (and migrate) the ledger at ``url``."""
        engine = make_engine(url)
        upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

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

    # --- outbound: national applications -> local system -------------------------------------------

    def store_new_applications(
        self,
        region: str,
        service_id: str,
        items: Sequence[NewApplication],
        old_cursor: str | None,
        new_cursor: str | None,
    ) -> int:
        """Store applications read from the national feed and advance its cursor, atomically.

        Returns how many were new (the rest were already known: re-reads are harmless)."""
        now = utcnow()
        with self.engine.begin() as conn:
            self._advance(conn, region, service_id, "outbound", old_cursor, new_cursor)
            if not items:
                return 0
            ids = [item.national_id for item in items]
            known = set(conn.scalars(select(Application.national_id).where(Application.national_id.in_(ids))))
            rows = [
                {
                    "national_id": item.national_id,
                    "service_id": item.service_id,
                    "region": item.region,
                    "package_version": item.package_version,
                    "origin": "national",
                    "submitted_at": item.submitted_at,
                    "national_status": item.status,
                    "delivery": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "payload": item.payload,
                    "subject_hash": item.subject_hash,
                    "last_sequence": 0,
                    "created_at": now,
                }
                for item in {i.national_id: i for i in items if i.national_id not in known}.values()
            ]
            if rows:
                conn.execute(insert(Application), rows)
            return len(rows)

    def due_deliveries(self, service_id: str, limit: int, now: datetime | None = None) -> list[dict[str, Any]]:
        """Applications of a service still to deliver or acknowledge, in submission order."""
        now = now or utcnow()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Application)
                .where(
                    Application.service_id == service_id,
                    Application.delivery.in_(("pending", "sending", "delivered")),
                    Application.next_attempt_at <= now,
                )
                .order_by(Application.submitted_at, Application.national_id)
                .limit(limit)
            )
            return [dict(row._mapping) for row in rows]

    def delivery_state(self, national_id: str) -> tuple[str, int]:
        """(delivery state, attempts) of one application."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Application.delivery, Application.attempts).where(Application.national_id == national_id)
            ).one()
            return str(row.delivery), int(row.attempts)

    def mark_sending(self, national_id: str) -> int:
        """Record, BEFORE the write leaves, that a delivery attempt starts: after a crash the outcome
        is known to be unknown, and the next attempt reuses the key or looks the application up."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Application)
                .where(Application.national_id == national_id, Application.delivery.in_(("pending", "sending")))
                .values(delivery="sending", attempts=Application.attempts + 1)
            )
            attempts: int = conn.scalar(select(Application.attempts).where(Application.national_id == national_id)) or 0
            return attempts

    def mark_delivered(self, national_id: str, local_reference: str) -> None:
        """The local system has it, under ``local_reference``: forget the payload (data minimisation)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Application)
                .where(Application.national_id == national_id, Application.delivery.in_(("pending", "sending")))
                .values(
                    delivery="delivered",
                    local_reference=local_reference,
                    payload=None,
                    delivered_at=utcnow(),
                    last_error=None,
                )
            )

    def mark_acknowledged(self, national_id: str) -> None:
        """The national layer knows the local reference: delivery is complete."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Application)
                .where(Application.national_id == national_id, Application.delivery == "delivered")
                .values(delivery="acknowledged", acknowledged_at=utcnow(), last_error=None)
            )

    def schedule_retry(self, national_id: str, error: str, at: datetime, outcome_unknown: bool) -> None:
        """Try again at ``at``. A write that may have arrived stays 'sending' (look up / reuse the key first)."""
        with self.engine.begin() as conn:
            values: dict[str, Any] = {"next_attempt_at": at, "last_error": error[:500]}
            current = conn.scalar(select(Application.delivery).where(Application.national_id == national_id))
            if current == "sending" and not outcome_unknown:
                values["delivery"] = "pending"
            conn.execute(update(Application).where(Application.national_id == national_id).values(**values))

    def dead_letter_application(self, national_id: str, reason: str) -> None:
        """Stop trying to deliver; keep the payload so that a replay after a fix can deliver it."""
        with self.engine.begin() as conn:
            app = conn.execute(select(Application).where(Application.national_id == national_id)).one()
            conn.execute(
                update(Application)
                .where(Application.national_id == national_id)
                .values(delivery="dead", last_error=reason[:500])
            )
            self._dead_letter(conn, "application", national_id, app.service_id, app.region, "outbound", reason, None)

    # --- walk-ins: counter applications -> national layer ---------------------------------------------

    def store_walk_ins(
        self,
        region: str,
        service_id: str,
        registered: Sequence[tuple[dict[str, Any], str]],
        old_cursor: Any,
        new_cursor: Any,
    ) -> int:
        """Record walk-ins the national layer registered (envelope, local reference) and advance the cursor."""
        now = utcnow()
        stored = 0
        with self.engine.begin() as conn:
            self._advance(conn, region, service_id, "walk_in", old_cursor, new_cursor)
            for envelope, reference in registered:
                if conn.scalar(
                    select(func.count()).select_from(Application).where(Application.national_id == envelope["id"])
                ):
                    continue
                conn.execute(
                    insert(Application).values(
                        national_id=envelope["id"],
                        service_id=service_id,
                        region=region,
                        package_version=envelope["package_version"],
                        origin="walk_in",
                        submitted_at=datetime.fromisoformat(envelope["submitted_at"].replace("Z", "+00:00")),
                        local_reference=reference,
                        national_status=envelope.get("status", "submitted"),
                        delivery="acknowledged",
                        attempts=0,
                        next_attempt_at=now,
                        last_sequence=0,
                        created_at=now,
                        acknowledged_at=now,
                    )
                )
                stored += 1
        return stored

    # --- inbound: local status changes -> national layer -------------------------------------------

    def store_status_changes(
        self,
        region: str,
        service_id: str,
        changes: Iterable[StatusChange],
        quarantined: Iterable[Quarantined],
        old_cursor: Any,
        new_cursor: Any,
        transitions: dict[str, list[str]],
        map_status: StatusMapper,
    ) -> InboundCounts:
        """Sequence and store mapped changes, quarantine the rest, advance the cursor — one transaction.

        A change is applied to the application's national status only if the transition is legal; an
        illegal one or one for an unknown application is quarantined with its reason. Re-read changes
        (same event id) and changes that do not move the national status are counted, not stored."""
        now = utcnow()
        stored = duplicates = unchanged = 0
        held = list(quarantined)
        with self.engine.begin() as conn:
            self._advance(conn, region, service_id, "inbound", old_cursor, new_cursor)
            for change in sorted(changes, key=lambda c: c.changed_at):  # stable: ties keep the caller's order
                if conn.scalar(
                    select(func.count()).select_from(StatusEvent).where(StatusEvent.event_id == change.event_id)
                ):
                    duplicates += 1
                    continue
                app = self._find_application(conn, service_id, change)
                if app is None:
                    held.append(
                        Quarantined(
                            change.event_id, "status change for an application the hub does not know", _record(change)
                        )
                    )
                    continue
                # the status map of the version the application was submitted under (version safety)
                national_status = map_status(app.package_version, change.local_status)
                if national_status is None:
                    reason = f"local status {change.local_status!r} is not in the status_map of {service_id} {app.package_version}"
                    held.append(Quarantined(change.event_id, reason, _record(change, app.national_id)))
                    continue
                if national_status == app.national_status:
                    unchanged += 1
                    continue
                if national_status not in transitions.get(app.national_status, []) and self._is_stale(
                    conn, app.national_id, change
                ):
                    # a look-back re-read of a change already overtaken (e.g. a same-status step such as
                    # PROSES -> TTE, absorbed then): not an illegal move, just old news
                    unchanged += 1
                    continue
                if national_status not in transitions.get(app.national_status, []):
                    reason = (
                        f"illegal transition {app.national_status} -> {national_status} (local {change.local_status})"
                    )
                    held.append(Quarantined(change.event_id, reason, _record(change, app.national_id)))
                    continue
                sequence = app.last_sequence + 1
                conn.execute(
                    update(Application)
                    .where(Application.national_id == app.national_id)
                    .values(last_sequence=sequence, national_status=national_status)
                )
                conn.execute(
                    insert(StatusEvent).values(
                        event_id=change.event_id,
                        national_id=app.national_id,
                        service_id=service_id,
                        region=region,
                        sequence=sequence,
                        local_status=change.local_status,
                        national_status=national_status,
                        changed_at=change.changed_at,
                        note=(change.note or None) and change.note[:500],
                        state="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                stored += 1
            for item in held:
                self._dead_letter(conn, "record", item.ref, service_id, region, "inbound", item.reason, item.record)
        return InboundCounts(stored, duplicates, unchanged, len(held))

    @staticmethod
    def _is_stale(conn: Connection, national_id: str, change: StatusChange) -> bool:
        latest = _aware(
            conn.scalar(select(func.max(StatusEvent.changed_at)).where(StatusEvent.national_id == national_id))
        )
        return latest is not None and change.changed_at <= latest

    @staticmethod
    def _find_application(conn: Connection, service_id: str, change: StatusChange) -> Any:
        if change.national_id:
            found = conn.execute(select(Application).where(Application.national_id == change.national_id)).first()
            if found is not None:
                return found
        return conn.execute(
            select(Application).where(
                Application.service_id == service_id, Application.local_reference == change.local_reference
            )
        ).first()

    def due_events(self, service_id: str, limit: int, now: datetime | None = None) -> list[dict[str, Any]]:
        """Pending events of a service in push order: by application, then sequence."""
        now = now or utcnow()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(StatusEvent)
                .where(
                    StatusEvent.service_id == service_id,
                    StatusEvent.state == "pending",
                    StatusEvent.next_attempt_at <= now,
                )
                .order_by(StatusEvent.created_at, StatusEvent.national_id, StatusEvent.sequence)
                .limit(limit)
            )
            return [dict(row._mapping) for row in rows]

    def mark_events(self, outcomes: Iterable[tuple[str, str, str | None]]) -> None:
        """Record the national layer's answer per event: pushed, duplicate (already there) or rejected."""
        now = utcnow()
        with self.engine.begin() as conn:
            for event_id, state, reason in outcomes:
                conn.execute(
                    update(StatusEvent)
                    .where(StatusEvent.event_id == event_id, StatusEvent.state == "pending")
                    .values(state=state, reason=reason, pushed_at=now if state in ("pushed", "duplicate") else None)
                )
                if state == "rejected":
                    event = conn.execute(select(StatusEvent).where(StatusEvent.event_id == event_id)).one()
                    self._dead_letter(
                        conn, "event", event_id, event.service_id, event.region, "inbound", reason or "rejected", None
                    )

    def retry_events(self, event_ids: Sequence[str], error: str, at: datetime, max_attempts: int) -> list[str]:
        """Schedule events again; those past ``max_attempts`` become dead letters (returned)."""
        dead: list[str] = []
        with self.engine.begin() as conn:
            for event_id in event_ids:
                conn.execute(
                    update(StatusEvent)
                    .where(StatusEvent.event_id == event_id)
                    .values(attempts=StatusEvent.attempts + 1, next_attempt_at=at, reason=error[:500])
                )
                event = conn.execute(select(StatusEvent).where(StatusEvent.event_id == event_id)).one()
                if event.attempts >= max_attempts:
                    conn.execute(update(StatusEvent).where(StatusEvent.event_id == event_id).values(state="dead"))
                    self._dead_letter(conn, "event", event_id, event.service_id, event.region, "inbound", error, None)
                    dead.append(event_id)
        return dead

    # --- dead letters and runs ---------------------------------------------------------------------

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

    def known_references(self, service_id: str, references: Sequence[str]) -> set[str]:
        """Which of these local references the ledger already links to an application."""
        if not references:
            return set()
        with self.engine.connect() as conn:
            found = conn.scalars(
                select(Application.local_reference).where(
                    Application.service_id == service_id, Application.local_reference.in_(list(references))
                )
            )
            return {str(ref) for ref in found}

    def quarantine(
        self, region: str, service_id: str, flow: str, ref: str, reason: str, record: dict[str, Any] | None
    ) -> None:
        """Keep a record that cannot be applied, with its reason (a dead letter of kind ``record``)."""
        with self.engine.begin() as conn:
            self._dead_letter(conn, "record", ref[:200], service_id, region, flow, reason, record)

    def national_view(self, region: str, start: datetime, end: datetime) -> list[tuple[str, str, datetime, str]]:
        """(service_id, national_id, submitted_at, status as last accepted nationally) of a region's
        applications submitted in [start, end): what the national layer should hold, for reconciliation."""
        with self.engine.connect() as conn:
            apps = conn.execute(
                select(Application.service_id, Application.national_id, Application.submitted_at).where(
                    or_(Application.region == region, Application.region.startswith(region + ".")),
                    Application.submitted_at >= start,
                    Application.submitted_at < end,
                )
            ).all()
            pushed = conn.execute(
                select(StatusEvent.national_id, StatusEvent.sequence, StatusEvent.national_status).where(
                    or_(StatusEvent.region == region, StatusEvent.region.startswith(region + ".")),
                    StatusEvent.state.in_(("pushed", "duplicate")),
                )
            ).all()
        latest: dict[str, tuple[int, str]] = {}
        for national_id, sequence, status in pushed:
            if national_id not in latest or sequence > latest[national_id][0]:
                latest[national_id] = (sequence, status)
        return [
            (
                service_id,
                national_id,
                _aware(submitted_at) or submitted_at,
                latest.get(national_id, (0, "submitted"))[1],
            )
            for service_id, national_id, submitted_at in apps
        ]

    def dead_letters(
        self, region: str | None = None, service_id: str | None = None, open_only: bool = True
    ) -> list[dict[str, Any]]:
        """Dead letters, newest first."""
        query = select(DeadLetter).order_by(DeadLetter.created_at.desc(), DeadLetter.id.desc())
        if region:
            query = query.where(or_(DeadLetter.region == region, DeadLetter.region.startswith(region + ".")))
        if service_id:
            query = query.where(DeadLetter.service_id == service_id)
        if open_only:
            query = query.where(DeadLetter.replayed_at.is_(None))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def replay(self, dead_letter_id: int) -> dict[str, Any]:
        """Put a dead letter's item back in line (after a fix); returns the dead letter."""
        now = utcnow()
        with self.engine.begin() as conn:
            letter = conn.execute(select(DeadLetter).where(DeadLetter.id == dead_letter_id)).one()
            if letter.kind == "application":
                conn.execute(
                    update(Application)
                    .where(Application.national_id == letter.ref, Application.delivery == "dead")
                    .values(delivery="sending", attempts=0, next_attempt_at=now)  # outcome of the last try is unknown
                )
            elif letter.kind == "event":
                conn.execute(
                    update(StatusEvent)
                    .where(StatusEvent.event_id == letter.ref, StatusEvent.state.in_(("dead", "rejected")))
                    .values(state="pending", attempts=0, next_attempt_at=now)
                )
            conn.execute(
                update(DeadLetter)
                .where(DeadLetter.id == dead_letter_id)
                .values(replayed_at=now, replays=DeadLetter.replays + 1)
            )
            return dict(letter._mapping)

    def start_run(self, region: str, service_id: str, flow: str, worker: str) -> int:
        """Record that a run starts; returns its id."""
        with self.engine.begin() as conn:
            run_id: int = conn.execute(
                insert(SyncRun)
                .values(region=region, service_id=service_id, flow=flow, worker=worker, started_at=utcnow())
                .returning(SyncRun.id)
            ).scalar_one()
            return run_id

    def finish_run(self, run_id: int, outcome: str, counts: dict[str, Any], error: str | None = None) -> None:
        """Record how a run ended."""
        with self.engine.begin() as conn:
            conn.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(finished_at=utcnow(), outcome=outcome, counts=counts, error=error)
            )

    def counts(self, service_id: str | None = None) -> dict[str, int]:
        """Deliveries by state and events by state (for summaries and tests)."""
        result: dict[str, int] = {}
        with self.engine.connect() as conn:
            for column, model, prefix in (
                (Application.delivery, Application, "applications"),
                (StatusEvent.state, StatusEvent, "events"),
            ):
                query = select(column, func.count()).group_by(column)
                if service_id:
                    query = query.where(and_(model.service_id == service_id))
                for state, n in conn.execute(query):
                    result[f"{prefix}.{state}"] = n
        return result


def _record(change: StatusChange, national_id: str | None = None) -> dict[str, Any]:
    """What a quarantined change keeps for replay: codes, references and times — no personal data."""
    return {
        "event_id": change.event_id,
        "local_reference": change.local_reference,
        "national_id": national_id or change.national_id,
        "local_status": change.local_status,
        "changed_at": change.changed_at.isoformat(),
    }


__all__ = ["CursorMoved", "InboundCounts", "Ledger", "NewApplication", "Quarantined", "StatusChange", "utcnow"]
