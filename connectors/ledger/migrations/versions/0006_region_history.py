"""Per-region history: one row per region per UTC hour; the pending events of a region, indexed.

- ``region_history``: the worst lag, backlog and open dead letters of the hour and its failed runs,
  upserted in place at the end of every sync cycle (``connectors/ledger/history.py``) and pruned beyond
  ``MPPHUB_HISTORY_DAYS`` (30 by default). The ledger keeps no run row for idle flows, so this is what the
  dashboard's history chart reads: at most 24 rows a region a day, whatever the number of cycles.
- ``ix_status_event_region_pending``: a partial index of the pending status events by region, so the
  cycle's sample reads only the few pending rows, never the millions pushed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create region_history and the partial index of pending status events."""
    op.create_table(
        "region_history",
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lag_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("backlog", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dead_letters", sa.Integer(), server_default="0", nullable=False),
        sa.Column("samples", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("region", "hour"),
    )
    op.create_index("ix_region_history_hour", "region_history", ["hour"], unique=False)
    op.create_index(
        "ix_status_event_region_pending",
        "status_event",
        ["region", "created_at"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_status_event_region_pending", table_name="status_event")
    op.drop_index("ix_region_history_hour", table_name="region_history")
    op.drop_table("region_history")
