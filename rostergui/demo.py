"""The built-in demo: the simulator, a throw-away data directory and a private keyring.

``rostergui demo`` shows every state of the app within a minute without touching the admin's
real data or keyring: one course synced, one that failed (no roster service), one whose key is
rejected, several never synced, and a large one. Qt-free, and free of any front end's words, so
the window and the command line's ``demo --headless`` share it; each shows it in its own way.

``demo --catalogue`` adds a whole catalogue of 2,000 small courses beside them
(:mod:`rostergui.demo_catalogue`), imported in bulk at the start; syncing them all takes a few
minutes, so each front end syncs them after it is up (the window in the background).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rostergui.core import errors
from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import ConnectionCheck, RosterService
from rostergui.core.states import AuthScheme, Trigger
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from rostergui.simulator.samples import sample_courses

if TYPE_CHECKING:
    from rostergui.core.sync import SyncResult
    from rostergui.simulator.model import SimCourse

log = logging.getLogger(__name__)

# (course name shown in the app, simulator slug, how it is added)
DEMO_COURSES: tuple[tuple[str, str, str], ...] = (
    ("Biology 101", "canvas-bio", AuthScheme.SERVICE_KEY),
    ("Chimie générale", "moodle-chem", AuthScheme.LTIK),
    ("World History", "bb-history", AuthScheme.SERVICE_KEY),
    ("Data Science", "edx-data", AuthScheme.LTIK),
    ("Psychology (all sections)", "canvas-large", AuthScheme.SERVICE_KEY),
    ("Python for Everyone (100k)", "mooc-100k", AuthScheme.SERVICE_KEY),
    ("Studio Art Portfolio", "no-roster", AuthScheme.LTIK),
)
REVOKED_NAME = "Physics Lab (revoked key)"
SYNC_AT_START = ("Biology 101", "Studio Art Portfolio", REVOKED_NAME)


@dataclass
class Demo:
    simulator: Simulator
    service: RosterService
    data_directory: Path
    throwaway: bool
    notes: list[str] = field(default_factory=list)
    #: The catalogue's courses, when the demo has one (``--catalogue``), to sync once up.
    catalogue: list[str] = field(default_factory=list)

    def samples_to_sync(self) -> list[str]:
        """The courses left to sync after the start: all but those synced at the start and
        the 100k one, which takes a while."""
        skip = {*SYNC_AT_START, *self.catalogue}
        return [
            c.name for c in self.service.courses() if c.name not in skip and "100k" not in c.name
        ]

    def sync_catalogue(self) -> list[SyncResult]:
        """Sync the catalogue's courses a few at once (minutes: 2,000 courses)."""
        from rostergui.demo_catalogue import sync_many

        return sync_many(self.service, self.catalogue)

    def close(self) -> None:
        self.service.close()
        self.simulator.stop()
        if self.throwaway:
            shutil.rmtree(self.data_directory, ignore_errors=True)


def new_demo_directory() -> Path:
    """A throw-away data directory for one demo run (removed when the demo closes)."""
    return Path(tempfile.mkdtemp(prefix="rostersync-demo-"))


def start_demo(
    data_directory: str | Path | None = None,
    *,
    throwaway: bool | None = None,
    db_url: str | None = None,
    sync_at_start: bool = True,
    latency: float = 0.005,
    catalogue: int = 0,
) -> Demo:
    """Start the simulator and a service with the sample courses added (idempotent); with
    ``catalogue``, that many catalogue courses too (imported, not synced yet; the command
    line's ``--catalogue`` asks for :data:`~rostergui.demo_catalogue.CATALOGUE_SIZE`)."""
    extra: list[SimCourse] = []
    if catalogue:
        from rostergui.demo_catalogue import catalogue_courses

        extra = catalogue_courses(count=catalogue)
    simulator = Simulator(
        churn=True, latency=latency, courses=[*sample_courses(), *extra] if extra else None
    )
    simulator.start("127.0.0.1", 0)
    if throwaway is None:
        throwaway = data_directory is None
    directory = Path(data_directory) if data_directory else new_demo_directory()
    secrets = SecretStore(MemoryKeyring())
    try:
        service = RosterService.open(data_directory=directory, db_url=db_url, secrets=secrets)
    except BaseException:
        simulator.stop()
        raise
    demo = Demo(simulator, service, directory, throwaway)
    try:
        _add_courses(demo)
        if extra:
            from rostergui.demo_catalogue import add_catalogue

            demo.catalogue, notes = add_catalogue(service, simulator.base_url, extra)
            demo.notes.extend(notes)
        if sync_at_start:
            for name in SYNC_AT_START:
                result = service.sync(name, trigger=Trigger.DEMO)
                log.info("Demo start-up sync of %s: %s", name, result.outcome)
    except BaseException:
        demo.close()
        raise
    return demo


def _add_courses(demo: Demo) -> None:
    service, sim = demo.service, demo.simulator
    existing = {c.name: c for c in service.courses()}
    for name, slug, scheme in DEMO_COURSES:
        course = sim.course(slug)
        if name in existing:
            # A kept demo data directory: the simulator has a new port and the private keyring
            # is empty, so point the course at it and store its secrets again.
            service.move_course(
                name,
                sim.base_url,
                DEFAULT_API_KEY,
                service_key=course.service_key,
                ltik=course.ltik,
            )
            continue
        try:
            if scheme == AuthScheme.LTIK:
                service.add_course(name, sim.base_url, DEFAULT_API_KEY, ltik=course.ltik)
            else:
                service.add_course(
                    name, sim.base_url, DEFAULT_API_KEY, service_key=course.service_key
                )
        except errors.RosterSyncError as exc:
            demo.notes.append(f"{name}: {exc.message}")
    if REVOKED_NAME not in existing:
        # Added as if its key had worked once, then revoked: syncs get LTIAAS's 401.
        bio = sim.course("canvas-bio")
        check = ConnectionCheck(bio.platform_id, None, "phys-lab", "Physics Lab", None, None, True)
        service.add_course(
            REVOKED_NAME,
            sim.base_url,
            DEFAULT_API_KEY,
            service_key="revoked-service-key",
            check=check,
        )
    else:
        service.move_course(
            REVOKED_NAME, sim.base_url, DEFAULT_API_KEY, service_key="revoked-service-key"
        )
