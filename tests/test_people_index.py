"""Find person: the index finds what a plain scan finds, the same person is one person, and
the database load gives every course a person is or was in (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, update

from rostergui.core.filtering import SearchQuery, fold
from rostergui.core.people import PeopleIndex
from rostergui.core.service import RosterService
from rostergui.core.states import AuthScheme, CourseStatus, MemberStatus
from rostergui.core.store.people import CourseRef
from rostergui.core.store.schema import contexts, memberships, people
from rostergui.simulator import Simulator
from tests.conftest import add_sim_course

NOW = datetime(2026, 12, 1, 12, 0)
EARLIER = NOW - timedelta(days=30)
COURSES = {1: CourseRef("Bio", NOW, False), 2: CourseRef("Chem", NOW, False)}
PEOPLE = [
    (10, "https://canvas", "u1", "José Núñez", None, None, "jose@uni.example"),
    (11, "https://moodle", "u1", "Ana López", None, None, "jose@uni.example"),  # same e-mail
    (12, "https://canvas", "u2", None, "Zoë", "Ångström", None),
    (13, "https://canvas", "u3", "Nobody Enrolled", None, None, None),  # no membership
]
MEMBERSHIPS = [
    (10, 1, "Learner", MemberStatus.ACTIVE, None),
    (10, 2, "Teaching Assistant", MemberStatus.INACTIVE, EARLIER),
    (11, 2, "Instructor", MemberStatus.ACTIVE, None),
    (12, 1, "Learner", MemberStatus.ACTIVE, None),
]


@pytest.fixture
def index() -> PeopleIndex:
    return PeopleIndex(COURSES, PEOPLE, MEMBERSHIPS)


def test_accents_case_and_word_order_are_optional(index: PeopleIndex) -> None:
    for text in ("jose nunez", "NÚÑEZ josé", "nun jo"):
        assert [p.name for p in index.search(text)] == ["José Núñez"]
    assert [p.name for p in index.search("angstrom zoe")] == ["Zoë Ångström"]
    assert [p.user_id for p in index.search("u2")] == ["u2"]
    assert index.search("") == [] and index.search("   ") == []
    assert index.search("jose", limit=0) == []


def test_people_are_the_same_by_platform_and_user_id_never_by_email(index: PeopleIndex) -> None:
    found = index.search("jose@uni.example")
    assert [(p.platform_id, p.user_id, p.name) for p in found] == [
        ("https://moodle", "u1", "Ana López"),
        ("https://canvas", "u1", "José Núñez"),
    ]
    (jose,) = index.search("josé núñez")
    assert [(c.course, c.role, c.status, c.last_seen_at) for c in jose.courses] == [
        ("Bio", "Learner", MemberStatus.ACTIVE, NOW),  # seen by the course's last sync
        ("Chem", "Teaching Assistant", MemberStatus.INACTIVE, EARLIER),  # when it went
    ]
    assert len(index) == 3  # the person in no course is not listed
    assert index.membership_count == 4


def test_limit_keeps_name_order(index: PeopleIndex) -> None:
    assert [p.name for p in index.search("u", limit=2)] == ["Ana López", "José Núñez"]
    assert len(index.search("u", limit=None)) == 3


def _naive(rows: list[tuple[str, str]], text: str) -> list[str]:
    query = SearchQuery(text)
    return sorted(user_id for haystack, user_id in rows if query.matches(haystack))


def test_the_index_finds_exactly_what_a_scan_finds() -> None:
    rng = random.Random(7)
    syllables = ["an", "jo", "sé", "mar", "ía", "lu", "ö", "ke", "ßa", "li", "ne", "ro"]
    people_rows, membership_rows, haystacks = [], [], []
    for pid in range(2_000):
        name = " ".join(
            "".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))).title()
            for _ in range(2)
        )
        email = f"{fold(name).replace(' ', '.')}{pid}@x.example"
        people_rows.append((pid, "https://p", f"id{pid}", name, None, None, email))
        membership_rows.append((pid, 1, "Learner", MemberStatus.ACTIVE, None))
        haystacks.append((f"{fold(name)}\x1f{fold(email)}\x1f{fold(f'id{pid}')}", f"id{pid}"))
    index = PeopleIndex({1: CourseRef("C", NOW, False)}, people_rows, membership_rows)
    for text in ("a", "jo", "mar ía", "ke li", "MARIA", "lu ro ne", "id12", "x.example 99", "zz"):
        found = sorted(p.user_id for p in index.search(text, limit=None))
        assert found == _naive(haystacks, text), text


def test_people_index_from_the_database_lists_every_course(
    service: RosterService, sim: Simulator
) -> None:
    add_sim_course(service, sim, "canvas-bio", "Bio")
    add_sim_course(service, sim, "moodle-chem", "Chem", ltik=True)
    assert service.sync("Bio").ok and service.sync("Chem").ok
    members = service.members("Bio")
    index = service.people_index()
    assert (
        index.membership_count
        == service.course("Bio").member_count + service.course("Chem").member_count
    )
    someone = members[0]
    (found,) = [
        p for p in index.search(someone.user_id, limit=None) if p.user_id == someone.user_id
    ]
    assert [c.course for c in found.courses] == ["Bio"]
    assert found.courses[0].last_seen_at == service.course("Bio").last_synced_at
    # The same LMS person in a second course on their platform: one person, two courses.
    bio = service.course("Bio")
    with service.engine.begin() as conn:
        uid = conn.execute(
            insert(contexts)
            .values(
                uid="00000000-0000-0000-0000-000000000001",
                name="Bio (old term)",
                base_url=bio.base_url,
                platform_id=bio.platform_id,
                context_id="old-term",
                auth_scheme=AuthScheme.SERVICE_KEY,
                created_at=EARLIER,
                last_status=CourseStatus.NEVER,
                archived_at=NOW,
            )
            .returning(contexts.c.id)
        ).scalar_one()
        person_id = conn.execute(
            people.select().where(
                people.c.platform_id == bio.platform_id, people.c.user_id == someone.user_id
            )
        ).one()[0]
        conn.execute(
            insert(memberships).values(
                context_pk=uid,
                person_id=person_id,
                lti_roles="Learner",
                role="Learner",
                status=MemberStatus.INACTIVE,
                present=False,
                first_seen_at=EARLIER,
                last_seen_at=EARLIER,
                deactivated_at=EARLIER,
            )
        )
        conn.execute(update(contexts).where(contexts.c.id == uid).values(last_synced_at=EARLIER))
    (found,) = [
        p
        for p in service.search_people(someone.user_id)
        if (p.platform_id, p.user_id) == (bio.platform_id, someone.user_id)
    ]
    assert [(c.course, c.status, c.archived) for c in found.courses] == [
        ("Bio", MemberStatus.ACTIVE, False),  # service.members lists active members
        ("Bio (old term)", MemberStatus.INACTIVE, True),
    ]
    assert found.courses[-1].last_seen_at == EARLIER
