"""The first schema: courses, people, memberships, sync history and role overrides.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contexts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("platform_id", sa.String(500), nullable=False),
        sa.Column("context_id", sa.String(500), nullable=True),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("resource_link_id", sa.String(500), nullable=True),
        sa.Column("auth_scheme", sa.String(20), nullable=False),
        sa.Column("roster_available", sa.Boolean, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_synced_at", sa.DateTime, nullable=True),
        sa.Column("last_status", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("archived_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("uid", name="uq_contexts_uid"),
        sa.UniqueConstraint("name", name="uq_contexts_name"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform_id", sa.String(500), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("given_name", sa.Text, nullable=True),
        sa.Column("family_name", sa.Text, nullable=True),
        sa.Column("email", sa.Text, nullable=True),
        sa.UniqueConstraint("platform_id", "user_id", name="uq_people_identity"),
    )
    op.create_table(
        "memberships",
        sa.Column(
            "context_pk",
            sa.Integer,
            sa.ForeignKey("contexts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("lti_roles", sa.Text, nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("test_user", sa.Boolean, nullable=False),
        sa.Column("lms_status", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("present", sa.Boolean, nullable=False),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("deactivated_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "context_pk",
            sa.Integer,
            sa.ForeignKey("contexts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("holder", sa.String(200), nullable=True),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("fetched", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("deactivated", sa.Integer, nullable=False),
        sa.Column("reactivated", sa.Integer, nullable=False),
        sa.Column("active_count", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_sync_runs_context_started", "sync_runs", ["context_pk", "started_at"])
    op.create_table(
        "sync_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("change", sa.String(20), nullable=False),
        sa.Column("old_role", sa.String(40), nullable=True),
        sa.Column("new_role", sa.String(40), nullable=True),
    )
    op.create_index("ix_sync_changes_run", "sync_changes", ["run_id"])
    op.create_table(
        "role_rules",
        sa.Column("lti_role", sa.String(200), primary_key=True),
        sa.Column("tool_role", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    for table in ("role_rules", "sync_changes", "sync_runs", "memberships", "people", "contexts"):
        op.drop_table(table)
