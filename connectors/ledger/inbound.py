"""Inbound status events in the ledger: sequencing, quarantine, push outcomes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from connectors.ledger.base import LedgerBase
from connectors.ledger.models import Application, StatusEvent
from connectors.ledger.types import (
    InboundCounts,
    Quarantined,
    StatusChange,
    StatusMapper,
    as_utc,
    change_record,
)

# multi-row updates bind by column value, which the Core tables (not the ORM classes) do
_APPLICATION_TABLE = cast(Table, Application.__table__)
_STATUS_EVENT_TABLE = cast(Table, StatusEvent.__table__)


@dataclass
class _Decision:
    """What storing one read of a feed does (``InboundLedger._decide``)."""

    new_events: list[dict[str, Any]]
    changed_rows: list[dict[str, Any]]
    held: list[Quarantined]
    duplicates: int
    unchanged: int


class InboundLedger(LedgerBase):
    """Local status changes on their way to the national layer, sequenced per application."""

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
        (same event id) and changes that do not move the national status are counted, not stored.

        The read is checked against state fetched in a few set-wise queries (known event ids, the
        applications, their latest event times) and written with one multi-row insert and one
        multi-row update, all after the cursor's compare-and-set in the same transaction: the same
        decisions as statement-per-change, at a fraction of the cost."""
        ordered = sorted(changes, key=lambda c: c.changed_at)  # stable: ties keep the caller's order
        bad = list(quarantined)
        if not bad and str(old_cursor) == str(new_cursor):
            # nothing past the cursor (only the look-back's re-reads, or nothing): decide on a read first and
            # write — take the lease — only when something is to be stored (an idle poll writes nothing)
            with self.engine.connect() as conn:
                dry = self._decide(conn, region, service_id, ordered, transitions, map_status, [])
            if not dry.new_events and not dry.held:
                return InboundCounts(0, dry.duplicates, dry.unchanged, 0)
        with self._write() as conn:
            self._advance(conn, region, service_id, "inbound", old_cursor, new_cursor)
            decided = self._decide(conn, region, service_id, ordered, transitions, map_status, bad)
            self._apply(conn, region, service_id, decided)
        return InboundCounts(len(decided.new_events), decided.duplicates, decided.unchanged, len(decided.held))

    def store_feed_changes(
        self,
        region: str,
        feed_key: str,
        owner: str,
        routed: dict[str, list[StatusChange]],
        quarantined: Iterable[Quarantined],
        old_cursor: Any,
        new_cursor: Any,
        transitions: dict[str, list[str]],
        map_status: Callable[[str, str, str], str | None],
    ) -> InboundCounts:
        """One read of a region feed (``status_changes.feed``): each service's changes stored as
        ``store_status_changes`` stores them — matched only to that service's applications — and the
        feed's one cursor (kept under ``feed_key``) advanced, all in one transaction. ``quarantined``: rows
        no service of the feed claims, kept under ``owner`` (the feed's first service).
        ``map_status(service_id, version, local_status)``."""
        bad = list(quarantined)
        ordered = {sid: sorted(changes, key=lambda c: c.changed_at) for sid, changes in sorted(routed.items())}

        def mapper(sid: str) -> StatusMapper:
            return lambda version, local_status: map_status(sid, version, local_status)

        if not bad and str(old_cursor) == str(new_cursor):
            with self.engine.connect() as conn:
                dry = [self._decide(conn, region, sid, ch, transitions, mapper(sid), []) for sid, ch in ordered.items()]
            if not any(d.new_events or d.held for d in dry):
                return InboundCounts(0, sum(d.duplicates for d in dry), sum(d.unchanged for d in dry), 0)
        stored = duplicates = unchanged = held = 0
        with self._write() as conn:
            self._advance(conn, region, feed_key, "inbound", old_cursor, new_cursor)
            for sid, changes in ordered.items():
                decided = self._decide(conn, region, sid, changes, transitions, mapper(sid), [])
                self._apply(conn, region, sid, decided)
                stored += len(decided.new_events)
                duplicates += decided.duplicates
                unchanged += decided.unchanged
                held += len(decided.held)
            for item in bad:
                self._dead_letter(conn, "record", item.ref, owner, region, "inbound", item.reason, item.record)
        return InboundCounts(stored, duplicates, unchanged, held + len(bad))

    def _apply(self, conn: Connection, region: str, service_id: str, decided: _Decision) -> None:
        """Write what ``_decide`` decided: the new events, their applications' sequence and status, the
        quarantined changes."""
        if decided.new_events:
            conn.execute(insert(StatusEvent), decided.new_events)
            table = _APPLICATION_TABLE
            conn.execute(
                update(table)
                .where(table.c.national_id == bindparam("b_national_id"))
                .values(last_sequence=bindparam("b_sequence"), national_status=bindparam("b_status")),
                decided.changed_rows,
            )
        for item in decided.held:
            self._dead_letter(conn, "record", item.ref, service_id, region, "inbound", item.reason, item.record)

    def _decide(
        self,
        conn: Connection,
        region: str,
        service_id: str,
        ordered: list[StatusChange],
        transitions: dict[str, list[str]],
        map_status: StatusMapper,
        held: list[Quarantined],
    ) -> _Decision:
        """What storing ``ordered`` (in time order) would do, against the ledger as ``conn`` sees it:
        the events to insert, the application rows to update, what to quarantine (after ``held``)."""
        now = self.clock.now()
        duplicates = unchanged = 0
        held = list(held)
        known = self._known_event_ids(conn, [c.event_id for c in ordered])
        apps = _Applications.load(conn, service_id, ordered)
        new_events: list[dict[str, Any]] = []
        for change in ordered:
            if change.event_id in known:
                duplicates += 1
                continue
            app = apps.find(change)
            if app is None:
                reason = (
                    f"status change names an application of another service, not {service_id}"
                    if apps.of_another_service(change)
                    else "status change for an application the hub does not know"
                )
                held.append(Quarantined(change.event_id, reason, change_record(change)))
                continue
            # the status map of the version the application was submitted under (version safety)
            national_status = map_status(app.package_version, change.local_status)
            if national_status is None:
                reason = f"local status {change.local_status!r} is not in the status_map of {service_id} {app.package_version}"
                held.append(Quarantined(change.event_id, reason, change_record(change, app.national_id)))
                continue
            if national_status == app.national_status:
                unchanged += 1
                continue
            legal = national_status in transitions.get(app.national_status, [])
            if not legal and app.latest is not None and change.changed_at <= app.latest:
                # a look-back re-read of a change already overtaken (e.g. a same-status step such as
                # PROSES -> TTE, absorbed then): not an illegal move, just old news
                unchanged += 1
                continue
            if not legal:
                reason = f"illegal transition {app.national_status} -> {national_status} (local {change.local_status})"
                held.append(Quarantined(change.event_id, reason, change_record(change, app.national_id)))
                continue
            app.advance(national_status, change.changed_at)
            known.add(change.event_id)
            new_events.append(
                {
                    "event_id": change.event_id,
                    "national_id": app.national_id,
                    "service_id": service_id,
                    "region": region,
                    "sequence": app.last_sequence,
                    "local_status": change.local_status,
                    "national_status": national_status,
                    "changed_at": change.changed_at,
                    "note": (change.note or None) and change.note[:500],
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "reason": None,
                    "pushed_at": None,
                }
            )
        return _Decision(new_events, apps.changed_rows(), held, duplicates, unchanged)

    @staticmethod
    def _known_event_ids(conn: Connection, event_ids: list[str]) -> set[str]:
        known: set[str] = set()
        for chunk in _chunks(sorted(set(event_ids))):
            known.update(conn.scalars(select(StatusEvent.event_id).where(StatusEvent.event_id.in_(chunk))))
        return known

    def due_events(self, service_id: str, limit: int, now: datetime | None = None) -> list[dict[str, Any]]:
        """Pending events of a service in push order: by application, then sequence."""
        now = now or self.clock.now()
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
        now = self.clock.now()
        outcomes = list(outcomes)
        table = _STATUS_EVENT_TABLE
        with self._write() as conn:
            if outcomes:  # one multi-row update for the whole batch
                conn.execute(
                    update(table)
                    .where(table.c.event_id == bindparam("b_event_id"), table.c.state == "pending")
                    .values(state=bindparam("b_state"), reason=bindparam("b_reason"), pushed_at=bindparam("b_at")),
                    [
                        {
                            "b_event_id": event_id,
                            "b_state": state,
                            "b_reason": reason,
                            "b_at": now if state in ("pushed", "duplicate") else None,
                        }
                        for event_id, state, reason in outcomes
                    ],
                )
            for event_id, state, reason in outcomes:
                if state == "rejected":
                    event = conn.execute(select(StatusEvent).where(StatusEvent.event_id == event_id)).one()
                    self._dead_letter(
                        conn, "event", event_id, event.service_id, event.region, "inbound", reason or "rejected", None
                    )

    def retry_events(
        self,
        event_ids: Sequence[str],
        error: str,
        at: datetime,
        max_attempts: int,
        give_up_before: datetime | None = None,
    ) -> list[str]:
        """Schedule events again; those past ``max_attempts`` (and, when given, created before
        ``give_up_before``) become dead letters (returned)."""
        dead: list[str] = []
        with self._write() as conn:
            for event_id in event_ids:
                conn.execute(
                    update(StatusEvent)
                    .where(StatusEvent.event_id == event_id)
                    .values(attempts=StatusEvent.attempts + 1, next_attempt_at=at, reason=error[:500])
                )
                event = conn.execute(select(StatusEvent).where(StatusEvent.event_id == event_id)).one()
                out_of_time = give_up_before is None or (as_utc(event.created_at) or give_up_before) <= give_up_before
                if event.attempts >= max_attempts and out_of_time:
                    conn.execute(update(StatusEvent).where(StatusEvent.event_id == event_id).values(state="dead"))
                    self._dead_letter(conn, "event", event_id, event.service_id, event.region, "inbound", error, None)
                    dead.append(event_id)
        return dead


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``values`` in slices small enough for any database's bound-parameter limit."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class _AppState:
    """What sequencing needs of one application, kept current while a read is applied."""

    national_id: str
    package_version: str
    national_status: str
    last_sequence: int
    latest: datetime | None  # the newest changed_at among its stored events
    changed: bool = False

    def advance(self, national_status: str, changed_at: datetime) -> None:
        """One more event in sequence."""
        self.national_status = national_status
        self.last_sequence += 1
        self.latest = changed_at if self.latest is None else max(self.latest, changed_at)
        self.changed = True


