"""RosterSync's use cases in one place: what the command line and the window both call.

The service ties the store, the keyring, the LTIAAS client and the sync engine together, so a
course is added, synced, listed or exported the same way from every front end. It imports no Qt.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection, Engine

from rostergui.core import errors, export
from rostergui.core.ltiaas import Credentials, LtiaasClient, RetryPolicy, normalise_base_url
from rostergui.core.paths import data_dir, default_db_url
from rostergui.core.roles import RoleMapping, ToolRole, normalise_rule_key
from rostergui.core.secrets import SecretStore
from rostergui.core.store import repo
from rostergui.core.store.db import open_database, storage_errors
from rostergui.core.sync import MassDropPolicy, ProgressCallback, SyncEngine, SyncResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """What a "Test connection" learned, shown before a course is saved."""

    platform_id: str
    platform_name: str | None
    context_id: str | None
    title: str | None
    label: str | None
    resource_link_id: str | None
    roster_available: bool | None
    service_key: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        roster = {True: "available", False: "NOT available", None: "reachable"}[
            self.roster_available
        ]
        where = self.platform_name or self.platform_id
        return f"{self.title or self.context_id or 'course'} on {where}; roster service {roster}"


@dataclass(frozen=True, slots=True)
class ClientOptions:
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    transport: httpx.BaseTransport | None = None


class RosterService:
    """One open database plus the keyring. Safe to share between threads: every call opens its
    own connection, and every sync its own HTTP client."""

    def __init__(
        self,
        engine: Engine,
        secrets: SecretStore,
        *,
        client_options: ClientOptions | None = None,
        policy: MassDropPolicy | None = None,
        page_size: int | None = 100,
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
        **options: object,
    ) -> RosterService:
        directory = data_dir(data_directory)
        url = db_url or os.environ.get("ROSTERGUI_DB_URL") or default_db_url(directory)
        engine = open_database(url)
        return cls(
            engine,
            secrets or SecretStore(),
            data_directory=directory,
            **options,  # type: ignore[arg-type]
        )

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
            return self.secrets.get_api_key(normalise_base_url(base_url))
        except errors.ConfigError:
            return None

    def _client(
        self,
        base_url: str,
        credentials: Credentials,
        cancel: threading.Event | None = None,
    ) -> LtiaasClient:
        opts = self.client_options
        return LtiaasClient(
            base_url,
            credentials,
            timeout=opts.timeout,
            retry=opts.retry,
            cancel=cancel,
            transport=opts.transport,
        )

    def check_connection(
        self,
        base_url: str,
        api_key: str,
        *,
        service_key: str | None = None,
        ltik: str | None = None,
    ) -> ConnectionCheck:
        """Ask LTIAAS what these credentials reach, without saving anything.

        With a launch token the ID token names the platform, the course and whether the roster
        service is there (and hands out a long-lived service key). With only a service key, a
        one-member roster request proves the keys and names the course.
        """
        base = normalise_base_url(base_url)
        if not api_key.strip():
            raise errors.ConfigError("Enter the LTIAAS API key")
        if ltik:
            creds = Credentials(api_key.strip(), ltik.strip(), "ltik")
            with self._client(base, creds) as client:
                info = client.idtoken()
            return ConnectionCheck(
                platform_id=info.platform_id,
                platform_name=info.platform_name,
                context_id=info.context_id,
                title=info.context_title,
                label=info.context_label,
                resource_link_id=info.resource_link_id,
                roster_available=info.roster_available,
                service_key=info.service_key,
            )
        if not service_key or not service_key.strip():
            raise errors.ConfigError("Enter a service key or a launch token (ltik)")
        creds = Credentials(api_key.strip(), service_key.strip(), "service_key")
        try:
            with self._client(base, creds) as client:
                page = client.fetch_page(limit=1)
        except errors.RosterServiceUnavailableError:
            return ConnectionCheck(base, None, None, None, None, None, False)
        platform = base
        if page.page_url:
            parts = urlsplit(page.page_url)
            if parts.scheme and parts.netloc:
                platform = f"{parts.scheme}://{parts.netloc}"
        return ConnectionCheck(
            platform_id=platform,
            platform_name=None,
            context_id=page.context_id,
            title=page.context_title,
            label=None,
            resource_link_id=None,
            roster_available=True,
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
        self.secrets.check()
        base = normalise_base_url(base_url)
        check = check or self.check_connection(base, api_key, service_key=service_key, ltik=ltik)
        long_lived = check.service_key or (service_key.strip() if service_key else None)
        scheme = "service_key" if long_lived else "ltik"
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
            self.secrets.set_api_key(base, api_key.strip())
            if long_lived:
                self.secrets.set_course_secret(course.uid, "service_key", long_lived)
            if ltik:
                self.secrets.set_course_secret(course.uid, "ltik", ltik.strip())
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
        course = self.course(name)
        check: ConnectionCheck | None = None
        base = normalise_base_url(base_url) if base_url else course.base_url
        credentials_change = bool(api_key or service_key or ltik or base != course.base_url)
        key = ""
        long_lived: str | None = None
        if credentials_change:
            self.secrets.check()
            key = (api_key or "").strip() or self.secrets.get_api_key(base) or ""
            if not key:
                raise errors.ConfigError(f"Enter the LTIAAS API key for {base}")
            secret = (service_key or "").strip() or None
            if not secret and not ltik:
                secret = self.secrets.get_course_secret(course.uid, "service_key")
            check = self.check_connection(base, key, service_key=secret, ltik=ltik)
            if course.context_id and check.context_id and check.context_id != course.context_id:
                raise errors.ConfigError(
                    f"These keys reach the course '{check.title or check.context_id}', not "
                    f"'{course.title or course.name}'; add it as a new course instead"
                )
        values: dict[str, object] = {}
        if new_name and new_name.strip() != course.name:
            if not new_name.strip():
                raise errors.ConfigError("Give the course a name")
            with self._read("checking the name") as conn:
                if repo.find_course(conn, new_name.strip()) is not None:
                    raise errors.ConfigError(f"A course named '{new_name.strip()}' already exists")
            values["name"] = new_name.strip()
        if check is not None:
            long_lived = check.service_key or (service_key.strip() if service_key else None)
            values.update(
                base_url=base,
                auth_scheme="service_key" if long_lived else "ltik",
                roster_available=check.roster_available,
                context_id=course.context_id or check.context_id,
                title=course.title or check.title,
            )
            if check.resource_link_id:
                values["resource_link_id"] = check.resource_link_id
        with self._write("saving the course") as conn:
            if values:
                repo.update_course(conn, course.id, **values)
            if check is not None:
                self.secrets.set_api_key(base, key)
                if long_lived:
                    self.secrets.set_course_secret(course.uid, "service_key", long_lived)
                if ltik:
                    self.secrets.set_course_secret(course.uid, "ltik", ltik.strip())
            updated = repo.get_course_by_id(conn, course.id)
        if base != course.base_url and not any(
            c.base_url == course.base_url for c in self.courses()
        ):
            self.secrets.delete_api_key(course.base_url)
        log.info("Updated course %s", updated.name)
        return updated, check

    def remove_course(self, name: str, *, keep_roster: bool = False) -> None:
        """Remove a course and its secrets. The shared API key goes with the last course of
        its LTIAAS host."""
        course = self.course(name)
        self.secrets.delete_course_secrets(course.uid)
        # Removing an already archived course deletes the roster it kept.
        keep_roster = keep_roster and course.archived_at is None
        with self._write("removing the course") as conn:
            repo.remove_course(conn, course.id, keep_roster=keep_roster)
        if not any(c.base_url == course.base_url for c in self.courses()):
            self.secrets.delete_api_key(course.base_url)
        log.info("Removed course %s (roster %s)", name, "kept" if keep_roster else "deleted")

    # --- syncing ------------------------------------------------------------------------

    def _connect(self, course: repo.Course) -> Callable[[threading.Event], LtiaasClient]:
        def connect(cancel: threading.Event) -> LtiaasClient:
            api_key = self.secrets.get_api_key(course.base_url)
            if not api_key:
                raise errors.SecretMissingError(
                    f"The LTIAAS API key for {course.base_url} is not in this computer's "
                    f"keyring; give '{course.name}' its keys with Edit course (or "
                    "'rostergui contexts update')"
                )
            secret = self.secrets.get_course_secret(course.uid, course.auth_scheme)
            scheme = course.auth_scheme
            if not secret and scheme == "service_key":
                secret, scheme = self.secrets.get_course_secret(course.uid, "ltik"), "ltik"
            if not secret:
                raise errors.SecretMissingError(
                    f"The service key for '{course.name}' is not in this computer's keyring; "
                    "give it a fresh launch token with Edit course (or 'rostergui contexts "
                    "update')"
                )
            creds = Credentials(api_key, secret, "ltik" if scheme == "ltik" else "service_key")
            return self._client(course.base_url, creds, cancel)

        return connect

    def sync(
        self,
        name: str,
        *,
        allow_mass_drop: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        trigger: str = "manual",
    ) -> SyncResult:
        try:
            course = self.course(name)
        except errors.RosterSyncError as exc:
            return SyncResult(name=name, error=exc.message, error_kind=exc.kind)
        return self.sync_engine.sync(
            course,
            self._connect(course),
            allow_mass_drop=allow_mass_drop,
            progress=progress,
            cancel=cancel,
            trigger=trigger,
        )

    # --- reading ------------------------------------------------------------------------

    def members(
        self,
        name: str,
        *,
        role: ToolRole | None = None,
        status: str = "active",
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
        status: str = "active",
        search: str | None = None,
    ) -> int:
        rows = self.members(name, role=role, status=status, search=search)
        return export.write_csv(rows, output)

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
        key = normalise_rule_key(lti_role)
        with self._write("saving the role mapping") as conn:
            repo.set_role_rule(conn, key, tool_role)
            return repo.remap_roles(conn, repo.load_role_mapping(conn))

    def reset_role_rules(self) -> int:
        with self._write("resetting the role mapping") as conn:
            repo.reset_role_rules(conn)
            return repo.remap_roles(conn, repo.load_role_mapping(conn))
