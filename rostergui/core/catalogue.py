"""The use cases of a whole catalogue: import courses in bulk, courses stored twice, find a person.

They are part of :class:`~rostergui.core.service.RosterService` (which inherits them), so both
front ends still call the service only; they live here to keep the service a size one can read.
Each opens its own connection, as the service's own calls do, so they are safe from any thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import Engine

from rostergui.core import course_import, import_run
from rostergui.core.connection import ClientOptions
from rostergui.core.course_import import ImportOutcome, ImportRow
from rostergui.core.import_run import DEFAULT_JOBS, ImportProgress
from rostergui.core.people import PeopleIndex, PersonMatch
from rostergui.core.secrets import SecretStore
from rostergui.core.store import people as people_store
from rostergui.core.store import repo
from rostergui.core.store.db import storage_errors


class CatalogueUseCases:
    """Bulk import, duplicates and Find person, for :class:`RosterService`."""

    engine: Engine
    secrets: SecretStore
    client_options: ClientOptions

    def plan_import(self, source: str | Path | bytes) -> list[ImportRow]:
        """Read a CSV file (a path, or its bytes) and check every row against the stored
        courses; nothing is saved. :class:`ConfigError` when the file as a whole is unusable
        (too large, not text, a column missing or unknown), else one :class:`ImportRow` per
        row, ``READY`` or saying why not (see :mod:`~rostergui.core.course_import`)."""
        data = source if isinstance(source, bytes) else course_import.read_import_file(source)
        with storage_errors("reading the courses"), self.engine.connect() as conn:
            stored = repo.list_courses(conn, include_archived=True)
        return course_import.plan_import(data, stored)

    def plan_tokens(self, text: str, base_url: str) -> list[ImportRow]:
        """Pasted launch tokens, one per line, on one LTIAAS address, as import rows; each is
        named after its course when imported."""
        return course_import.rows_from_tokens(text, base_url)

    def import_courses(
        self,
        rows: Sequence[ImportRow],
        *,
        api_keys: Mapping[str, str],
        check: bool = False,
        jobs: int = DEFAULT_JOBS,
        progress: ImportProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[ImportOutcome]:
        """Import the ready rows, each on its own, one :class:`ImportOutcome` per row in
        order. ``api_keys``: LTIAAS address → API key (:func:`course_import.origins` lists
        the addresses; :meth:`saved_api_key` offers the stored ones). With ``check`` every
        row's keys are tried with LTIAAS first; launch tokens always are. ``progress(done,
        total)`` is called from worker threads; ``cancel`` stops before the next row."""
        return import_run.import_courses(
            self.engine,
            self.secrets,
            self.client_options,
            rows,
            api_keys=api_keys,
            check=check,
            jobs=jobs,
            progress=progress,
            cancel=cancel,
        )

    def duplicate_courses(self) -> dict[str, str]:
        """Courses that are the same LMS course as another stored one (from before the check
        existed, or found by a first sync): name → the other course's name."""
        with storage_errors("reading the courses"), self.engine.connect() as conn:
            return repo.duplicate_courses(conn)

    def people_index(self) -> PeopleIndex:
        """Everyone in every course (removed ones kept for reference included), loaded in
        bulk for Find person; search it as often as needed, and load it again after a sync."""
        with storage_errors("reading the people"), self.engine.connect() as conn:
            courses = people_store.load_course_refs(conn)
            people = list(people_store.iter_people(conn))
            return PeopleIndex(courses, people, people_store.iter_memberships(conn))

    def search_people(self, text: str, *, limit: int | None = None) -> list[PersonMatch]:
        """The people matching ``text`` (see :meth:`PeopleIndex.search`), every one unless
        ``limit``."""
        return self.people_index().search(text, limit)
