"""Operations' side of the ledger: dead letters, replay, runs, counts, the national view."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.ledger.base import LedgerBase
from connectors.ledger.models import Application, DeadLetter, StatusEvent, SyncHealth, SyncRun
from connectors.ledger.types import as_utc

# idle runs noted before they are written (bounded memory; a cycle writes them in this many at most)
IDLE_RUNS_PER_WRITE = 1000


@dataclass(frozen=True)
class _IdleRun:
    region: str
    service_id: str
    flow: str
    started_at: datetime
    finished_at: datetime


class AdminLedger(LedgerBase):
    """Quarantine, dead letters and replay, sync runs, and the views reconciliation and summaries need."""

    def __init__(self, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(engine, clock)
        # idle runs of this process's cycles, written together (``flush_idle_runs``); several sync threads
        # note them at once
        self._idle_runs: list[_IdleRun] = []
        self._idle_lock = threading.Lock()

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

    def dead_letter_page(
        self,
        *,
        scope: str | None = None,
        region: str | None = None,
        service_id: str | None = None,
        reason: str | None = None,
        kind: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
        """One page of open dead letters, newest first, filtered in SQL (a national ledger can hold many):
        (rows, how many match, open count per region among the matches without the region filter).

        ``scope``: the one region the caller may read (a region team's token), applied to the counts too;
        ``region``: a filter, a province including its regencies; ``reason``: text the reason
        contains (case-insensitive, taken literally: ``%`` and ``_`` are no wildcards). Each row carries the
        item's ``local_reference`` (the local system's number: an application's own, an event's
        application's, a quarantined record's), its ``national_id`` when known and the ``attempts`` of its
        delivery or push — joined here, so a page costs three queries whatever its size."""
        conditions: list[Any] = [DeadLetter.replayed_at.is_(None)]
        if scope:
            conditions.append(DeadLetter.region == scope)
        if service_id:
            conditions.append(DeadLetter.service_id == service_id)
        if kind:
            conditions.append(DeadLetter.kind == kind)
        if reason:
            conditions.append(func.lower(DeadLetter.reason).contains(reason.lower(), autoescape=True))
        in_region: list[Any] = []
        if region:
            in_region.append(or_(DeadLetter.region == region, DeadLetter.region.startswith(region + ".")))
        event_app = Application.__table__.alias("event_application")
        query = (
            select(
                *cast(Table, DeadLetter.__table__).c,
                Application.local_reference.label("app_local_reference"),
                Application.attempts.label("app_attempts"),
                StatusEvent.national_id.label("event_national_id"),
                StatusEvent.attempts.label("event_attempts"),
                event_app.c.local_reference.label("event_local_reference"),
            )
            .outerjoin(Application, and_(DeadLetter.kind == "application", Application.national_id == DeadLetter.ref))
            .outerjoin(StatusEvent, and_(DeadLetter.kind == "event", StatusEvent.event_id == DeadLetter.ref))
            .outerjoin(event_app, event_app.c.national_id == StatusEvent.national_id)
            .where(*conditions, *in_region)
            .order_by(DeadLetter.created_at.desc(), DeadLetter.id.desc())
            .offset(offset)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            total = int(conn.scalar(select(func.count()).select_from(DeadLetter).where(*conditions, *in_region)) or 0)
            by_region = {
                str(code): int(n)
                for code, n in conn.execute(
                    select(DeadLetter.region, func.count()).where(*conditions).group_by(DeadLetter.region)
                )
            }
            rows = []
            for row in conn.execute(query):
                letter = dict(row._mapping)
                kept = letter.get("record")
                record: dict[str, Any] = kept if isinstance(kept, dict) else {}
                if letter["kind"] == "application":
                    local, national, attempts = letter["app_local_reference"], letter["ref"], letter["app_attempts"]
                elif letter["kind"] == "event":
                    local, national = letter["event_local_reference"], letter["event_national_id"]
                    attempts = letter["event_attempts"]
                else:  # a quarantined local record keeps the local system's reference it came with
                    local = record.get("local_reference") or record.get("ref")
                    national, attempts = record.get("national_id"), 0
                rows.append(
                    {
                        **{k: letter[k] for k in ("id", "kind", "ref", "service_id", "region", "flow", "reason")},
                        "created_at": letter["created_at"],
                        "replays": int(letter["replays"] or 0),
                        "local_reference": None if local is None else str(local),
                        "national_id": None if national is None else str(national),
                        "attempts": int(attempts or 0),
                    }
                )
        return rows, total, by_region

    def replay(self, dead_letter_id: int) -> dict[str, Any]:
        """Put a dead letter's item back in line (after a fix); returns the dead letter.

        Back at its place, not at the end: the queues are ordered by submission (applications) and by
        per-application sequence (events), never by when an item was (re)queued, so nothing here moves
        ``submitted_at``, ``created_at`` or ``sequence``. An application whose budget ran out held its
        queue meanwhile (``holds_queue``): the ones submitted after it are still behind it, and it goes
        first. Due at once (``next_attempt_at`` now), whatever the items behind it wait for."""
        now = self.clock.now()
        with self.engine.begin() as conn:
            letter = conn.execute(select(DeadLetter).where(DeadLetter.id == dead_letter_id)).one()
            if letter.kind == "application":
                conn.execute(
                    update(Application)
                    .where(Application.national_id == letter.ref, Application.delivery == "dead")
                    # 'sending': the outcome of the last try is unknown (look up / reuse the key first)
                    .values(delivery="sending", attempts=0, next_attempt_at=now, holds_queue=False)
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
                .values(region=region, service_id=service_id, flow=flow, worker=worker, started_at=self.clock.now())
                .returning(SyncRun.id)
            ).scalar_one()
            return run_id

    def finish_run(self, run_id: int, outcome: str, counts: dict[str, Any], error: str | None = None) -> None:
        """Record how a run ended, and make it the latest run of its (service, flow) in sync_health."""
        now = self.clock.now()
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
        or changed) writes no ``sync_run`` row: it is noted, and ``flush_idle_runs`` updates its stream's
        ``sync_health`` row in place (its last successful poll) together with the cycle's other idle runs.
        At national scale most flows are idle most cycles: a run row per flow per cycle would be ~115
        million rows a day, and a transaction per idle flow most of an idle cycle's cost. ``idle`` is the caller's judgement (it knows which
        counts are re-reads); by default a run is idle when every count is zero. Returns the run's id, or
        None for an idle run."""
        now = self.clock.now()
        idle = outcome == "ok" and (not any(counts.values()) if idle is None else idle)
        if idle:
            self._note_idle(_IdleRun(region, service_id, flow, started_at, now))
            return None
        with self.engine.begin() as conn:
            run_id: int = conn.execute(
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

    def _note_idle(self, run: _IdleRun) -> None:
        with self._idle_lock:
            self._idle_runs.append(run)
            full = len(self._idle_runs) >= IDLE_RUNS_PER_WRITE
        if full:
            self.flush_idle_runs()

    def flush_idle_runs(self) -> int:
        """Write the idle runs noted so far into their streams' ``sync_health`` rows (their last
        successful poll), all in one transaction; returns how many. The sync engine calls it at the end of
        every cycle (and every ``IDLE_RUNS_PER_WRITE`` idle runs): one transaction a cycle instead of one
        per idle flow (at a cycle's end, ``Ledger.end_cycle`` writes them with the cycle's history). A row
        another run finished after the idle run began is left as that run made it: a failure recorded
        meanwhile is never hidden by an older "nothing to do"."""
        runs = self._take_idle_runs()
        if not runs:
            return 0
        with self.engine.begin() as conn:
            self._write_idle_runs(conn, runs)
        return len(runs)

    def _take_idle_runs(self) -> list[_IdleRun]:
        """The idle runs noted so far, no longer noted: each is written once, by whoever took it."""
        with self._idle_lock:
            runs, self._idle_runs = self._idle_runs, []
        return runs

    def _write_idle_runs(self, conn: Connection, runs: list[_IdleRun]) -> None:
        """Write ``runs`` into their streams' ``sync_health`` rows inside the caller's transaction."""
        if not runs:
            return
        table = cast(Table, SyncHealth.__table__)
        rows = [
            {"b_service": r.service_id, "b_flow": r.flow, "b_started": r.started_at, "b_finished": r.finished_at}
            for r in runs
        ]
        conn.execute(
            update(table)
            .where(
                table.c.service_id == bindparam("b_service"),
                table.c.flow == bindparam("b_flow"),
                table.c.last_finished_at < bindparam("b_started"),
            )
            .values(
                runs=table.c.runs + 1,
                last_outcome="ok",
                last_error=None,
                last_finished_at=bindparam("b_finished"),
                last_success_at=bindparam("b_finished"),
            ),
            rows,
        )
        # a stream's very first run (every run so far idle) has no row yet: insert those that are missing
        keys = {(r.service_id, r.flow) for r in runs}
        services = sorted({service for service, _ in keys})
        present: set[tuple[str, str]] = set()
        for start in range(0, len(services), 500):
            present.update(
                (str(row.service_id), str(row.flow))
                for row in conn.execute(
                    select(SyncHealth.service_id, SyncHealth.flow).where(
                        SyncHealth.service_id.in_(services[start : start + 500])
                    )
                )
            )
        missing: dict[tuple[str, str], _IdleRun] = {}
        times: Counter[tuple[str, str]] = Counter()
        for r in runs:
            if (r.service_id, r.flow) not in present:
                missing[(r.service_id, r.flow)] = r  # the latest noted run of the stream
                times[(r.service_id, r.flow)] += 1
        if missing:
            conn.execute(
                insert(SyncHealth),
                [
                    {
                        "service_id": r.service_id,
                        "flow": r.flow,
                        "region": r.region,
                        "runs": times[(r.service_id, r.flow)],
                        "last_run_id": 0,  # 0: no run row yet (every run so far was idle)
                        "last_outcome": "ok",
                        "last_error": None,
                        "last_finished_at": r.finished_at,
                        "last_success_at": r.finished_at,
                    }
                    for r in missing.values()
                ],
            )

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
