"""The roster-sync engine: fetch every page, then diff and apply in one transaction.

All or nothing: members are written only after the last page arrived, in a single transaction,
so a failure or a cancel at any point leaves the stored roster exactly as it was. Every run is
recorded (start, end, outcome, counts, error) and every change to a member is kept per run.

The diff is computed *inside* the write transaction, after taking the course's row lock, so two
syncs of the same course (from two processes sharing a database) serialise: the second one sees
the first one's result and never double-counts.

A sync that would deactivate a large share of the active members is *held*: nothing is applied
and the caller learns who would go. LMSes do answer with empty or partial rosters.

Progress and cancellation are plain callables and a ``threading.Event``, so the command line,
the window's worker thread and the tests all drive this same code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from rostergui.core import errors
from rostergui.core.ltiaas import LtiaasClient, Member
from rostergui.core.prefetch import prefetch
from rostergui.core.roles import RoleMapping
from rostergui.core.store import bulk, repo
from rostergui.core.store.db import storage_errors
from rostergui.core.store.schema import contexts, memberships, people, sync_changes, sync_runs

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MassDropPolicy:
    """Hold a sync that would deactivate more than ``share`` of at least ``minimum`` actives."""

    share: float = 0.25
    minimum: int = 20

    def holds(self, active_before: int, deactivating: int) -> bool:
        return active_before >= self.minimum and deactivating > self.share * active_before


@dataclass(frozen=True, slots=True)
class Progress:
    phase: str  # "fetching" or "applying"
    pages: int
    fetched: int


@dataclass(frozen=True, slots=True)
class DroppedMember:
    user_id: str
    name: str | None
    email: str | None
    role: str


@dataclass(slots=True)
class SyncResult:
    """What happened. ``to_json`` gives the stable shape of ``sync --json``."""

    name: str
    ok: bool = False
    held: bool = False
    cancelled: bool = False
    pages: int = 0
    fetched: int = 0
    added: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    active_count: int = 0
    error: str | None = None
    error_kind: str | None = None
    seconds: float = 0.0
    #: Wall time spent fetching pages and applying them (for logs and benchmarks).
    fetch_seconds: float = 0.0
    apply_seconds: float = 0.0
    run_id: int | None = None
    #: Who a held sync would deactivate (empty otherwise).
    would_deactivate: list[DroppedMember] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "held": self.held,
            "pages": self.pages,
            "fetched": self.fetched,
            "added": self.added,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "reactivated": self.reactivated,
            "active_count": self.active_count,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        if self.held:
            return (
                f"{self.name}: held — {self.deactivated} of the active members would be "
                "dropped; nothing was changed (confirm with --allow-mass-drop if this is right)"
            )
        if not self.ok:
            return f"{self.name}: failed — {self.error}"
        pages = f"{self.pages} page" + ("s" if self.pages != 1 else "")
        return (
            f"{self.name}: {self.fetched} members on {pages}; +{self.added} added, "
            f"−{self.deactivated} dropped, {self.reactivated} returned, {self.updated} updated; "
            f"{self.active_count} active ({self.seconds:.1f} s)"
        )


ProgressCallback = Callable[[Progress], None]


def fetch_roster(
    client: LtiaasClient,
    *,
    resource_link_id: str | None,
    page_size: int | None,
    progress: ProgressCallback,
    cancel: threading.Event,
) -> tuple[dict[str, Member], int, int, str | None, str | None]:
    """Walk every page. Returns members by user id (last occurrence wins), pages, raw count,
    and the context id and title the LMS reported."""
    members: dict[str, Member] = {}
    pages = fetched = 0
    context_id = title = None
    walk = client.iter_pages(limit=page_size, resource_link_id=resource_link_id)
    for page in prefetch(walk, name="roster-fetch"):
        if cancel.is_set():
            raise errors.SyncCancelledError()
        pages += 1
        fetched += len(page.raw_members)
        for member in page.members:
            members[member.user_id] = member
        context_id = context_id or page.context_id
        title = title or page.context_title
        progress(Progress("fetching", pages, len(members)))
    if cancel.is_set():
        raise errors.SyncCancelledError()
    return members, pages, fetched, context_id, title


def _person_ids(conn: Connection, platform_id: str, user_ids: list[str]) -> dict[str, int]:
    """Person ids for these users of one platform (just inserted or refreshed)."""
    query = select(people.c.user_id, people.c.id).where(people.c.platform_id == platform_id)
    if len(user_ids) <= 2000:
        found: dict[str, int] = {}
        for start in range(0, len(user_ids), 500):
            chunk = user_ids[start : start + 500]
            found.update((u, i) for u, i in conn.execute(query.where(people.c.user_id.in_(chunk))))
        return found
    # Many new people: one scan of the platform beats thousands of IN lists.
    return {u: i for u, i in conn.execute(query)}


_STORED_COLUMNS = (
    people.c.id,
    people.c.user_id,
    people.c.name,
    people.c.given_name,
    people.c.family_name,
    people.c.email,
    memberships.c.lti_roles,
    memberships.c.role,
    memberships.c.test_user,
    memberships.c.lms_status,
    memberships.c.status,
    memberships.c.present,
)


class SyncEngine:
    """Runs syncs against one database. Thread-safe: each call uses its own connection."""

    def __init__(
        self,
        engine: Engine,
        *,
        policy: MassDropPolicy | None = None,
        page_size: int | None = 100,
    ) -> None:
        self.engine = engine
        self.policy = policy or MassDropPolicy()
        self.page_size = page_size

    def sync(
        self,
        course: repo.Course,
        connect: Callable[[threading.Event], LtiaasClient],
        *,
        allow_mass_drop: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        trigger: str = "manual",
    ) -> SyncResult:
        """Sync one course. Never raises for expected failures: they are in the result.

        ``connect`` builds the LTIAAS client (reading secrets from the keyring); it is called
        inside the recorded run so that a missing secret is a recorded failure too.
        """
        cancel = cancel or threading.Event()
        report = progress or (lambda _p: None)
        result = SyncResult(name=course.name)
        started = time.monotonic()
        try:
            with storage_errors("recording the sync"), self.engine.begin() as conn:
                inserted = conn.execute(
                    insert(sync_runs).values(
                        context_pk=course.id,
                        started_at=repo.utcnow(),
                        outcome="running",
                        trigger=trigger,
                        holder=repo.process_handle(),
                        pages=0,
                        fetched=0,
                        added=0,
                        updated=0,
                        deactivated=0,
                        reactivated=0,
                    )
                ).inserted_primary_key
                result.run_id = int(inserted[0]) if inserted else None
        except errors.RosterSyncError as exc:
            result.error, result.error_kind = exc.message, exc.kind
            result.seconds = time.monotonic() - started
            log.error("Sync of %s could not start: %s (%s)", course.name, exc.message, exc.detail)
            return result
        try:
            if course.archived_at is not None:
                raise errors.ConfigError(
                    f"'{course.name}' was removed (its roster is kept for reference); add the "
                    "course again to sync it"
                )
            if course.roster_available is False:
                raise errors.RosterServiceUnavailableError(
                    "The roster service (Names and Roles) is not available for this course; "
                    "enable it in the LMS's tool settings, launch the tool from the course "
                    "again and re-add the course with the new launch token"
                )
            with connect(cancel) as client:
                members, result.pages, result.fetched, context_id, title = fetch_roster(
                    client,
                    resource_link_id=course.resource_link_id,
                    page_size=self.page_size,
                    progress=report,
                    cancel=cancel,
                )
            result.fetch_seconds = time.monotonic() - started
            report(Progress("applying", result.pages, len(members)))
            self._apply(course, members, result, allow_mass_drop, context_id, title)
        except errors.SyncCancelledError as exc:
            result.cancelled = True
            self._finish_failed(course, result, exc, started)
        except errors.RosterSyncError as exc:
            self._finish_failed(course, result, exc, started)
        except Exception as exc:
            log.exception("Unexpected failure while syncing %s", course.name)
            bug = errors.RosterSyncError(
                f"Unexpected error ({type(exc).__name__}); nothing was changed — see the log "
                "and report this problem"
            )
            bug.kind = "bug"
            self._finish_failed(course, result, bug, started)
        result.seconds = time.monotonic() - started
        if result.fetch_seconds:
            result.apply_seconds = result.seconds - result.fetch_seconds
        return result

    # --- failure ------------------------------------------------------------------------

    def _finish_failed(
        self,
        course: repo.Course,
        result: SyncResult,
        exc: errors.RosterSyncError,
        started: float,
    ) -> None:
        result.ok = False
        result.error, result.error_kind = exc.message, exc.kind
        if result.cancelled:
            log.info("Sync of %s cancelled", course.name)
        else:
            log.error(
                "Sync of %s failed: %s [%s] %s",
                course.name,
                exc.message,
                exc.kind,
                exc.detail or "",
            )
        outcome = "cancelled" if result.cancelled else "failed"
        try:
            with storage_errors("recording the failed sync"), self.engine.begin() as conn:
                conn.execute(
                    update(sync_runs)
                    .where(sync_runs.c.id == result.run_id)
                    .values(
                        outcome=outcome,
                        finished_at=repo.utcnow(),
                        pages=result.pages,
                        fetched=result.fetched,
                        error=exc.message,
                    )
                )
                if not result.cancelled:
                    conn.execute(
                        update(contexts)
                        .where(contexts.c.id == course.id)
                        .values(last_status="failed", last_error=exc.message)
                    )
                result.active_count = self._active_count(conn, course.id)
        except errors.RosterSyncError as storage:
            log.error("Could not record the failed sync of %s: %s", course.name, storage.detail)

    @staticmethod
    def _active_count(conn: Connection, context_pk: int) -> int:
        return int(
            conn.execute(
                select(func.count())
                .select_from(memberships)
                .where(
                    and_(memberships.c.context_pk == context_pk, memberships.c.status == "active")
                )
            ).scalar_one()
        )

    # --- apply --------------------------------------------------------------------------

    def _apply(
        self,
        course: repo.Course,
        fetched: dict[str, Member],
        result: SyncResult,
        allow_mass_drop: bool,
        context_id: str | None,
        title: str | None,
    ) -> None:
        try:
            active_before = self._write(course, fetched, result, allow_mass_drop, context_id, title)
        except _Held as held:
            active_before = held.active_before
        if not result.held:
            log.info("Sync of %s: %s", course.name, result.summary())
            return
        with storage_errors("recording the held sync"), self.engine.begin() as conn:
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == result.run_id)
                .values(
                    outcome="held",
                    finished_at=repo.utcnow(),
                    pages=result.pages,
                    fetched=result.fetched,
                    added=result.added,
                    updated=result.updated,
                    deactivated=result.deactivated,
                    reactivated=result.reactivated,
                    active_count=active_before,
                    error=(
                        f"Held: {result.deactivated} of {active_before} active members would "
                        "be dropped; nothing was changed"
                    ),
                )
            )
        result.active_count = active_before
        log.warning(
            "Sync of %s held: would deactivate %d of %d active members",
            course.name,
            result.deactivated,
            active_before,
        )

    def _write(
        self,
        course: repo.Course,
        fetched: dict[str, Member],
        result: SyncResult,
        allow_mass_drop: bool,
        context_id: str | None,
        title: str | None,
    ) -> int:
        """Diff and write under the course lock; returns the active count before."""
        with storage_errors("saving the roster"), self.engine.begin() as conn:
            # Take the course's write lock first: in SQLite this is the database write lock, in
            # PostgreSQL the row lock. A concurrent sync of the same course waits here.
            locked = conn.execute(
                update(contexts)
                .where(contexts.c.id == course.id)
                .values(last_status=contexts.c.last_status)
                .returning(contexts.c.last_synced_at)
            ).first()
            if locked is None:
                raise errors.CourseNotFoundError(
                    f"'{course.name}' was removed while it was syncing; nothing was saved"
                )
            previous_sync: datetime | None = locked[0]
            mapping = repo.load_role_mapping(conn)
            plan = _Plan.build(conn, course, fetched, mapping, previous_sync)
            result.added = len(plan.new_members)
            result.updated = plan.updated
            result.deactivated = len(plan.deactivations)
            result.reactivated = plan.reactivated
            result.active_count = plan.active_after
            if not allow_mass_drop and self.policy.holds(plan.active_before, result.deactivated):
                result.held = True
                result.would_deactivate = plan.deactivations
                # Leaving the block by exception rolls the transaction back, releasing the lock.
                raise _Held(plan.active_before)
            plan.write(conn, result.run_id, course, context_id, title)
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == result.run_id)
                .values(
                    outcome="ok",
                    finished_at=plan.now,
                    pages=result.pages,
                    fetched=result.fetched,
                    added=result.added,
                    updated=result.updated,
                    deactivated=result.deactivated,
                    reactivated=result.reactivated,
                    active_count=result.active_count,
                )
            )
            result.ok = True
            return plan.active_before


class _Held(Exception):
    """Raised inside the write transaction to roll back a held sync."""

    def __init__(self, active_before: int) -> None:
        super().__init__()
        self.active_before = active_before


@dataclass(slots=True)
class _Plan:
    """The difference between the fetched and the stored roster, ready to write."""

    now: datetime
    platform_id: str
    new_members: list[tuple[Member, str, bool]] = field(default_factory=list)
    person_updates: list[tuple[Any, ...]] = field(default_factory=list)
    membership_updates: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[int, str, str | None, str | None]] = field(default_factory=list)
    deactivations: list[DroppedMember] = field(default_factory=list)
    updated: int = 0
    reactivated: int = 0
    active_before: int = 0
    active_after: int = 0

    @classmethod
    def build(
        cls,
        conn: Connection,
        course: repo.Course,
        fetched: dict[str, Member],
        mapping: RoleMapping,
        previous_sync: datetime | None,
    ) -> _Plan:
        plan = cls(now=repo.utcnow(), platform_id=course.platform_id)
        now = plan.now
        stored = conn.execute(
            select(*_STORED_COLUMNS)
            .select_from(memberships.join(people, people.c.id == memberships.c.person_id))
            .where(memberships.c.context_pk == course.id)
        )
        seen: set[str] = set()
        for (
            pid,
            user_id,
            name,
            given,
            family,
            email,
            raw_roles,
            role,
            test_user,
            lms_status,
            status,
            present,
        ) in stored:
            was_active = status == "active"
            plan.active_before += was_active
            member = fetched.get(user_id)
            if member is None:
                if was_active:
                    plan.membership_updates.append(
                        {
                            "p": pid,
                            "present": False,
                            "status": "inactive",
                            "last_seen_at": previous_sync or now,
                            "deactivated_at": now,
                        }
                    )
                    plan.deactivations.append(DroppedMember(user_id, name, email, role))
                    plan.changes.append((pid, "deactivated", role, None))
                elif present:
                    plan.membership_updates.append(
                        {"p": pid, "present": False, "last_seen_at": previous_sync or now}
                    )
                continue
            seen.add(user_id)
            mapped = mapping.map(member.roles)
            new_status = "active" if member.status == "Active" else "inactive"
            new_raw = repo.join_roles(member.roles)
            person_changed = (member.name, member.given_name, member.family_name, member.email) != (
                name,
                given,
                family,
                email,
            )
            if person_changed:
                plan.person_updates.append(
                    (member.name, member.given_name, member.family_name, member.email, pid)
                )
            role_changed = mapped.role.value != role
            data_changed = (
                role_changed or new_raw != raw_roles or mapped.test_user != bool(test_user)
            )
            plan.updated += person_changed or data_changed
            if data_changed or member.status != lms_status or new_status != status or not present:
                row: dict[str, Any] = {
                    "p": pid,
                    "present": True,
                    "status": new_status,
                    "lti_roles": new_raw,
                    "role": mapped.role.value,
                    "test_user": mapped.test_user,
                    "lms_status": member.status,
                    "last_seen_at": now,
                }
                if new_status != status:
                    row["deactivated_at"] = now if new_status == "inactive" else None
                plan.membership_updates.append(row)
            if role_changed:
                plan.changes.append((pid, "role_changed", role, mapped.role.value))
            if new_status == "active" and not was_active:
                plan.reactivated += 1
                plan.changes.append((pid, "reactivated", None, mapped.role.value))
            elif new_status == "inactive" and was_active:
                plan.deactivations.append(DroppedMember(user_id, member.name, member.email, role))
                plan.changes.append((pid, "deactivated", role, None))
            plan.active_after += new_status == "active"
        for user_id, member in fetched.items():
            if user_id not in seen:
                mapped = mapping.map(member.roles)
                active = member.status == "Active"
                plan.new_members.append((member, mapped.role.value, mapped.test_user))
                plan.active_after += active
        return plan

    def write(
        self,
        conn: Connection,
        run_id: int | None,
        course: repo.Course,
        context_id: str | None,
        title: str | None,
    ) -> None:
        now = self.now
        stamp = bulk.timestamp(conn, now)
        if self.new_members:
            bulk.insert_rows(
                conn,
                people,
                ("platform_id", "user_id", "name", "given_name", "family_name", "email"),
                [
                    (self.platform_id, m.user_id, m.name, m.given_name, m.family_name, m.email)
                    for m, _role, _test in self.new_members
                ],
                conflict=("platform_id", "user_id"),
                update=("name", "given_name", "family_name", "email"),
            )
            ids = _person_ids(conn, self.platform_id, [m.user_id for m, _r, _t in self.new_members])
            bulk.insert_rows(
                conn,
                memberships,
                (
                    "context_pk",
                    "person_id",
                    "lti_roles",
                    "role",
                    "test_user",
                    "lms_status",
                    "status",
                    "present",
                    "first_seen_at",
                    "last_seen_at",
                    "deactivated_at",
                ),
                [
                    (
                        course.id,
                        ids[m.user_id],
                        "\n".join(m.roles),
                        role,
                        test,
                        m.status,
                        "active" if m.status == "Active" else "inactive",
                        True,
                        stamp,
                        stamp,
                        None if m.status == "Active" else stamp,
                    )
                    for m, role, test in self.new_members
                ],
            )
            self.changes.extend(
                (ids[m.user_id], "added", None, role) for m, role, _test in self.new_members
            )
        bulk.update_rows(
            conn,
            people,
            ("name", "given_name", "family_name", "email"),
            ("id",),
            self.person_updates,
        )
        # Rows differ in which columns they set; group them by column set for executemany.
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in self.membership_updates:
            groups.setdefault(tuple(sorted(k for k in row if k != "p")), []).append(row)
        for columns, rows in groups.items():
            bulk.update_rows(
                conn,
                memberships,
                columns,
                ("context_pk", "person_id"),
                [
                    (
                        *(
                            bulk.timestamp(conn, v) if isinstance(v, datetime) else v
                            for v in (r[c] for c in columns)
                        ),
                        course.id,
                        r["p"],
                    )
                    for r in rows
                ],
            )
        if run_id is not None:
            bulk.insert_rows(
                conn,
                sync_changes,
                ("run_id", "person_id", "change", "old_role", "new_role"),
                [(run_id, pid, change, old, new) for pid, change, old, new in self.changes],
            )
        course_values: dict[str, Any] = {
            "last_synced_at": now,
            "last_status": "ok",
            "last_error": None,
        }
        if context_id and not course.context_id:
            course_values["context_id"] = context_id
        if title and not course.title:
            course_values["title"] = title
        conn.execute(update(contexts).where(contexts.c.id == course.id).values(**course_values))
