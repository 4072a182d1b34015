"""The rows the store hands out: courses, members, sync runs and their changes.

Plain frozen dataclasses, with no database in them, so the command line and the window can
hold, show and export them; the queries that make them are in :mod:`.courses`,
:mod:`.members` and :mod:`.history`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Course:
    """A configured course (an LTI context) with its roster counts."""

    id: int
    uid: str
    name: str
    base_url: str
    platform_id: str
    context_id: str | None
    title: str | None
    label: str | None
    resource_link_id: str | None
    auth_scheme: str
    roster_available: bool | None
    created_at: datetime
    last_synced_at: datetime | None
    last_status: str
    last_error: str | None
    archived_at: datetime | None
    member_count: int = 0
    active_count: int = 0
    #: When the latest finished sync was held for a mass drop: how many it would have
    #: dropped (nothing was changed; a sync with confirmation applies them). None otherwise.
    held_drops: int | None = None


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One member of a course as stored, ready to show or export."""

    user_id: str
    name: str | None
    given_name: str | None
    family_name: str | None
    email: str | None
    role: str
    lti_roles: tuple[str, ...]
    status: str
    test_user: bool
    first_seen_at: datetime
    last_seen_at: datetime
    deactivated_at: datetime | None

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        joined = " ".join(p for p in (self.given_name, self.family_name) if p)
        return joined or ""


@dataclass(frozen=True, slots=True)
class SyncRun:
    id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    trigger: str
    pages: int
    fetched: int
    added: int
    updated: int
    deactivated: int
    reactivated: int
    active_count: int | None
    error: str | None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    change: str
    user_id: str
    name: str | None
    email: str | None
    old_role: str | None
    new_role: str | None


def split_roles(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def join_roles(roles: Iterable[str]) -> str:
    return "\n".join(roles)
