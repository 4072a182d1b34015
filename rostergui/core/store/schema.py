"""The database tables (SQLAlchemy Core).

Core tables rather than ORM classes: the hot paths are bulk upserts and wide selects of
100,000 rows, where the ORM's identity map only costs time and memory.

Identity follows LTI: a person is ``(platform_id, user_id)``, a course is a configured context.
A membership that disappears from the LMS is never deleted: it becomes inactive with the time it
went, and comes back when the member does.

Timestamps are naive UTC (``datetime.utcnow()`` style) stored as SQL ``DateTime``; SQLite and
PostgreSQL both compare them correctly.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from rostergui.core.states import CourseStatus, Trigger

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

contexts = Table(
    "contexts",
    metadata,
    Column("id", Integer, primary_key=True),
    # Stable handle for keyring entries: survives renames.
    Column("uid", String(36), nullable=False, unique=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("base_url", String(500), nullable=False),
    Column("platform_id", String(500), nullable=False),
    Column("context_id", String(500), nullable=True),
    Column("title", Text, nullable=True),
    Column("label", Text, nullable=True),
    Column("resource_link_id", String(500), nullable=True),
    # An AuthScheme: which stored secret authenticates syncs.
    Column("auth_scheme", String(20), nullable=False),
    # True/False when known from a launch, NULL when added with a service key only.
    Column("roster_available", Boolean, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_synced_at", DateTime, nullable=True),
    # A CourseStatus: the outcome of the latest finished, non-held sync.
    Column("last_status", String(20), nullable=False, default=CourseStatus.NEVER),
    Column("last_error", Text, nullable=True),
    # Set when the admin removed the course but chose to keep its roster for reference.
    Column("archived_at", DateTime, nullable=True),
)

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform_id", String(500), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("name", Text, nullable=True),
    Column("given_name", Text, nullable=True),
    Column("family_name", Text, nullable=True),
    Column("email", Text, nullable=True),
    UniqueConstraint("platform_id", "user_id", name="uq_people_identity"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("context_pk", Integer, ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    # The roles exactly as received, newline-separated (role URIs never contain newlines).
    Column("lti_roles", Text, nullable=False),
    Column("role", String(40), nullable=False),
    Column("test_user", Boolean, nullable=False, default=False),
    # The LMS's own status (Active/Inactive) from the latest sync that saw the member.
    Column("lms_status", String(20), nullable=False, default="Active"),
    # Our status: active when the latest complete sync saw the member as Active.
    Column("status", String(10), nullable=False),
    # True when the latest complete sync saw the member at all. For present members the
    # "last seen" time is the course's last sync, so an unchanged re-sync writes no rows.
    Column("present", Boolean, nullable=False, default=True),
    Column("first_seen_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("deactivated_at", DateTime, nullable=True),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("context_pk", Integer, ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    # running, ok, failed, cancelled, held
    Column("outcome", String(20), nullable=False),
    Column("trigger", String(20), nullable=False, default=Trigger.MANUAL),
    # "host:pid" of the process running the sync, to tell a crashed run from a live one.
    Column("holder", String(200), nullable=True),
    Column("pages", Integer, nullable=False, default=0),
    Column("fetched", Integer, nullable=False, default=0),
    Column("added", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("deactivated", Integer, nullable=False, default=0),
    Column("reactivated", Integer, nullable=False, default=0),
    Column("active_count", Integer, nullable=True),
    Column("error", Text, nullable=True),
    # What the sync noticed and handled (e.g. members the LMS listed twice), one per line.
    Column("warning", Text, nullable=True),
)
Index("ix_sync_runs_context_started", sync_runs.c.context_pk, sync_runs.c.started_at)

sync_changes = Table(
    "sync_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    # added, deactivated, reactivated, role_changed
    Column("change", String(20), nullable=False),
    Column("old_role", String(40), nullable=True),
    Column("new_role", String(40), nullable=True),
)
Index("ix_sync_changes_run", sync_changes.c.run_id)

sync_leases = Table(
    "sync_leases",
    metadata,
    # Who syncs a course now (see core/store/leases.py). A row per course that was ever synced;
    # a free lease has no token.
    Column("context_pk", Integer, ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True),
    # Names this claim (a uuid): two threads of one process hold different tokens.
    Column("token", String(36), nullable=True),
    # "host:pid" of the holder, for "being synced by …".
    Column("holder", String(200), nullable=True),
    # The sync_runs row the holder is recording (not a foreign key: history may be pruned).
    Column("run_id", Integer, nullable=True),
    Column("claimed_at", DateTime, nullable=True),
    # The database's clock (naive UTC), so that machines' clocks need not agree.
    Column("expires_at", DateTime, nullable=True),
)

role_rules = Table(
    "role_rules",
    metadata,
    # An administrator's override of the default mapping: "Instructor#Grader" -> "Instructor".
    Column("lti_role", String(200), primary_key=True),
    Column("tool_role", String(40), nullable=False),
)
