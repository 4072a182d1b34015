"""The built-in demo: the simulator, a throw-away data directory and a private keyring.

``rostergui demo`` shows every state of the app within a minute without touching the admin's
real data or keyring: one course synced, one that failed (no roster service), one whose key is
rejected, several never synced, and a large one. Qt-free, so the window and the headless demo
share it.
"""

from __future__ import annotations

import argparse
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
from rostergui.core.store import repo
from rostergui.simulator import DEFAULT_API_KEY, Simulator

if TYPE_CHECKING:
    from rostergui.cli import Console

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
) -> Demo:
    """Start the simulator and a service with the sample courses added (idempotent)."""
    simulator = Simulator(churn=True, latency=latency)
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
        if sync_at_start:
            for name in SYNC_AT_START:
                result = service.sync(name, trigger=Trigger.DEMO)
                log.info("Demo start-up sync: %s", result.summary())
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
            _refresh(
                service,
                existing[name].uid,
                sim.base_url,
                existing[name].name,
                course.service_key,
                course.ltik,
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
        _refresh(
            service,
            existing[REVOKED_NAME].uid,
            sim.base_url,
            REVOKED_NAME,
            "revoked-service-key",
            None,
        )


def _refresh(
    service: RosterService,
    uid: str,
    base_url: str,
    name: str,
    service_key: str | None,
    ltik: str | None,
) -> None:
    with service.engine.begin() as conn:
        course = repo.get_course(conn, name)
        repo.update_course(conn, course.id, base_url=base_url)
    service.secrets.set_api_key(base_url, DEFAULT_API_KEY)
    if service_key:
        service.secrets.set_course_secret(uid, AuthScheme.SERVICE_KEY, service_key)
    if ltik:
        service.secrets.set_course_secret(uid, AuthScheme.LTIK, ltik)


def run_headless_demo(args: argparse.Namespace, console: Console) -> int:
    """``rostergui demo --headless``: sync the samples (all but the 100k one) and report."""
    demo = start_demo(args.data_dir, db_url=args.db_url)
    try:
        console.print(f"Simulator at {demo.simulator.base_url}; data in {demo.data_directory}")
        for note in demo.notes:
            console.error(note)
        for course in demo.service.courses():
            if course.name in SYNC_AT_START or "100k" in course.name:
                continue
            console.print(demo.service.sync(course.name, trigger=Trigger.DEMO).summary())
        console.print("")
        for course in demo.service.courses():
            synced = (
                course.last_synced_at.isoformat(" ", "seconds") if course.last_synced_at else ""
            )
            console.print(
                f"{course.name:<30} {course.last_status:<7} {course.active_count:>6} active  "
                f"{synced}  {course.last_error or ''}".rstrip()
            )
    finally:
        demo.close()
    return 0
