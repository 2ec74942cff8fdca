"""sync_health: the latest run per (service, flow), maintained by finish_run; an index for recent failures.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create sync_health and fill it from the runs recorded so far."""
    table = op.create_table(
        "sync_health",
        sa.Column("service_id", sa.String(length=120), nullable=False),
        sa.Column("flow", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.Column("last_outcome", sa.String(length=10), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("service_id", "flow"),
    )
    op.create_index("ix_sync_run_failures", "sync_run", ["outcome", "started_at"], unique=False)
    runs = sa.table(
        "sync_run",
        sa.column("id", sa.Integer()),
        sa.column("region", sa.String()),
        sa.column("service_id", sa.String()),
        sa.column("flow", sa.String()),
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("outcome", sa.String()),
        sa.column("error", sa.Text()),
    )
    bind = op.get_bind()
    finished = runs.c.finished_at.is_not(None)
    groups = bind.execute(
        sa.select(
            runs.c.service_id,
            runs.c.flow,
            sa.func.min(runs.c.region).label("region"),
            sa.func.count().label("runs"),
            sa.func.max(runs.c.id).label("last_id"),
            sa.func.max(sa.case((runs.c.outcome == "ok", runs.c.finished_at))).label("last_success"),
        )
        .where(finished)
        .group_by(runs.c.service_id, runs.c.flow)
    ).all()
    for group in groups:
        last = bind.execute(
            sa.select(runs.c.outcome, runs.c.error, runs.c.finished_at).where(runs.c.id == group.last_id)
        ).one()
        bind.execute(
            sa.insert(table).values(
                service_id=group.service_id,
                flow=group.flow,
                region=group.region,
                runs=group.runs,
                last_run_id=group.last_id,
                last_outcome=last.outcome or "ok",
                last_error=last.error,
                last_finished_at=last.finished_at,
                last_success_at=group.last_success,
            )
        )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_sync_run_failures", table_name="sync_run")
    op.drop_table("sync_health")
