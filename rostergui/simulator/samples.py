"""The sample courses: one per LMS quirk RosterSync has to cope with.

Everything is derived from the seed, so keys, ids and names are identical on
every run and the demo can print credentials that keep working.
"""

from __future__ import annotations

import random

from rostergui.simulator.members import (
    INSTITUTION,
    INSTRUCTOR,
    LEARNER,
    MEMBERSHIP,
    SYSTEM,
    TEACHING_ASSISTANT,
    Member,
    MemberSource,
)
from rostergui.simulator.model import PagingStyle, SimCourse, derive_secret
from rostergui.simulator.names import LOCALES, LOCALES_BY_CODE, ascii_fold
from rostergui.simulator.roster import Roster

TEST_USER = "http://purl.imsglobal.org/vocab/lti/system/person#TestUser"
LEARNER_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#Instructor"
MANAGER_OBSERVER = "http://purl.imsglobal.org/vocab/lis/v2/membership/Manager#Observer"
TA_LOWERCASE = "http://purl.imsglobal.org/vocab/lis/v2/membership/instructor#TeachingAssistant"
FACULTY = INSTITUTION + "Faculty"
STUDENT = INSTITUTION + "Student"

_AUTO = "\0auto"


def course_keys(seed: int, slug: str) -> tuple[str, str]:
    """Service key and ltik of a course: stable for a given seed and slug."""
    service_key = f"svc-{slug}-{derive_secret(seed, slug, 'service-key', 16)}"
    ltik = f"ltik-{derive_secret(seed, slug, 'ltik', 32)}"
    return service_key, ltik


class _RosterBuilder:
    """Collects hand-written members, numbering them with the course's id scheme."""

    def __init__(self, source: MemberSource, domain: str) -> None:
        self.source = source
        self.domain = domain
        self.members: list[Member] = []

    @property
    def next_serial(self) -> int:
        return len(self.members) + 1

    def person(
        self,
        given: str | None,
        family: str | None,
        roles: tuple[str, ...],
        *,
        name: str | None = None,
        email: str | None = _AUTO,
        status: str = "Active",
        picture: str | None = None,
        sourcedid: str | None = None,
    ) -> Member:
        serial = self.next_serial
        if name is None:
            name = " ".join(part for part in (given, family) if part)
        if email == _AUTO:
            local = ".".join(ascii_fold(p) for p in (given, family) if p)
            email = f"{local}@{self.domain}"
        member = Member(
            user_id=self.source.make_id(serial),
            roles=roles,
            name=name,
            given_name=given,
            family_name=family,
            email=email,
            status=status,
            picture=picture,
            sourcedid=sourcedid,
        )
        self.members.append(member)
        return member

    def generated(self, roles: tuple[str, ...]) -> Member:
        member = self.source.new_member(self.next_serial, roles)
        self.members.append(member)
        return member

    def roster(self) -> Roster:
        return Roster(self.source, self.members)


