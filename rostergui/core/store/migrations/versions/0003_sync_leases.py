"""Course leases: several processes sharing one database split a round of syncs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_leases",
        sa.Column(
            "context_pk",
            sa.Integer,
            sa.ForeignKey("contexts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("token", sa.String(36), nullable=True),
        sa.Column("holder", sa.String(200), nullable=True),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("claimed_at", sa.DateTime, nullable=True),
        sa.Column("expires_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sync_leases")
