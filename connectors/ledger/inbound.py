"""Inbound status events in the ledger: sequencing, quarantine, push outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
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
    utcnow,
)


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
                            change.event_id,
                            "status change for an application the hub does not know",
                            change_record(change),
                        )
                    )
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
                    held.append(Quarantined(change.event_id, reason, change_record(change, app.national_id)))
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
        latest = as_utc(
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