def _canvas_bio(seed: int) -> SimCourse:
    slug = "canvas-bio"
    origin = "https://bio.canvas.sim.example"
    rng = random.Random(f"{seed}:{slug}")
    source = MemberSource(
        salt=f"{seed}:{slug}",
        id_style="hex40",
        email_domain="students.sim-state.example",
        picture_base=f"{origin}/images/thumbnails",
        picture_permille=700,
    )
    b = _RosterBuilder(source, "sim-state.example")
    teacher = b.person(
        "Ada", "Whitfield", (INSTRUCTOR, FACULTY), picture=f"{origin}/images/thumbnails/1.png"
    )
    b.person("Marcus", "Chen", (INSTRUCTOR, TEACHING_ASSISTANT))
    b.person("Priya", "Raman", (INSTRUCTOR, TA_LOWERCASE))
    b.person("Tomás", "Herrera", (INSTRUCTOR, TEACHING_ASSISTANT))
    b.person("Dana", "Brooks", (MEMBERSHIP + "ContentDeveloper",))
    b.person("Linda", "Ångström", (MEMBERSHIP + "Mentor",))
    b.person("Roberto", "Núñez", (MEMBERSHIP + "Mentor",))
    b.person("Test", "Student", (LEARNER, TEST_USER), email=None)
    b.domain = "students.sim-state.example"
    learner = (LEARNER,)
    enrolled = (LEARNER, STUDENT)
    b.person("Zoë", "Ångström", enrolled)
    b.person("José", "Núñez", learner)
    b.person("小明", "王", learner, name="王小明", email=f"xiaoming.wang@{b.domain}")
    b.person("花子", "佐藤", learner, name="佐藤 花子", email=f"hanako.sato@{b.domain}")
    b.person("민준", "김", enrolled, name="김민준", email=f"minjun.kim@{b.domain}")
    b.person(
        "Αλέξανδρος",
        "Παπαδόπουλος",
        learner,
        email=f"alexandros.papadopoulos@{b.domain}",
    )
    b.person("Дмитрий", "Иванов", learner, email=None)
    b.person("محمد", "الأحمد", learner, email=None)
    b.person("Văn An", "Nguyễn", learner, name="Nguyễn Văn An")
    b.person("Søren", "Kierkegaard", learner, status="Inactive")
    b.person("Ólafur", "Arnalds", learner)
    b.person("प्रिया", "शर्मा", learner, email=f"priya.sharma@{b.domain}")
    b.person("Siobhán", "Ó Briain", enrolled)
    # Names a spreadsheet would run as formulas, or that need careful CSV quoting.
    b.person('=HYPERLINK("http://x","click")', None, learner, email=f"hyperlink@{b.domain}")
    b.person("+1", "Student", learner, status="Inactive")
    b.person("-Dash", "Name", learner, email=None)
    b.person("@Mention", None, learner, email=None)
    b.person("Pat", "O'Brien", learner, name="O'Brien, Pat")
    b.person('Robert "Bobby"', "Tables", learner)
    b.person("Grace", "Hopper", learner, name="Grace\nHopper")
    inactive_left = 2
    no_email_left = 2
    while len(b.members) < 120:
        roles = enrolled if rng.random() < 0.15 else learner
        member = b.generated(roles)
        if inactive_left and rng.random() < 0.05:
            b.members[-1] = member._replace(status="Inactive")
            inactive_left -= 1
        elif no_email_left and rng.random() < 0.05:
            b.members[-1] = member._replace(email=None)
            no_email_left -= 1
    # Keep the documented counts even if the dice were stingy.
    for pos in range(len(b.members) - 1, 0, -1):
        if not (inactive_left or no_email_left):
            break
        m = b.members[pos]
        if m.status == "Active" and m.email is not None:
            if inactive_left:
                b.members[pos] = m._replace(status="Inactive")
                inactive_left -= 1
            else:
                b.members[pos] = m._replace(email=None)
                no_email_left -= 1
    service_key, ltik = course_keys(seed, slug)
    return SimCourse(
        slug=slug,
        title="Introduction to Biology",
        label="BIO 101",
        context_id=derive_secret(seed, slug, "context", 40),
        platform_id="https://canvas.sim.example",
        platform_name="Sim State University",
        product="canvas",
        lms_origin=origin,
        service_key=service_key,
        ltik=ltik,
        resource_link_id=derive_secret(seed, slug, "resource-link", 40),
        roster=b.roster(),
        launch_user=teacher,
        nrps_path="/api/lti/courses/4201/names_and_roles",
        paging=PagingStyle("page", "page", "per_page"),
        field_style="camel",
        default_limit=10,
        max_limit=50,
        client_id="10000000000042",
        deployment_id="81:" + derive_secret(seed, "canvas", "deployment", 40),
        platform_version="cloud",
    )


def _moodle_chem(seed: int) -> SimCourse:
    slug = "moodle-chem"
    rng = random.Random(f"{seed}:{slug}")
    french = LOCALES_BY_CODE["fr"]
    locales = (french, french, french, french, *LOCALES)
    source = MemberSource(
        salt=f"{seed}:{slug}",
        id_style="numeric",
        numeric_base=100,
        email_domain="etu.univ-sim.example",
        locales=locales,
    )
    b = _RosterBuilder(source, "univ-sim.example")
    teacher = b.person("Hélène", "Lefèvre", ("urn:lti:role:ims/lis/Instructor",))
    b.person("Jérôme", "Côté", ("urn:lti:role:ims/lis/Instructor",))
    b.person("Anaïs", "Bélanger", ("Instructor",))
    for given, family in (("Théo", "Moreau"), ("Margaux", "Girard"), ("Étienne", "Rousseau")):
        b.person(given, family, ("urn:lti:role:ims/lis/TeachingAssistant",))
    while len(b.members) < 300:
        roles = ("urn:lti:role:ims/lis/Learner",) if rng.random() < 0.5 else ("Learner",)
        member = b.generated(roles)
        if rng.random() < 0.8:
            b.members[-1] = member._replace(sourcedid=f"2024{len(b.members):05d}")
    service_key, ltik = course_keys(seed, slug)
    return SimCourse(
        slug=slug,
        title="Chimie générale",
        label="CHM-1001",
        context_id="318",
        platform_id="https://moodle.sim.example",
        platform_name="Université de Sim",
        product="moodle",
        lms_origin="https://moodle.sim.example",
        service_key=service_key,
        ltik=ltik,
        resource_link_id="1207",
        roster=b.roster(),
        launch_user=teacher._replace(roles=(INSTRUCTOR, INSTITUTION + "Instructor")),
        nrps_path="/mod/lti/services.php/CourseSection/318/bindings/7/memberships",
        paging=PagingStyle("offset", "from", "limit"),
        field_style="snake",
        numeric_user_ids=True,
        default_limit=20,
        max_limit=100,
        resource_link_title="Liste des participants",
        client_id="Qm9vZGxlQ2xpZW50SWQ",
        deployment_id="3",
        platform_version="2024100700",
        locale="fr",
    )


