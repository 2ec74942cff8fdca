"""The SQL aggregates health is built from: one GROUP BY query per fact, whatever the number of services.

Each function returns plain rows keyed by service id; the optional ``region`` / ``service_id`` narrow
the scan for a region's or a service's page. Dialect differences (day and hour buckets, durations) are
kept in the small helpers at the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, create_engine, func, select

from connectors.ledger.models import Application, DeadLetter, StatusEvent, SyncHealth, SyncRun
from connectors.ledger.types import as_utc
from hub.health.sla import CLOSED_LATE_WINDOW_DAYS, TERMINAL_STATUSES, WIB, breach_cutoff, wib_date

WAITING = ("pending", "sending")


def _wib_day(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return func.date(column, "+7 hours")
    return func.to_char(func.timezone("Asia/Jakarta", column), "YYYY-MM-DD")


def _utc_hour(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%dT%H:00:00", column)
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:00:00')


def _seconds_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def read_engine(engine: Engine) -> Engine:
    """An engine for health's long read-only aggregates. On SQLite the ledger's own engine takes the
    write lock at BEGIN (for its writers); health reads must not hold it for seconds, and in WAL mode
    plain reads never block the sync's writers. On PostgreSQL the ledger's engine is fine."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    return create_engine(engine.url, connect_args={"timeout": 30})


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _scoped(query: Any, model: Any, region: str | None, service_id: str | None) -> Any:
    if region is not None:
        query = query.where(model.region == region)
    if service_id is not None:
        query = query.where(model.service_id == service_id)
    return query


@dataclass
class ServiceFacts:
    """Everything the ledger knows about one service, before states are derived."""

    service_id: str
    region: str
    runs: int = 0
    last_success: datetime | None = None
    failures: int = 0
    failing: list[tuple[str, str, str | None, datetime | None]] = field(
        default_factory=list
    )  # (flow, outcome, error, at)
    applications: int = 0
    delivered: int = 0
    backlog_applications: int = 0
    oldest_waiting: datetime | None = None
    pending_events: int = 0
    oldest_event: datetime | None = None
    dead_letters: int = 0
    open_by_day: list[tuple[date, int]] = field(default_factory=list)
    # applications closed (first terminal status) within the last CLOSED_LATE_WINDOW_DAYS days, per
    # (WIB day of submission, WIB day of closing); only those closed more than a day after submission
    closed_by_days: list[tuple[date, date, int]] = field(default_factory=list)
    # pulled from the national layer and not yet acknowledged there (pending, sending, delivered, dead):
    # the national layer still counts them as waiting, health subtracts them (hub/health/national.py)
    unacknowledged: int = 0


