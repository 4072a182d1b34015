"""RosterSync's use cases in one place: what the command line and the window both call.

The service ties the store, the keyring, the LTIAAS client and the sync engine together, so a
course is added, synced, listed or exported the same way from every front end. It imports no Qt.

Its parts live beside it: typed input is checked by :mod:`~rostergui.core.input_checks`,
LTIAAS is reached through :mod:`~rostergui.core.connection`, and secrets change together with
database rows in the order :mod:`~rostergui.core.secret_changes` keeps, so a failure never
leaves a course without its keys or keys without a course.

Every secret that reaches the service (typed, from the environment, or handed out by LTIAAS) is
registered with :func:`~rostergui.core.redact.remember`.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine

from rostergui.core import connection, errors, export
from rostergui.core.catalogue import CatalogueUseCases
from rostergui.core.connection import ClientOptions, ConnectionCheck
from rostergui.core.input_checks import checked_base_url, checked_role_key
from rostergui.core.limits import DEFAULT_PAGE_SIZE, RetryPolicy
from rostergui.core.paths import data_dir, database_url
from rostergui.core.roles import RoleMapping, ToolRole
from rostergui.core.secret_changes import SecretChanges, delete_after_commit, remember_all
from rostergui.core.secrets import COURSE_SECRET_KINDS, SecretStore
from rostergui.core.states import AuthScheme, StatusFilter, Trigger
from rostergui.core.store import repo
from rostergui.core.store.db import Timeouts, open_database, storage_errors
from rostergui.core.sync import MassDropPolicy, ProgressCallback, SyncEngine, SyncResult

log = logging.getLogger(__name__)

# ClientOptions and ConnectionCheck live in connection.py; they are re-exported here for the
# front ends, the demo and the benchmarks, which import them from the service.
__all__ = ["ClientOptions", "ConnectionCheck", "RosterService"]


def _long_lived(check: ConnectionCheck, service_key: str | None) -> tuple[str | None, AuthScheme]:
    """The key a course keeps syncing with (the one LTIAAS handed out, else the one typed),
    and the scheme that follows: a service key, or only the launch token without one."""
    long_lived = check.service_key or (service_key.strip() if service_key else None)
    return long_lived, AuthScheme.SERVICE_KEY if long_lived else AuthScheme.LTIK


class RosterService(CatalogueUseCases):
    """One open database plus the keyring. Safe to share between threads: every call opens its
    own connection, and every sync its own HTTP client. Bulk import, courses stored twice and
    Find person are inherited from :class:`~rostergui.core.catalogue.CatalogueUseCases`."""

    def __init__(
        self,
        engine: Engine,
        secrets: SecretStore,
        *,
        client_options: ClientOptions | None = None,
        policy: MassDropPolicy | None = None,
        page_size: int | None = DEFAULT_PAGE_SIZE,
        data_directory: Path | None = None,
    ) -> None:
        self.engine = engine
        self.secrets = secrets
        self.client_options = client_options or ClientOptions()
        self.sync_engine = SyncEngine(engine, policy=policy, page_size=page_size)
        self.data_directory = data_directory
        with self._write("checking for interrupted syncs") as conn:
            interrupted = repo.mark_interrupted_runs(conn)
        if interrupted:
            log.warning("Marked %d interrupted sync(s) as failed", interrupted)

    @classmethod
    def open(
        cls,
        *,
        data_directory: str | Path | None = None,
        db_url: str | None = None,
        secrets: SecretStore | None = None,
        db_timeouts: Timeouts | None = None,
        **options: object,
    ) -> RosterService:
        """Open the database (``db_timeouts`` default to :meth:`Timeouts.from_env`)."""
        directory = data_dir(data_directory)
        engine = open_database(database_url(directory, db_url), db_timeouts)
        try:
            return cls(
                engine,
                secrets or SecretStore(),
                data_directory=directory,
                **options,  # type: ignore[arg-type]
            )
        except BaseException:
            engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _read(self, doing: str) -> Iterator[Connection]:
        with storage_errors(doing), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self, doing: str) -> Iterator[Connection]:
        with storage_errors(doing), self.engine.begin() as conn:
            yield conn

    # --- courses ------------------------------------------------------------------------

    def courses(self, *, include_archived: bool = False) -> list[repo.Course]:
        with self._read("reading the courses") as conn:
            return repo.list_courses(conn, include_archived=include_archived)

    def course(self, name: str) -> repo.Course:
        with self._read("reading the course") as conn:
            return repo.get_course(conn, name)

    def saved_api_key(self, base_url: str) -> str | None:
        """The API key already stored for this LTIAAS host, to offer when adding a course."""
        try:
            return self.secrets.get_api_key(checked_base_url(base_url))
        except errors.ConfigError:
            return None

    def check_connection(
        self,
        base_url: str,
        api_key: str,
        *,
        service_key: str | None = None,
        ltik: str | None = None,
    ) -> ConnectionCheck:
        """Ask LTIAAS what these credentials reach, without saving anything (see
        :func:`~rostergui.core.connection.check_connection`)."""
        # Someone is waiting at a dialog or a prompt: one try, so an unreachable host or a
        # busy LTIAAS is said at once (a sync, which nobody watches, retries).
        options = dataclasses.replace(self.client_options, retry=RetryPolicy(attempts=1))
        return connection.check_connection(
            options, base_url, api_key, service_key=service_key, ltik=ltik
        )

    def add_course(
        self,
        name: str,
        base_url: str,
        api_key: str,
        *,
        service_key: str | None = None,
        ltik: str | None = None,
        platform_id: str | None = None,
        check: ConnectionCheck | None = None,
    ) -> tuple[repo.Course, ConnectionCheck]:
        """Verify the credentials with LTIAAS, then save the course and its secrets.

        Nothing is saved when LTIAAS refuses the keys. A course whose roster service is
        missing is saved (its state is recorded and shown) so the admin can fix the LMS side.
        """
        remember_all(api_key, service_key, ltik)
        self.secrets.check()
        base = checked_base_url(base_url)
        # Checked before LTIAAS is asked, and again when saving (another program may add it).
        with self._read("checking the name") as conn:
            name = repo.check_name_free(conn, name)
        check = check or self.check_connection(base, api_key, service_key=service_key, ltik=ltik)
        remember_all(check.service_key)
        long_lived, scheme = _long_lived(check, service_key)
        changes = SecretChanges(self.secrets)
        try:
            with self._write("saving the course") as conn:
                course = repo.add_course(
                    conn,
                    name=name,
                    base_url=base,
                    platform_id=(platform_id or check.platform_id).strip(),
                    auth_scheme=scheme,
                    context_id=check.context_id,
                    title=check.title,
                    label=check.label,
                    resource_link_id=check.resource_link_id,
                    roster_available=check.roster_available,
                )
                # Inside the transaction: if the keyring fails, the course is not saved either.
                changes.set_keys(base, api_key, course.uid, service_key=long_lived, ltik=ltik)
        except BaseException:
            changes.undo()  # the row is not saved: no secrets for it, the old API key back
            raise
        log.info("Added course %s (%s)", course.name, check.describe())
        return course, check

    def update_course(
        self,
        name: str,
        *,
        new_name: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        service_key: str | None = None,
        ltik: str | None = None,
    ) -> tuple[repo.Course, ConnectionCheck | None]:
        """Rename a course or give it new keys (a refreshed launch token, a new service key,
        another LTIAAS address). New credentials are checked with LTIAAS first and must reach
        the same course; nothing changes when they are refused."""
        remember_all(api_key, service_key, ltik)
        course = self.course(name)
        check: ConnectionCheck | None = None
        base = checked_base_url(base_url) if base_url else course.base_url
        values: dict[str, object] = {}
        if new_name is not None and new_name.strip() != course.name:
            with self._read("checking the name") as conn:
                values["name"] = repo.check_name_free(conn, new_name)
        credentials_change = bool(api_key or service_key or ltik or base != course.base_url)
        key = ""
        long_lived: str | None = None
        if credentials_change:
            self.secrets.check()
            key = (api_key or "").strip() or self.secrets.get_api_key(base) or ""
            if not key:
                raise errors.ConfigError(f"Enter the LTIAAS API key for {base}")
            secret = (service_key or "").strip() or None
            checked_ltik = ltik
            if not secret and not ltik:
                # Empty key fields keep the saved keys: the service key, or for a course that
                # syncs with its launch token alone, that token.
                secret = self.secrets.get_course_secret(course.uid, AuthScheme.SERVICE_KEY)
                if not secret and course.auth_scheme == AuthScheme.LTIK:
                    checked_ltik = self.secrets.get_course_secret(course.uid, AuthScheme.LTIK)
            check = self.check_connection(base, key, service_key=secret, ltik=checked_ltik)
            with self._read("checking the course") as conn:  # another course holds it?
                repo.check_course_free(
                    conn, course.name, check.platform_id, check.context_id, except_pk=course.id
                )
            if course.context_id and check.context_id and check.context_id != course.context_id:
                raise errors.ConfigError(
                    f"These keys reach the course '{check.title or check.context_id}', not "
                    f"'{course.title or course.name}'; add it as a new course instead"
                )
        if check is not None:
            long_lived, scheme = _long_lived(check, service_key)
            values.update(
                base_url=base,
                auth_scheme=scheme,
                roster_available=check.roster_available,
                context_id=course.context_id or check.context_id,
                title=course.title or check.title,
            )
            if check.resource_link_id:
                values["resource_link_id"] = check.resource_link_id
        changes = SecretChanges(self.secrets)
        try:
            with self._write("saving the course") as conn:
                if values:
                    repo.update_course(conn, course.id, **values)
                if check is not None:
                    changes.set_keys(base, key, course.uid, service_key=long_lived, ltik=ltik)
                updated = repo.get_course_by_id(conn, course.id)
                old_key_unused = base != course.base_url and not repo.courses_on(
                    conn, course.base_url
                )
        except BaseException:
            changes.undo()  # nothing was saved: the course keeps the keys it had
            raise
        log.info("Updated course %s", updated.name)
        if old_key_unused:
            delete_after_commit(
                f"Updated '{updated.name}'",
                [
                    (
                        self.secrets.api_key_account(course.base_url),
                        lambda: self.secrets.delete_api_key(course.base_url),
                    )
                ],
            )
        return updated, check

    def remove_course(self, name: str, *, keep_roster: bool = False) -> None:
        """Remove a course, then its secrets. The shared API key goes with the last course of
        its LTIAAS host.

        The secrets are deleted only once the database change is committed: a locked or
        read-only database leaves the course as it was, keys included. A key that cannot be
        deleted afterwards raises :class:`SecretsError` saying the course is gone and which
        keyring entries may remain.
        """
        course = self.course(name)
        # Removing an already archived course deletes the roster it kept.
        keep_roster = keep_roster and course.archived_at is None
        with self._write("removing the course") as conn:
            repo.remove_course(conn, course.id, keep_roster=keep_roster)
            api_key_unused = not repo.courses_on(conn, course.base_url)
        log.info("Removed course %s (roster %s)", name, "kept" if keep_roster else "deleted")
        store = self.secrets
        deletions: list[tuple[str, Callable[[], None]]] = [
            (
                store.course_account(course.uid, kind),
                functools.partial(store.delete_course_secret, course.uid, kind),
            )
            for kind in COURSE_SECRET_KINDS
        ]
        if api_key_unused:
            deletions.append(
                (
                    store.api_key_account(course.base_url),
                    lambda: store.delete_api_key(course.base_url),
                )
            )
        kept = " (its roster is kept)" if keep_roster else ""
        delete_after_commit(f"Removed '{course.name}'{kept}", deletions)

    # --- syncing ------------------------------------------------------------------------

    def sync(
        self,
        name: str,
        *,
        allow_mass_drop: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        trigger: Trigger = Trigger.MANUAL,
        synced_since: datetime | None = None,
    ) -> SyncResult:
        """Sync one course. ``synced_since`` (naive UTC, like the store's times): skip it when
        its last successful sync finished at or after that moment (``Outcome.SKIPPED``). A
        course another process or thread is syncing is ``Outcome.BUSY``, not a failure."""
        try:
            course = self.course(name)
        except errors.RosterSyncError as exc:
            return SyncResult(name=name, error=exc.message, error_kind=exc.kind)
        return self.sync_engine.sync(
            course,
            connection.course_connector(self.secrets, self.client_options, course),
            allow_mass_drop=allow_mass_drop,
            progress=progress,
            cancel=cancel,
            trigger=trigger,
            synced_since=synced_since,
        )

    # --- reading ------------------------------------------------------------------------

    def members(
        self,
        name: str,
        *,
        role: ToolRole | None = None,
        status: StatusFilter = StatusFilter.ACTIVE,
        search: str | None = None,
    ) -> list[repo.MemberRow]:
        with self._read("reading the roster") as conn:
            course = repo.get_course(conn, name)
            return repo.load_members(conn, course, role=role, status=status, search=search)

    def export(
        self,
        name: str,
        output: str | Path,
        *,
        role: ToolRole | None = None,
        status: StatusFilter = StatusFilter.ACTIVE,
        search: str | None = None,
        overwrite: bool = True,
    ) -> int:
        """Write the course's members to a CSV file; an existing file only with ``overwrite``
        (a device, a pipe or a folder never: see :mod:`~rostergui.core.export`)."""
        export.check_target(output, overwrite=overwrite)  # before the roster is loaded
        rows = self.members(name, role=role, status=status, search=search)
        return export.write_csv(rows, output, overwrite=overwrite)

    def history(self, name: str, *, limit: int = 200) -> list[repo.SyncRun]:
        with self._read("reading the sync history") as conn:
            return repo.list_runs(conn, repo.get_course(conn, name), limit=limit)

    def changes(self, run_id: int) -> list[repo.Change]:
        with self._read("reading the sync history") as conn:
            return repo.run_changes(conn, run_id)

    # --- role mapping -------------------------------------------------------------------

    def role_mapping(self) -> RoleMapping:
        with self._read("reading the role mapping") as conn:
            return repo.load_role_mapping(conn)

    def set_role_rule(self, lti_role: str, tool_role: ToolRole) -> int:
        """Store an override and re-map every stored member; returns how many changed."""
        key = checked_role_key(lti_role)
        with self._write("saving the role mapping") as conn:
            repo.set_role_rule(conn, key, tool_role)
            return repo.remap_roles(conn, repo.load_role_mapping(conn))

    def reset_role_rules(self) -> int:
        with self._write("resetting the role mapping") as conn:
            repo.reset_role_rules(conn)
            return repo.remap_roles(conn, repo.load_role_mapping(conn))

    # --- for the front ends, so that they need nothing but the service -------------------
    # (added at the end of the class on purpose: a self-contained block to move as a whole)

    def check_keyring(self) -> None:
        """Raise :class:`~rostergui.core.errors.KeyringUnavailableError` unless the keyring
        can hold secrets (before anyone is asked to type one)."""
        self.secrets.check()

    def move_course(
        self,
        name: str,
        base_url: str,
        api_key: str,
        *,
        service_key: str | None = None,
        ltik: str | None = None,
    ) -> repo.Course:
        """Point a course at another LTIAAS address with these keys, without asking LTIAAS
        (the demo's simulator listens on a new port at every start, and its keyring starts
        empty). The keys are written with the row, as in :meth:`update_course`."""
        remember_all(api_key, service_key, ltik)
        base = checked_base_url(base_url)
        course = self.course(name)
        changes = SecretChanges(self.secrets)
        try:
            with self._write("saving the course") as conn:
                repo.update_course(conn, course.id, base_url=base)
                changes.set_keys(base, api_key, course.uid, service_key=service_key, ltik=ltik)
                return repo.get_course_by_id(conn, course.id)
        except BaseException:
            changes.undo()
            raise

    @staticmethod
    def describe_database(data_directory: Path, db_url: str | None = None) -> str:
        """The database :meth:`open` uses for these arguments, with any password hidden."""
        from rostergui.core.store.db import describe_url

        return describe_url(database_url(data_directory, db_url))

    @staticmethod
    def keyring_report(secrets: SecretStore | None = None) -> tuple[str, str]:
        """The keyring backend, and ``"usable"`` or why it is not (works without a database)."""
        store = secrets or SecretStore()
        try:
            store.check()
        except errors.RosterSyncError as exc:
            return store.describe(), exc.message
        return store.describe(), "usable"