def _bb_history(seed: int) -> SimCourse:
    slug = "bb-history"
    source = MemberSource(
        salt=f"{seed}:{slug}", id_style="uuid", email_domain="students.sim-college.example"
    )
    b = _RosterBuilder(source, "sim-college.example")
    teacher = b.person("Eleanor", "Vance", (INSTRUCTOR,))
    # Blackboard sends teaching assistants as plain instructors.
    b.person("Kwame", "Mensah", (INSTRUCTOR,))
    b.person("Ingrid", "Halvorsen", (INSTRUCTOR,))
    b.person("Sam", "Okafor", (SYSTEM + "Administrator",))
    b.person("Walter", "Grimes", ("http://example.edu/roles#Custodian",))
    while len(b.members) < 80:
        b.generated((LEARNER,))
    service_key, ltik = course_keys(seed, slug)
    return SimCourse(
        slug=slug,
        title="World History 1900–2000",
        label="HIST 210",
        context_id="_2714_1",
        platform_id="https://blackboard.sim.example",
        platform_name="Sim Community College",
        product="blackboard",
        lms_origin="https://blackboard.sim.example",
        service_key=service_key,
        ltik=ltik,
        resource_link_id="_88412_1",
        roster=b.roster(),
        launch_user=teacher,
        nrps_path="/learn/api/v1/lti/external/namesandroles/_2714_1",
        paging=PagingStyle("offset", "offset", "limit"),
        field_style="camel",
        send_status=False,
        default_limit=25,
        max_limit=100,
        client_id="6f1c3b6e-5a9d-4f6e-9c61-2f0b8d7e4a10",
        deployment_id="c4a2e1f0-7d3b-4c55-8e9a-1b2c3d4e5f60",
        platform_version="3900.96.0",
    )


def _edx_data(seed: int) -> SimCourse:
    slug = "edx-data"
    rng = random.Random(f"{seed}:{slug}")
    source = MemberSource(
        salt=f"{seed}:{slug}", id_style="hex32", email_domain="learners.edx.sim.example"
    )
    b = _RosterBuilder(source, "staff.edx.sim.example")
    teacher = b.person("Miriam", "Okonkwo", (INSTRUCTOR,))
    b.person("Jonas", "Weiß", (INSTRUCTOR, TEACHING_ASSISTANT))
    b.person("Aoife", "Breathnach", (INSTRUCTOR, TEACHING_ASSISTANT))
    b.domain = "learners.edx.sim.example"
    # A learner who helps teach: only the Learner sub-role, no principal role.
    b.person("Rahul", "Verma", (LEARNER_INSTRUCTOR,))
    b.person("Beatriz", "Lima", (MANAGER_OBSERVER,))
    while len(b.members) < 200:
        member = b.generated((LEARNER,))
        roll = rng.random()
        if roll < 0.10:
            # Learners who did not agree to share personal data: id and roles only.
            b.members[-1] = Member(member.user_id, member.roles)
        elif roll < 0.12:
            b.members[-1] = member._replace(status="Inactive")
    service_key, ltik = course_keys(seed, slug)
    return SimCourse(
        slug=slug,
        title="Data Science MicroMasters",
        label="DS-MM",
        context_id="course-v1:SimX+DS101+2024_T3",
        platform_id="https://edx.sim.example",
        platform_name="SimX",
        product="openedx",
        lms_origin="https://courses.edx.sim.example",
        service_key=service_key,
        ltik=ltik,
        resource_link_id="block-v1:SimX+DS101+2024_T3+type@lti_consumer+block@roster",
        roster=b.roster(),
        launch_user=teacher,
        nrps_path="/api/lti_consumer/v1/lti/9/memberships",
        paging=PagingStyle("cursor", "cursor", "cursor"),
        field_style="camel",
        ignores_limit=True,
        fixed_page_size=37,
        duplicate_across_pages=True,
        default_limit=37,
        max_limit=37,
        client_id="edx-lti-sim-client",
        deployment_id="1",
        platform_version="redwood",
    )


