"""Per-file upload state of attachments; dead letters that hold their service's delivery queue.

- ``attachment_upload``: one row per file of an application uploaded to the local system after its
  create (``attachments.mode: multipart``), written right after the upload succeeded, with the file's
  sha256. A delivery whose create succeeded but whose uploads did not all finish (a lost reply, a crash
  between the create and the uploads) uploads exactly the files without a row.
- ``application.holds_queue``: set when an application is dead-lettered because its retry budget ran out
  (the local system did not take it); the applications behind it wait until it is replayed, so a replay
  puts it back at its place in submission order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create attachment_upload and add application.holds_queue."""
    op.create_table(
        "attachment_upload",
        sa.Column("national_id", sa.String(length=80), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("requirement_id", sa.String(length=120), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("local_reference", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("application") as table:
        table.add_column(sa.Column("holds_queue", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("application") as table:
        table.drop_column("holds_queue")
    op.drop_table("attachment_upload")
