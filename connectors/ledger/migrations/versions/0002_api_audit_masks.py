"""Hub API tokens (hashed), the hash-chained audit log, masked NIK and phone on applications.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add api_token, audit_log and application.nik_masked / phone_masked."""
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("nik_masked", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("phone_masked", sa.String(length=32), nullable=True))
    # health views group applications and runs per service
    op.create_index("ix_application_service_submitted", "application", ["service_id", "submitted_at"], unique=False)
    op.create_index("ix_sync_run_service", "sync_run", ["service_id", "flow", "id"], unique=False)


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_sync_run_service", table_name="sync_run")
    op.drop_index("ix_application_service_submitted", table_name="application")
    with op.batch_alter_table("application") as batch:
        batch.drop_column("phone_masked")
        batch.drop_column("nik_masked")
    op.drop_table("audit_log")
    op.drop_table("api_token")