def gather(
    engine: Engine, now: datetime, region: str | None = None, service_id: str | None = None
) -> dict[str, ServiceFacts]:
    """Facts per service id that appears in the ledger (scoped to a region or a service when given)."""
    dialect = engine.dialect.name
    facts: dict[str, ServiceFacts] = {}

    def of(service: str, service_region: str) -> ServiceFacts:
        found = facts.get(service)
        if found is None:
            found = facts[service] = ServiceFacts(service, service_region)
        return found

    since = now - timedelta(hours=24)
    with engine.connect() as conn:
        # the latest run per (service, flow) lives in sync_health (kept by finish_run): no scan of every run
        runs = _scoped(
            select(
                SyncHealth.service_id,
                func.min(SyncHealth.region).label("region"),
                func.sum(SyncHealth.runs).label("runs"),
                func.max(SyncHealth.last_success_at).label("last_success"),
            ).group_by(SyncHealth.service_id),
            SyncHealth,
            region,
            service_id,
        )
        for service, service_region, count, last_success in conn.execute(runs):
            item = of(service, service_region)
            item.runs = int(count or 0)
            item.last_success = _time(last_success)

        # a flow whose latest run ended in an error makes its service failing
        failing = _scoped(
            select(
                SyncHealth.service_id,
                SyncHealth.region,
                SyncHealth.flow,
                SyncHealth.last_outcome,
                SyncHealth.last_error,
                SyncHealth.last_finished_at,
            ).where(SyncHealth.last_outcome.in_(("retry", "fatal"))),
            SyncHealth,
            region,
            service_id,
        )
        for row in conn.execute(failing):
            item = of(row.service_id, row.region)
            item.failing.append((row.flow, row.last_outcome, row.last_error, _time(row.last_finished_at)))

        # failed runs of the last 24 hours (the index on (outcome, started_at) reads only those)
        failures = _scoped(
            select(SyncRun.service_id, func.min(SyncRun.region).label("region"), func.count().label("n"))
            .where(SyncRun.outcome.in_(("retry", "fatal")), SyncRun.started_at >= since)
            .group_by(SyncRun.service_id),
            SyncRun,
            region,
            service_id,
        )
        for row in conn.execute(failures):
            of(row.service_id, row.region).failures = int(row.n)

        apps = _scoped(
            select(
                Application.service_id,
                func.min(Application.region).label("region"),
                func.count().label("total"),
                _count_if(Application.delivery.in_(("delivered", "acknowledged"))).label("delivered"),
                _count_if(Application.delivery.in_(WAITING)).label("waiting"),
                func.min(case((Application.delivery.in_(WAITING), Application.submitted_at))).label("oldest"),
                _count_if(and_(Application.origin == "national", Application.delivery != "acknowledged")).label(
                    "unacknowledged"
                ),
            ).group_by(Application.service_id),
            Application,
            region,
            service_id,
        )
        for service, service_region, total, delivered, waiting, oldest, unacknowledged in conn.execute(apps):
            item = of(service, service_region)
            item.applications, item.delivered = int(total), int(delivered)
            item.backlog_applications = int(waiting)
            item.oldest_waiting = None if oldest is None else _time(oldest)
            item.unacknowledged = int(unacknowledged)

        events = _scoped(
            select(
                StatusEvent.service_id,
                func.min(StatusEvent.region).label("region"),
                func.count().label("pending"),
                func.min(StatusEvent.created_at).label("oldest"),
            )
            .where(StatusEvent.state == "pending")
            .group_by(StatusEvent.service_id),
            StatusEvent,
            region,
            service_id,
        )
        for row in conn.execute(events):
            item = of(row.service_id, row.region)
            item.pending_events, item.oldest_event = int(row.pending), _time(row.oldest)

        letters = _scoped(
            select(DeadLetter.service_id, func.min(DeadLetter.region).label("region"), func.count().label("n"))
            .where(DeadLetter.replayed_at.is_(None))
            .group_by(DeadLetter.service_id),
            DeadLetter,
            region,
            service_id,
        )
        for row in conn.execute(letters):
            of(row.service_id, row.region).dead_letters = int(row.n)

        # open applications per service and WIB day of submission, for the SLA; only days that can be
        # late already (an SLA is at least one working day) are read
        day = _wib_day(Application.submitted_at, dialect).label("day")
        latest_late = datetime.combine(breach_cutoff(1, wib_date(now)) + timedelta(days=1), time(), WIB)
        open_apps = _scoped(
            select(Application.service_id, func.min(Application.region).label("region"), day, func.count().label("n"))
            .where(
                Application.national_status.not_in(TERMINAL_STATUSES),
                Application.delivery != "dead",
                Application.submitted_at < latest_late.astimezone(UTC),
            )
            .group_by(Application.service_id, day),
            Application,
            region,
            service_id,
        )
        days: dict[str, date] = {}
        for service, service_region, day_text, count in conn.execute(open_apps):
            text = str(day_text)[:10]
            found = days.get(text)
            if found is None:
                found = days[text] = date.fromisoformat(text)
            of(service, service_region).open_by_day.append((found, int(count)))

        for service, service_region, submitted, closed, count in conn.execute(
            _closed_late_candidates(dialect, now, region, service_id)
        ):
            item = of(service, service_region)
            item.closed_by_days.append((_day(submitted, days), _day(closed, days), int(count)))
    return facts


