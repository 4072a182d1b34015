"""Every state RosterSync records or reports, as one type each.

They are ``StrEnum``s: a member compares equal to its stored text, so the same names serve the
database (columns hold the values), SQL assembled from fixed fragments, ``--json`` and the
window, and a typo is a type error rather than a state that never matches. No other module
spells these values as string literals.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """How a sync run ended (``sync_runs.outcome``)."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    HELD = "held"
    CANCELLED = "cancelled"
    #: Another process or thread holds the course's lease; nothing was fetched. Not a failure,
    #: and never a ``sync_runs`` row: the history counts only syncs that ran.
    BUSY = "busy"
    #: The course was synced successfully at or after the ``synced_since`` asked for; nothing
    #: was fetched. Not a failure, and never a ``sync_runs`` row.
    SKIPPED = "skipped"


class CourseStatus(StrEnum):
    """A course's last sync as the course list shows it (``contexts.last_status``)."""

    NEVER = "never"
    OK = "ok"
    FAILED = "failed"


class MemberStatus(StrEnum):
    """Whether a member is in the course now (``memberships.status``)."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class Trigger(StrEnum):
    """What started a sync (``sync_runs.trigger``)."""

    MANUAL = "manual"
    SCHEDULE = "schedule"
    COMMAND = "command"
    DEMO = "demo"


class Phase(StrEnum):
    """Where a running sync is."""

    FETCHING = "fetching"
    APPLYING = "applying"


class AuthScheme(StrEnum):
    """How a course authenticates with LTIAAS (``contexts.auth_scheme``)."""

    SERVICE_KEY = "service_key"
    LTIK = "ltik"


class Change(StrEnum):
    """What a sync did to one member (``sync_changes.change``)."""

    ADDED = "added"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    ROLE_CHANGED = "role_changed"


class StatusFilter(StrEnum):
    """Which members a listing or an export includes."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    ALL = "all"
