"""Tables of the ledger (SQLAlchemy 2). Migrations in ``connectors/ledger/migrations`` create them.

Personal data: an application's payload (envelope and form) is kept only until the local system has it;
after delivery it is cleared. Matching needs only ``subject_hash``, a keyed HMAC of the NIK.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, stored as UTC on every engine and read back aware, in UTC.

    Why: SQLite has no time zones, and SQLAlchemy's SQLite ``DateTime`` writes an aware value's wall-clock
    digits and drops its offset; a change at 06:59:04Z that a WIB system reported as 13:59:04+07:00 came
    back as 13:59:04Z, seven hours in the future (PostgreSQL's ``timestamptz`` was right). Converting to
    UTC before the value is bound makes both engines store the same instant. A naive datetime is refused:
    the ledger cannot know which of Indonesia's three zones it meant."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """To UTC before it is stored."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the ledger stores aware datetimes only (a naive time has no zone)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware, in UTC (SQLite gives back the naive UTC digits it stored)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the ledger tables."""


class SyncCursor(Base):
    """How far a flow has read a feed (national new applications, local status changes, walk-ins)."""

    __tablename__ = "sync_cursor"
    service_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    flow: Mapped[str] = mapped_column(String(20), primary_key=True)
    region: Mapped[str] = mapped_column(String(8), index=True)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StreamLease(Base):
    """One worker at a time per (flow, service): keeps per-service order with several workers."""

    __tablename__ = "stream_lease"
    stream: Mapped[str] = mapped_column(String(160), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))
    until: Mapped[datetime] = mapped_column(UtcDateTime())
    # bumped by every take-over; a fenced write succeeds only under the generation it was taken with
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # held: taken and not released; held with ``until`` past means the holder stopped heartbeating (crashed)
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Application(Base):
    """One citizen's application as the hub knows it, and the state of its delivery."""

    __tablename__ = "application"
    national_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(8))
    package_version: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(10))  # national | walk_in
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    local_reference: Mapped[str | None] = mapped_column(String(200))
    national_status: Mapped[str] = mapped_column(String(20))
    # delivery: pending -> sending -> delivered -> acknowledged | dead; walk-ins start 'acknowledged'
    delivery: Mapped[str] = mapped_column(String(14))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    # masked for the dashboard (``3576**********01``, ``0812******89``): never the full number
    nik_masked: Mapped[str | None] = mapped_column(String(32))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    last_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the delivery claim: which worker, under which lease generation, took this application for sending;
    # only that claim may record it delivered (a worker that lost its lease cannot acknowledge its copy)
    claim_owner: Mapped[str | None] = mapped_column(String(120))
    claim_generation: Mapped[int | None] = mapped_column(Integer)
    # a dead letter whose retry budget ran out (the local system never took it) holds its service's queue:
    # the applications behind it wait for its replay, so a replay puts it back at its place in order
    holds_queue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("service_id", "local_reference", name="uq_application_local_reference"),
        Index("ix_application_delivery", "service_id", "delivery", "next_attempt_at"),
        Index("ix_application_region", "region", "delivery"),
        Index("ix_application_service_submitted", "service_id", "submitted_at"),
    )


class AttachmentUpload(Base):
    """One file of an application uploaded to the local system after its create (``attachments.mode:
    multipart``), recorded right after the upload succeeded: a later attempt (after a lost reply or a crash
    between the create and the uploads) uploads exactly the files without a row. ``position`` is the file's
    index in the envelope's ``attachments``; a row counts only while its ``sha256`` is the envelope's.
    No file name (it may name the citizen): the requirement and the digest are enough."""

    __tablename__ = "attachment_upload"
    national_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    requirement_id: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64))
    local_reference: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StatusEvent(Base):
    """One mapped status change on its way to the national layer, in per-application sequence."""

    __tablename__ = "status_event"
    event_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    national_id: Mapped[str] = mapped_column(String(80))
    service_id: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(8))
    sequence: Mapped[int] = mapped_column(Integer)
    local_status: Mapped[str] = mapped_column(String(64))
    national_status: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(String(500))
    # state: pending -> pushed | duplicate | rejected | dead
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    pushed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("national_id", "sequence", name="uq_status_event_sequence"),
        Index("ix_status_event_pending", "service_id", "state", "next_attempt_at"),
        # the pending events of a region (the end of a sync cycle's history sample): a partial index holds
        # only the few pending rows, not the millions pushed
        Index(
            "ix_status_event_region_pending",
            "region",
            "created_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
    )


class DeadLetter(Base):
    """An item the hub could not move, with the reason; ``mpphub replay`` sends it again after a fix.

    kind: ``application`` (delivery), ``event`` (status push), ``record`` (a local record that could not
    be mapped: unknown status code, illegal transition, unknown application — quarantined, never applied).
    """

    __tablename__ = "dead_letter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))
    ref: Mapped[str] = mapped_column(String(200))
    service_id: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(8))
    flow: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    record: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True)
    )  # what replay needs; never NIK or phone
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    replayed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    replays: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("kind", "ref", name="uq_dead_letter_ref"),
        Index("ix_dead_letter_open", "region", "replayed_at"),
    )


class SyncRun(Base):
    """One run of one flow for one service: when, by whom, with which counts and outcome."""

    __tablename__ = "sync_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region: Mapped[str] = mapped_column(String(8))
    service_id: Mapped[str] = mapped_column(String(120))
    flow: Mapped[str] = mapped_column(String(20))
    worker: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(10))  # ok | retry | fatal
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_sync_run_recent", "region", "service_id", "flow", "started_at"),
        Index("ix_sync_run_service", "service_id", "flow", "id"),
        Index("ix_sync_run_failures", "outcome", "started_at"),
    )


class SyncHealth(Base):
    """The latest run of each (service, flow), kept up to date by ``finish_run`` in the run's own
    transaction: health reads this small table instead of aggregating every run ever recorded."""

    __tablename__ = "sync_health"
    service_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    flow: Mapped[str] = mapped_column(String(20), primary_key=True)
    region: Mapped[str] = mapped_column(String(8))
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_run_id: Mapped[int] = mapped_column(Integer)
    last_outcome: Mapped[str] = mapped_column(String(10))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RegionHistory(Base):
    """One region's health in one UTC hour, for its history chart: written at the end of every sync cycle
    (``connectors/ledger/history.py``) and upserted in place, so a region costs at most 24 rows a day
    whatever the number of cycles; rows older than ``MPPHUB_HISTORY_DAYS`` are pruned."""

    __tablename__ = "region_history"
    region: Mapped[str] = mapped_column(String(8), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)  # the hour's start, UTC
    lag_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # worst of the hour
    backlog: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # worst of the hour
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed runs, summed
    dead_letters: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # worst of the hour
    samples: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # cycles that wrote it
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_region_history_hour", "hour"),)


class ApiToken(Base):
    """A bearer token of the hub API. Only the token's sha256 is stored: the token itself is shown once."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(12))  # region | coordinator | operator
    region: Mapped[str | None] = mapped_column(String(8))  # set for (and only for) the region role
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditRecord(Base):
    """One append-only audit record; ``hash`` chains it to the previous one (``mpphub audit verify``)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