def _canvas_large(seed: int) -> SimCourse:
    slug = "canvas-large"
    origin = "https://psych.canvas.sim.example"
    source = MemberSource(
        salt=f"{seed}:{slug}",
        count=5000,
        id_style="hex40",
        email_domain="students.sim-state.example",
        staff=(
            (2, (INSTRUCTOR, FACULTY)),
            (12, (INSTRUCTOR, TEACHING_ASSISTANT)),
            (1, (MEMBERSHIP + "ContentDeveloper",)),
        ),
        institution_role=STUDENT,
        institution_permille=100,
        inactive_permille=20,
        no_email_permille=10,
        picture_base=f"{origin}/images/thumbnails",
        picture_permille=600,
    )
    service_key, ltik = course_keys(seed, slug)
    return SimCourse(
        slug=slug,
        title="Psychology 101 (all sections)",
        label="PSY 101",
        context_id=derive_secret(seed, slug, "context", 40),
        platform_id="https://canvas.sim.example",
        platform_name="Sim State University",
        product="canvas",
        lms_origin=origin,
        service_key=service_key,
        ltik=ltik,
        resource_link_id=derive_secret(seed, slug, "resource-link", 40),
        roster=Roster(source),
        launch_user=source.member(0),
        nrps_path="/api/lti/courses/5120/names_and_roles",
        paging=PagingStyle("page", "page", "per_page"),
        field_style="camel",
        default_limit=50,
        max_limit=100,
        client_id="10000000000042",
        deployment_id="81:" + derive_secret(seed, "canvas", "deployment", 40),
        platform_version="cloud",
    )


def mooc_course(seed: int = 7, count: int = 100_000, slug: str = "mooc-100k") -> SimCourse:
    """A generated MOOC of ``count`` members (the benchmark sizes its courses with this)."""
    source = MemberSource(
        salt=f"{seed}:{slug}",
        count=count,
        id_style="serial",
        email_domain="learners.mooc.sim.example",
        staff=((3, (INSTRUCTOR,)), (12, (INSTRUCTOR, TEACHING_ASSISTANT))),
        inactive_permille=5,
        no_email_permille=20,
    )
    service_key, ltik = course_keys(seed, slug)
    return SimCourse(
        slug=slug,
        title="Massive Open Course: Python for Everyone",
        label="PY4E",
        context_id="6606",
        platform_id="https://brightspace.sim.example",
        platform_name="Sim Open Learning",
        product="desire2learn",
        lms_origin="https://mooc.brightspace.sim.example",
        service_key=service_key,
        ltik=ltik,
        resource_link_id="38211",
        roster=Roster(source),
        launch_user=source.member(0),
        nrps_path="/d2l/api/lti/nrps/2.0/contexts/6606/memberships",
        paging=PagingStyle("offset", "skip", "take"),
        field_style="camel",
        default_limit=100,
        max_limit=100,
        client_id="3f0e8c51-2b7d-4a6e-b1c9-5d4e3f2a1b0c",
        deployment_id="e8a1c3d5-0b2f-4e6a-9c7d-1f3b5a7c9e0d",
        platform_version="20.24.10",
    )


def _no_roster(seed: int) -> SimCourse:
    slug = "no-roster"
    source = MemberSource(salt=f"{seed}:{slug}", id_style="numeric", numeric_base=4_810_000)
    b = _RosterBuilder(source, "sim-arts.example")
    teacher = b.person("Frida", "Morales", (INSTRUCTOR,))
    service_key, ltik = course_keys(seed, slug)
    return SimCourse(
        slug=slug,
        title="Studio Art Portfolio",
        label="ART 220",
        context_id="7712345",
        platform_id="https://schoology.sim.example",
        platform_name="Sim Arts Academy",
        product="schoology",
        lms_origin="https://schoology.sim.example",
        service_key=service_key,
        ltik=ltik,
        resource_link_id="991204",
        roster=b.roster(),
        launch_user=teacher,
        nrps_path="/lti/nrps/memberships",
        nrps_available=False,
        client_id="schoology-sim-client",
        deployment_id="42",
        platform_version="2024",
    )


def sample_courses(seed: int = 7) -> list[SimCourse]:
    """Fresh sample courses (new mutable objects on every call)."""
    return [
        _canvas_bio(seed),
        _moodle_chem(seed),
        _bb_history(seed),
        _edx_data(seed),
        _canvas_large(seed),
        mooc_course(seed),
        _no_roster(seed),
    ]
