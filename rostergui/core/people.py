"""Find a person across every course: an in-memory index searched at each keystroke.

A person is the same person when the platform and the LMS user id match, never by e-mail
(two LMSes may give one address to two people, and one person may change address). The index
is loaded once, in bulk (:func:`load_people_index`), and then answers without the database:
over 2,000 courses and 500,000 memberships a keystroke must be answered in tens of
milliseconds, which per-course queries or a Python loop over every row cannot do.

How it is fast: every person's folded name, e-mail and user id (see
:mod:`~rostergui.core.filtering`) are joined, in name order, into one string. A search looks
for its longest word with ``str.find`` (a C scan), maps each hit to its person by bisecting the
start offsets, and checks the other words on that person's text only. Hits arrive in name
order, so a query that matches many people stops as soon as ``limit`` are found. Memberships
are kept in flat arrays, a person's courses one run in them, and made into objects only for the
people shown.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rostergui.core.filtering import SearchQuery, fold
from rostergui.core.states import MemberStatus
from rostergui.core.store.people import CourseRef

#: Between two people's texts: a character no folded name, e-mail or user id holds.
_SEPARATOR = "\x00"


@dataclass(frozen=True, slots=True)
class PersonCourse:
    """One course a person is or was in: their tool role and status there, and when the LMS
    last listed them (the course's last sync, for members that sync saw)."""

    course: str
    role: str
    status: str
    last_seen_at: datetime
    #: The course was removed with its roster kept for reference.
    archived: bool = False


@dataclass(frozen=True, slots=True)
class PersonMatch:
    """A person found, with every course they are or were in (active ones first, then by
    course name)."""

    platform_id: str
    user_id: str
    name: str
    email: str | None
    courses: tuple[PersonCourse, ...]


def _display_name(name: str | None, given: str | None, family: str | None) -> str:
    """As :attr:`MemberRow.display_name <rostergui.core.store.rows.MemberRow.display_name>`."""
    if name:
        return name
    return " ".join(part for part in (given, family) if part)


class PeopleIndex:
    """Every person with a membership, searchable by name, e-mail and user id; words in any
    order, letter case and accents optional. Read-only once built, so it may be searched from
    any thread."""

    def __init__(
        self,
        courses: dict[int, CourseRef],
        people_rows: Iterable[Any],
        membership_rows: Iterable[Any],
    ) -> None:
        """``people_rows``: ``(id, platform_id, user_id, name, given_name, family_name,
        email)``; ``membership_rows``: ``(person_id, context_pk, role, status, last_seen_at or
        None)`` ordered by person (see :mod:`rostergui.core.store.people`)."""
        self._courses = courses
        # Memberships in the order they came (grouped by person), as flat arrays.
        self._course_pk = array("q")
        self._role_code = array("H")
        self._active = array("b")
        self._seen: list[datetime | None] = []
        roles: dict[str, int] = {}
        runs: dict[int, tuple[int, int]] = {}
        current, start = None, 0
        course_pk, role_code, active, seen = (
            self._course_pk.append,
            self._role_code.append,
            self._active.append,
            self._seen.append,
        )
        for index, (person_id, context_pk, role, status, last_seen) in enumerate(membership_rows):
            if person_id != current:
                if current is not None:
                    runs[current] = (start, index)
                current, start = person_id, index
            course_pk(context_pk)
            code = roles.get(role)
            if code is None:
                code = roles[role] = len(roles)
            role_code(code)
            active(status == MemberStatus.ACTIVE)
            seen(last_seen)
        if current is not None:
            runs[current] = (start, len(self._seen))
        self._roles = list(roles)
        self.membership_count = len(self._seen)

        entries = []
        platforms: dict[str, str] = {}  # one string per platform, not one per person
        for person_id, platform_id, user_id, name, given, family, email in people_rows:
            run = runs.get(person_id)
            if run is None:
                continue  # in no course any more: nothing to show
            shown = _display_name(name, given, family)
            haystack = f"{fold(shown)}\x1f{fold(email or '')}\x1f{fold(user_id)}"
            platform = platforms.setdefault(platform_id, platform_id)
            entries.append(
                (haystack.replace(_SEPARATOR, " "), user_id, platform, shown, email, run)
            )
        del runs
        entries.sort(key=lambda entry: (entry[0], entry[1], entry[2]))
        # Per person, in name order: who they are, and where their memberships start and end
        # (flat arrays: 250,000 people would otherwise hold 250,000 small tuples more).
        self._people = [entry[1:5] for entry in entries]
        self._run_start = array("q", (entry[5][0] for entry in entries))
        self._run_end = array("q", (entry[5][1] for entry in entries))
        starts = array("q")
        offset = 0
        for entry in entries:
            starts.append(offset)
            offset += len(entry[0]) + 1
        self._starts = starts
        self._text = _SEPARATOR.join(entry[0] for entry in entries)

    def __len__(self) -> int:
        return len(self._people)

    def search(self, text: str, limit: int | None = 200) -> list[PersonMatch]:
        """The people whose name, e-mail or user id hold every word of ``text``, in name
        order; at most ``limit`` (``None``: all). An empty text finds nobody."""
        query = SearchQuery(text)
        if not query or limit == 0:
            return []
        first, rest = query.words[0], query.words[1:]
        haystack, starts, find = self._text, self._starts, self._text.find
        last = len(starts) - 1
        found: list[int] = []
        position = find(first)
        while position >= 0:
            person = bisect_right(starts, position) - 1
            end = starts[person + 1] - 1 if person < last else len(haystack)
            start = starts[person]
            # Bounded finds rather than slices: no copy of the person's text per hit.
            for word in rest:
                if find(word, start, end) < 0:
                    break
            else:
                found.append(person)
                if len(found) == limit:
                    break
            position = find(first, end + 1)
        return [self._match(person) for person in found]

    def _match(self, person: int) -> PersonMatch:
        user_id, platform_id, shown, email = self._people[person]
        start, end = self._run_start[person], self._run_end[person]
        courses = []
        for index in range(start, end):
            ref = self._courses.get(self._course_pk[index])
            if ref is None:
                continue  # removed after the index was loaded
            last_seen = self._seen[index] or ref.last_synced_at
            assert last_seen is not None  # NULL only when the course's last sync is known
            courses.append(
                PersonCourse(
                    course=ref.name,
                    role=self._roles[self._role_code[index]],
                    status=MemberStatus.ACTIVE if self._active[index] else MemberStatus.INACTIVE,
                    last_seen_at=last_seen,
                    archived=ref.archived,
                )
            )
        courses.sort(key=lambda c: (c.status != MemberStatus.ACTIVE, c.course.casefold()))
        return PersonMatch(platform_id, user_id, shown, email, tuple(courses))
