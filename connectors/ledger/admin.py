"""Operations' side of the ledger: dead letters, replay, runs, counts, the national view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from connectors.ledger.base import LedgerBase
from connectors.ledger.models import Application, DeadLetter, StatusEvent, SyncHealth, SyncRun
from connectors.ledger.types import (
    as_utc,
    utcnow,
)


class AdminLedger(LedgerBase):
    """Quarantine, dead letters and replay, sync runs, and the views reconciliation and summaries need."""

    def quarantine(
        self, region: str, service_id: str, flow: str, ref: str, reason: str, record: dict[str, Any] | None
    ) -> None:
        """Keep a record that cannot be applied, with its reason (a dead letter of kind ``record``)."""
        with self._write() as conn:
            self._dead_letter(conn, "record", ref[:200], service_id, region, flow, reason, record)

    def national_view(self, region: str, start: datetime, end: datetime) -> list[tuple[str, str, datetime, str]]:
        """(service_id, national_id, submitted_at, status as last accepted nationally) of a region's
        applications submitted in [start, end): what the national layer should hold, for reconciliation."""
        with self.engine.connect() as conn:
            apps = conn.execute(
                select(Application.service_id, Application.national_id, Application.submitted_at).where(
                    Application.region == region,  # exactly the region, as the national contract counts it
                    Application.submitted_at >= start,
                    Application.submitted_at < end,
                )
            ).all()
            pushed = conn.execute(
                select(StatusEvent.national_id, StatusEvent.sequence, StatusEvent.national_status).where(
                    StatusEvent.region == region,
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
                as_utc(submitted_at) or submitted_at,
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
        """Record how a run ended, and make it the latest run of its (service, flow) in sync_health."""
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(finished_at=now, outcome=outcome, counts=counts, error=error)
            )
            run = conn.execute(
                select(SyncRun.region, SyncRun.service_id, SyncRun.flow).where(SyncRun.id == run_id)
            ).one()
            self._record_health(conn, run.region, run.service_id, run.flow, outcome, error, now, run_id)

    def record_run(
        self,
        region: str,
        service_id: str,
        flow: str,
        worker: str,
        started_at: datetime,
        outcome: str,
        counts: dict[str, Any],
        error: str | None = None,
        idle: bool | None = None,
    ) -> int | None:
        """Record a finished run in one transaction. An idle run (ok, every count zero: nothing read, sent
        or changed) writes no ``sync_run`` row, only its stream's ``sync_health`` row, updated in place
        (its last successful poll): at national scale most flows are idle most cycles, and a run row per
        flow per cycle would be ~115 million rows a day. ``idle`` is the caller's judgement (it knows which
        counts are re-reads); by default a run is idle when every count is zero. Returns the run's id, or
        None for an idle run."""
        now = utcnow()
        idle = outcome == "ok" and (not any(counts.values()) if idle is None else idle)
        with self.engine.begin() as conn:
            run_id: int | None = None
            if not idle:
                run_id = conn.execute(
                    insert(SyncRun)
                    .values(
                        region=region,
                        service_id=service_id,
                        flow=flow,
                        worker=worker,
                        started_at=started_at,
                        finished_at=now,
                        outcome=outcome,
                        counts=counts,
                        error=error,
                    )
                    .returning(SyncRun.id)
                ).scalar_one()
            self._record_health(conn, region, service_id, flow, outcome, error, now, run_id)
            return run_id

    @staticmethod
    def _record_health(
        conn: Connection,
        region: str,
        service_id: str,
        flow: str,
        outcome: str,
        error: str | None,
        now: datetime,
        run_id: int | None,
    ) -> None:
        """Make this run the latest of its (service, flow) in ``sync_health`` (``run_id`` None: an idle run,
        which has no run row; the row keeps pointing at the last recorded one)."""
        latest: dict[str, Any] = {"last_outcome": outcome, "last_error": error, "last_finished_at": now}
        if run_id is not None:
            latest["last_run_id"] = run_id
        if outcome == "ok":
            latest["last_success_at"] = now
        key = (SyncHealth.service_id == service_id, SyncHealth.flow == flow)
        # one worker at a time per (flow, service) stream: an update or a first insert, no race to lose
        updated = conn.execute(update(SyncHealth).where(*key).values(runs=SyncHealth.runs + 1, **latest))
        if updated.rowcount == 0:
            latest.setdefault("last_run_id", 0)  # 0: no run row yet (every run so far was idle)
            conn.execute(insert(SyncHealth).values(service_id=service_id, flow=flow, region=region, runs=1, **latest))

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