@dataclass
class _Applications:
    """The applications a read refers to, found by national id first, then by local reference."""

    by_national_id: dict[str, _AppState]
    by_reference: dict[str, _AppState]
    # national ids the changes named that belong to another service's applications
    foreign: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, conn: Connection, service_id: str, changes: Sequence[StatusChange]) -> _Applications:
        """Fetch every application the changes may name, and the newest event time of each."""
        columns = (
            Application.national_id,
            Application.service_id,
            Application.local_reference,
            Application.package_version,
            Application.national_status,
            Application.last_sequence,
        )
        rows: list[Any] = []
        for chunk in _chunks(sorted({c.national_id for c in changes if c.national_id})):
            rows += conn.execute(select(*columns).where(Application.national_id.in_(chunk))).all()
        for chunk in _chunks(sorted({c.local_reference for c in changes})):
            rows += conn.execute(
                select(*columns).where(Application.service_id == service_id, Application.local_reference.in_(chunk))
            ).all()
        states: dict[str, _AppState] = {}
        by_reference: dict[str, _AppState] = {}
        foreign: set[str] = set()
        for row in rows:
            if row.service_id != service_id:
                # a change may name a national id of another service (a region's shared feed, a local
                # system that reuses ids): never match it, whatever the reader routed (issue 18)
                foreign.add(row.national_id)
                continue
            state = states.setdefault(
                row.national_id,
                _AppState(row.national_id, row.package_version, row.national_status, row.last_sequence, None),
            )
            if row.local_reference is not None:
                by_reference[row.local_reference] = state
        for chunk in _chunks(sorted(states)):
            latest = conn.execute(
                select(StatusEvent.national_id, func.max(StatusEvent.changed_at))
                .where(StatusEvent.national_id.in_(chunk))
                .group_by(StatusEvent.national_id)
            )
            for national_id, changed_at in latest:
                states[national_id].latest = as_utc(changed_at)
        return cls(states, by_reference, foreign)

    def find(self, change: StatusChange) -> _AppState | None:
        """The application of a change, of this service only: by its national id when the hub knows it,
        else by local reference; None for a national id of another service's application."""
        if change.national_id and change.national_id in self.by_national_id:
            return self.by_national_id[change.national_id]
        if change.national_id and change.national_id in self.foreign:
            return None
        return self.by_reference.get(change.local_reference)

    def of_another_service(self, change: StatusChange) -> bool:
        """Whether the change names an application that belongs to another service."""
        return bool(change.national_id) and change.national_id in self.foreign

    def changed_rows(self) -> list[dict[str, Any]]:
        """Bind parameters of the multi-row update of the applications that got events."""
        return [
            {"b_national_id": s.national_id, "b_sequence": s.last_sequence, "b_status": s.national_status}
            for s in self.by_national_id.values()
            if s.changed
        ]
