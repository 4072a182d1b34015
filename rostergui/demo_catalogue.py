"""A whole catalogue for the demo: 2,000 courses on three simulated LMSes, most of them small.

``rostergui demo --catalogue`` adds these beside the sample courses, so that the course list,
its filter and grouping, and Find person can be tried at the size an admin of a whole tool's
catalogue has. The people are drawn from one pool per LMS, so the same student is in several
courses (Find person lists them all), and each LMS's user ids are its own.

Everything is derived from the seed, as the sample courses are. The courses are added the way
an admin would add them in bulk, through :meth:`RosterService.import_courses
<rostergui.core.catalogue.CatalogueUseCases.import_courses>`, and synced a few at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rostergui.core.course_import import ImportRow, RowOutcome
from rostergui.core.states import Trigger
from rostergui.simulator import DEFAULT_API_KEY
from rostergui.simulator.members import INSTRUCTOR, LEARNER, TEACHING_ASSISTANT, MemberSource
from rostergui.simulator.model import SimCourse
from rostergui.simulator.roster import Roster
from rostergui.simulator.samples import course_keys

if TYPE_CHECKING:
    from rostergui.core.service import RosterService
    from rostergui.core.sync import SyncResult

#: The catalogue's size: the issue's "2,000 courses".
CATALOGUE_SIZE = 2_000
#: Of each LMS's courses, one in this many has its roster service turned off (a failed sync),
#: and one in this many is left never synced.
NO_ROSTER_EVERY, NEVER_SYNCED_EVERY = 150, 60
#: Teachers and assistants per LMS.
STAFF = 80
#: Courses the headless demo syncs at once (SQLite takes the applies one at a time).
SYNC_JOBS = 4


@dataclass(frozen=True, slots=True)
class _Lms:
    slug: str
    platform_id: str
    name: str
    product: str
    email_domain: str
    people: int  # the pool the courses draw their students from


_LMSES = (
    _Lms("state", "https://canvas.state-u.sim.example", "State University", "canvas",
         "students.state-u.sim.example", 9_000),
    _Lms("college", "https://moodle.city-college.sim.example", "City College", "moodle",
         "city-college.sim.example", 4_000),
    _Lms("poly", "https://d2l.polytechnique.sim.example", "Polytechnique", "desire2learn",
         "etu.polytechnique.sim.example", 6_000),
)  # fmt: skip
_SUBJECTS = (
    "Biology", "Chemistry", "Physics", "Mathematics", "Statistics", "Computer Science",
    "History", "Économie", "Philosophy", "Psychology", "Sociology", "Anthropology",
    "Literature", "Linguistics", "Español", "Français", "Deutsch", "Art History", "Music",
    "Geography", "Nursing", "Law", "Engineering", "Architecture", "Astronomy", "Géologie",
)  # fmt: skip
_LEVELS = ("Introduction to", "Foundations of", "Topics in", "Advanced", "Seminar in")


def _size(rng: random.Random) -> int:
    """Most courses are small; a few are lecture halls."""
    draw = rng.random()
    if draw < 0.7:
        return rng.randint(4, 30)
    if draw < 0.95:
        return rng.randint(30, 120)
    return rng.randint(120, 400)


def catalogue_courses(seed: int = 7, count: int = CATALOGUE_SIZE) -> list[SimCourse]:
    """``count`` small courses spread over three LMSes, the same for the same seed."""
    rng = random.Random(f"{seed}:catalogue")
    pools = {
        lms.slug: MemberSource(salt=f"{seed}:catalogue:{lms.slug}", email_domain=lms.email_domain)
        for lms in _LMSES
    }
    courses = []
    for i in range(count):
        lms = _LMSES[i % len(_LMSES)]
        pool = pools[lms.slug]
        subject = _SUBJECTS[(i // len(_LMSES)) % len(_SUBJECTS)]
        number = 100 + (i * 37) % 400
        slug = f"cat-{lms.slug}-{i:04d}"
        label = f"{subject[:4].upper()} {number}-{i % 7 + 1:02d}"
        # The first serials are the staff of an LMS (each teaches several courses), the rest
        # its students (each in a few courses, as at a real school).
        staff = [pool.new_member(rng.randint(1, STAFF), (INSTRUCTOR,), learner=False)]
        if rng.random() < 0.3:
            assistant = pool.new_member(rng.randint(1, STAFF), (TEACHING_ASSISTANT,), learner=False)
            staff.append(assistant)
        serials = rng.sample(range(STAFF + 1, STAFF + 1 + lms.people), _size(rng))
        learners = [pool.new_member(serial, (LEARNER,)) for serial in serials]
        members = {m.user_id: m for m in (*staff, *learners)}  # a teacher is not also a TA
        service_key, ltik = course_keys(seed, slug)
        courses.append(
            SimCourse(
                slug=slug,
                title=f"{_LEVELS[i % len(_LEVELS)]} {subject}",
                label=label,
                context_id=f"{lms.slug}-{40_000 + i}",
                platform_id=lms.platform_id,
                platform_name=lms.name,
                product=lms.product,
                lms_origin=lms.platform_id,
                service_key=service_key,
                ltik=ltik,
                resource_link_id=f"rl-{i}",
                roster=Roster(pool, list(members.values()), next_serial=STAFF + 1 + lms.people),
                launch_user=staff[0],
                nrps_available=i % NO_ROSTER_EVERY != 7,
                default_limit=50,
                max_limit=200,
            )
        )
    return courses


def course_name(course: SimCourse) -> str:
    """The name a catalogue course gets in RosterSync: its code, then its title."""
    return f"{course.label} {course.title}"


def add_catalogue(
    service: RosterService, base_url: str, courses: list[SimCourse]
) -> tuple[list[str], list[str]]:
    """Import those of ``courses`` not stored yet, in bulk and without asking LTIAAS (their
    first sync learns each course's title). Returns the names of the courses to sync (all but
    one in :data:`NEVER_SYNCED_EVERY`, left never synced) and notes on rows not imported."""
    stored = {c.name: c for c in service.courses(include_archived=True)}
    for course in courses:
        kept = stored.get(course_name(course))
        if kept is not None and kept.base_url != base_url:
            # A kept demo folder: the simulator has a new port, the keyring starts empty.
            service.move_course(
                kept.name, base_url, DEFAULT_API_KEY, service_key=course.service_key
            )
    rows = [
        ImportRow(
            row=n + 2,
            name=course_name(c),
            base_url=base_url,
            service_key=c.service_key,
            platform_id=c.platform_id,
        )
        for n, c in enumerate(courses)
        if course_name(c) not in stored
    ]
    notes: list[str] = []
    if rows:
        outcomes = service.import_courses(rows, api_keys={base_url: DEFAULT_API_KEY})
        notes = [f"{o.name}: {o.reason}" for o in outcomes if o.outcome != RowOutcome.IMPORTED]
    to_sync = [course_name(c) for n, c in enumerate(courses) if n % NEVER_SYNCED_EVERY != 11]
    return to_sync, notes


def sync_many(service: RosterService, names: list[str]) -> list[SyncResult]:
    """Sync ``names`` a few at once (threads: each sync mostly waits on the simulator), for
    the headless demo; the window syncs them with its own queue instead."""
    from concurrent.futures import ThreadPoolExecutor

    def sync(name: str) -> SyncResult:
        return service.sync(name, trigger=Trigger.DEMO)

    with ThreadPoolExecutor(SYNC_JOBS, thread_name_prefix="demo-catalogue") as pool:
        return list(pool.map(sync, names))
