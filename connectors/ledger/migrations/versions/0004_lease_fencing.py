"""Lease fencing: whether a lease is held and its last heartbeat; per-application delivery claims.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add stream_lease.held/heartbeat_at and application.claim_owner/claim_generation."""
    with op.batch_alter_table("stream_lease") as table:
        table.add_column(sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False))
        table.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("application") as table:
        table.add_column(sa.Column("claim_owner", sa.String(length=120), nullable=True))
        table.add_column(sa.Column("claim_generation", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("application") as table:
        table.drop_column("claim_generation")
        table.drop_column("claim_owner")
    with op.batch_alter_table("stream_lease") as table:
        table.drop_column("heartbeat_at")
        table.drop_column("held")
