"""Importing planned rows (see :mod:`~rostergui.core.course_import`): each row on its own.

Three steps, so that the slow and the shared parts are each done once and in the right place:

1. **Ask LTIAAS** (a few rows at a time, :data:`MAX_JOBS` at most): a launch token is always
   resolved, since only LTIAAS knows its course, platform and service key, and a token expires
   within a day; with ``check`` every service key is tried too. A refusal refuses that row.
2. **Find duplicates** among what LTIAAS named: an LMS course already stored, or listed
   earlier under another row, is skipped with :class:`DuplicateCourseError`'s words.
3. **Save**, one row per transaction: the course row, then its keys inside the transaction,
   exactly as adding one course does, so a failure leaves neither the row nor a key
   (:class:`~rostergui.core.secret_changes.SecretChanges` puts back what was written). The
   API key of an LTIAAS address is written with the first row saved for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine

from rostergui.core import connection, errors
from rostergui.core.connection import ClientOptions, ConnectionCheck
from rostergui.core.course_import import ImportOutcome, ImportRow, RowOutcome
from rostergui.core.secret_changes import SecretChanges, remember_all
from rostergui.core.secrets import SecretStore
from rostergui.core.states import AuthScheme
from rostergui.core.store import repo
from rostergui.core.store.db import storage_errors

log = logging.getLogger("rostergui.core.service")

#: Rows checked with LTIAAS at once: enough to hide its latency, few enough not to be a load.
DEFAULT_JOBS, MAX_JOBS = 4, 8
#: ``progress(done, total)``: rows finished so far (checked, then saved) of all steps' work.
ImportProgress = Callable[[int, int], None]


@dataclass(slots=True, eq=False)
class _Pending:
    index: int
    row: ImportRow
    name: str
    check: ConnectionCheck | None = None


class _Run:
    def __init__(
        self,
        engine: Engine,
        secrets: SecretStore,
        options: ClientOptions,
        api_keys: Mapping[str, str],
        progress: ImportProgress | None,
        cancel: threading.Event | None,
    ) -> None:
        self.engine, self.secrets, self.options = engine, secrets, options
        self.api_keys = {origin: key.strip() for origin, key in api_keys.items() if key.strip()}
        remember_all(*self.api_keys.values())
        self.progress, self.cancel = progress, cancel
        self.outcomes: dict[int, ImportOutcome] = {}
        self.done = self.total = 0
        self._lock = threading.Lock()
        #: Addresses whose API key is already the one given (read once, then written once).
        self.key_stored: dict[str, bool] = {}

    def finish(self, pending: _Pending, outcome: RowOutcome, reason: str | None) -> None:
        check = pending.check
        self.outcomes[pending.index] = ImportOutcome(
            pending.row.row,
            pending.name,
            outcome,
            reason,
            base_url=pending.row.base_url,
            platform_id=check.platform_id if check else pending.row.platform_id,
            context_id=check.context_id if check else None,
        )

    def step(self) -> None:
        with self._lock:
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total)

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    # --- 1. LTIAAS ---------------------------------------------------------------------------

    def ask(self, pending: _Pending) -> str | None:
        """Check one row with LTIAAS; the reason it was refused, or ``None``."""
        if self.cancelled():
            return "not imported: the import was cancelled"
        row = pending.row
        try:
            pending.check = connection.check_connection(
                self.options,
                row.base_url,
                self.api_keys[row.base_url],
                service_key=row.service_key,
                ltik=row.ltik,
            )
        except errors.RosterSyncError as exc:
            return exc.message
        finally:
            self.step()
        return None

    def ask_all(self, pendings: Sequence[_Pending], jobs: int) -> list[_Pending]:
        if not pendings:
            return []
        workers = max(1, min(jobs, MAX_JOBS, len(pendings)))
        with ThreadPoolExecutor(workers, thread_name_prefix="import-check") as pool:
            reasons = list(pool.map(self.ask, pendings))
        kept = []
        for pending, reason in zip(pendings, reasons, strict=True):
            if reason is None:
                kept.append(pending)
            else:
                self.finish(pending, RowOutcome.REFUSED, reason)
        return kept

    # --- 2. duplicates -------------------------------------------------------------------

    def drop_duplicates(self, pendings: Sequence[_Pending]) -> list[_Pending]:
        with storage_errors("reading the courses"), self.engine.connect() as conn:
            stored = repo.list_courses(conn, include_archived=True)
        holders = {
            (c.platform_id, c.context_id): c.name
            for c in stored
            if c.context_id and c.archived_at is None
        }
        earlier: dict[tuple[str, str], _Pending] = {}
        names = {c.name for c in stored}
        kept = []
        for pending in pendings:
            check = pending.check
            if check is not None and check.context_id:
                key = (check.platform_id, check.context_id)
                shown = pending.name or check.title or check.context_id
                holder, first = holders.get(key), earlier.get(key)
                if holder is not None:
                    reason = repo.duplicate_message(shown, holder)
                elif first is not None:
                    reason = (
                        f"'{shown}' is the same LMS course as row {first.row.row} "
                        f"('{first.name}'); keep one of the two rows"
                    )
                else:
                    earlier[key] = pending
                    reason = None
                if reason is not None:
                    self.finish(pending, RowOutcome.SKIPPED, reason)
                    continue
            if not pending.name and check is not None:
                pending.name = _course_name(check, names)
            names.add(pending.name)
            kept.append(pending)
        return kept

    # --- 3. saving -----------------------------------------------------------------------

    def save(self, pending: _Pending) -> None:
        row, check = pending.row, pending.check
        api_key = self.api_keys[row.base_url]
        if row.base_url not in self.key_stored:
            self.key_stored[row.base_url] = self.secrets.get_api_key(row.base_url) == api_key
        service_key = (check.service_key if check else None) or row.service_key
        scheme = AuthScheme.SERVICE_KEY if service_key else AuthScheme.LTIK
        platform_id = row.platform_id or (check.platform_id if check else row.base_url)
        changes = SecretChanges(self.secrets)
        try:
            with storage_errors("saving the course"), self.engine.begin() as conn:
                course = repo.add_course(
                    conn,
                    name=pending.name,
                    base_url=row.base_url,
                    platform_id=platform_id,
                    auth_scheme=scheme,
                    context_id=check.context_id if check else None,
                    title=check.title if check else None,
                    label=check.label if check else None,
                    resource_link_id=check.resource_link_id if check else None,
                    roster_available=check.roster_available if check else None,
                )
                if not self.key_stored[row.base_url]:
                    changes.set_api_key(row.base_url, api_key)
                changes.set_new_course_keys(course.uid, service_key=service_key, ltik=row.ltik)
        except errors.DuplicateCourseError as exc:
            changes.undo()
            self.finish(pending, RowOutcome.SKIPPED, exc.message)
            return
        except errors.RosterSyncError as exc:
            changes.undo()
            taken = isinstance(exc, errors.ConfigError) and "already exists" in exc.message
            self.finish(pending, RowOutcome.SKIPPED if taken else RowOutcome.REFUSED, exc.message)
            return
        except BaseException:
            changes.undo()
            raise
        self.key_stored[row.base_url] = True
        note = None
        if check is not None and check.roster_available is False:
            note = "imported, but the roster service is not enabled for it in the LMS"
        elif scheme == AuthScheme.LTIK:
            note = (
                "imported; LTIAAS gave no service key, so syncs use the launch token, which "
                "expires after 24 hours"
            )
        self.finish(pending, RowOutcome.IMPORTED, note)


def _course_name(check: ConnectionCheck, taken: set[str]) -> str:
    """A name for a pasted launch token's course: its title, then with its label or context
    id, then numbered, whichever is free first."""
    title = (check.title or check.label or check.context_id or "Course").strip()[:150]
    tries = [title]
    for extra in (check.label, check.context_id):
        if extra and extra.strip() and extra.strip() != title:
            tries.append(f"{title} ({extra.strip()[:40]})")
    for candidate in tries:
        if candidate not in taken:
            return candidate
    number = 2
    while f"{title} ({number})" in taken:
        number += 1
    return f"{title} ({number})"


def import_courses(
    engine: Engine,
    secrets: SecretStore,
    options: ClientOptions,
    rows: Sequence[ImportRow],
    *,
    api_keys: Mapping[str, str],
    check: bool = False,
    jobs: int = DEFAULT_JOBS,
    progress: ImportProgress | None = None,
    cancel: threading.Event | None = None,
) -> list[ImportOutcome]:
    """Import the ready rows (see the module's docstring); one outcome per row, in row order.

    ``api_keys`` maps each LTIAAS address (as in :attr:`ImportRow.base_url`) to its API key;
    a row whose address has none is refused. Rows not ready keep their planned outcome.
    """
    run = _Run(engine, secrets, options, api_keys, progress, cancel)
    pendings: list[_Pending] = []
    for index, row in enumerate(rows):
        pending = _Pending(index, row, row.name)
        if not row.ready:
            run.finish(pending, row.state, row.reason)
        elif row.base_url not in run.api_keys:
            run.finish(
                pending,
                RowOutcome.REFUSED,
                f"no LTIAAS API key was given for {row.base_url}",
            )
        else:
            pendings.append(pending)
    if pendings:
        secrets.check()
    to_ask = [p for p in pendings if check or p.row.ltik]
    run.total = len(to_ask) + len(pendings)
    asking = set(map(id, to_ask))
    answered = set(map(id, run.ask_all(to_ask, jobs)))
    pendings = [p for p in pendings if id(p) in answered or id(p) not in asking]
    for pending in run.drop_duplicates(pendings):
        if run.cancelled():
            run.finish(pending, RowOutcome.REFUSED, "not imported: the import was cancelled")
            continue
        run.save(pending)
        run.step()
    imported = sum(o.outcome == RowOutcome.IMPORTED for o in run.outcomes.values())
    log.info("Imported %d of %d course rows", imported, len(rows))
    return [run.outcomes[index] for index in range(len(rows))]