def _day(text: Any, days: dict[str, date]) -> date:
    """A day bucket's date (parsed once per distinct day)."""
    key = str(text)[:10]
    found = days.get(key)
    if found is None:
        found = days[key] = date.fromisoformat(key)
    return found


def _closed_late_candidates(dialect: str, now: datetime, region: str | None, service_id: str | None) -> Any:
    """Applications closed within the window, per service, WIB day of submission and WIB day of closing.

    An application is closed at its first terminal status change (the local system's ``changed_at``);
    whether it was late depends on its service's SLA, applied per (submission day, closing day) in
    ``report._breaches``. Only applications closed more than 24 hours after submission are read: an SLA is
    at least one working day, so a closing on the day of submission or the next one is never late."""
    since = now - timedelta(days=CLOSED_LATE_WINDOW_DAYS)
    closing = _scoped(
        select(StatusEvent.national_id, func.min(StatusEvent.changed_at).label("closed_at"))
        .where(StatusEvent.national_status.in_(TERMINAL_STATUSES), StatusEvent.changed_at >= since)
        .group_by(StatusEvent.national_id),
        StatusEvent,
        region,
        service_id,
    ).subquery()
    submitted = _wib_day(Application.submitted_at, dialect).label("submitted_day")
    closed = _wib_day(closing.c.closed_at, dialect).label("closed_day")
    query = (
        select(Application.service_id, func.min(Application.region).label("region"), submitted, closed, func.count())
        .join(closing, closing.c.national_id == Application.national_id)
        .where(
            Application.national_status.in_(TERMINAL_STATUSES),
            Application.delivery != "dead",  # as for open ones: a dead letter is counted as such
            _seconds_between(closing.c.closed_at, Application.submitted_at, dialect) > 86400,
        )
        .group_by(Application.service_id, submitted, closed)
    )
    return _scoped(query, Application, region, service_id)


def hourly_series(
    engine: Engine, now: datetime, regions: Sequence[str] | None = None, hours: int = 24
) -> list[dict[str, Any]]:
    """Deliveries, pushed events and the mean delivery lag per UTC hour over the last ``hours`` hours."""
    dialect = engine.dialect.name
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    buckets: dict[str, dict[str, Any]] = {}
    for i in range(hours):
        at = start + timedelta(hours=i)
        buckets[at.strftime("%Y-%m-%dT%H:00:00")] = {
            "at": at.strftime("%Y-%m-%dT%H:00:00Z"),
            "delivered": 0,
            "events": 0,
            "lag_seconds": 0,
        }
    hour_d = _utc_hour(Application.delivered_at, dialect).label("hour")
    delivered = (
        select(
            hour_d,
            func.count().label("n"),
            func.avg(_seconds_between(Application.delivered_at, Application.submitted_at, dialect)).label("lag"),
        )
        .where(Application.delivered_at >= start)
        .group_by(hour_d)
    )
    hour_e = _utc_hour(StatusEvent.pushed_at, dialect).label("hour")
    pushed = select(hour_e, func.count().label("n")).where(StatusEvent.pushed_at >= start).group_by(hour_e)
    if regions is not None:
        delivered = delivered.where(Application.region.in_(list(regions)))
        pushed = pushed.where(StatusEvent.region.in_(list(regions)))
    with engine.connect() as conn:
        for row in conn.execute(delivered):
            if row.hour in buckets:
                buckets[row.hour]["delivered"] = int(row.n)
                buckets[row.hour]["lag_seconds"] = round(float(row.lag or 0))
        for row in conn.execute(pushed):
            if row.hour in buckets:
                buckets[row.hour]["events"] = int(row.n)
    return list(buckets.values())


def _time(value: Any) -> datetime | None:
    """Aggregates over DateTime columns come back as datetimes (naive on SQLite: UTC) or, on SQLite, text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)
