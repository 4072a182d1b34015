"""How the course list orders, groups and searches a catalogue of courses, decided without Qt.

An admin with 2,000 courses needs the few that want attention on top: the courses whose last
sync failed, then those held for a mass-drop question, then stale ones, then those never
synced, and the rest (up to date) after them. Removed courses whose roster is kept go to a
section of their own. Keeping these rules here (plain data in, plain data out) makes them
testable without a window and keeps :mod:`rostergui.ui.course_list` about Qt's model protocol.

Searching folds each course's text once (:func:`haystack`) with the same folding as the member
table (:mod:`rostergui.core.filtering`), so a keystroke only compares folded strings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rostergui.core.filtering import fold
from rostergui.core.states import CourseStatus
from rostergui.ui.badges import Activity, ActivityState

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rostergui.core.store.repo import Course


class CourseGroup(IntEnum):
    """A course's place in the list; the value is the order, most urgent first."""

    FAILED = 0
    HELD = 1
    STALE = 2
    NEVER = 3
    SYNCED = 4
    ARCHIVED = 5


#: The groups counted in the list's header, in order (removed courses have their section).
COUNTED = (
    CourseGroup.FAILED,
    CourseGroup.HELD,
    CourseGroup.STALE,
    CourseGroup.NEVER,
    CourseGroup.SYNCED,
)


def group_of(
    course: Course, now: datetime, stale_after: timedelta, activity: Activity | None
) -> CourseGroup:
    """The group of ``course`` at ``now`` (naive UTC). A course is stale from the moment its
    badge stops being green, so the header's "stale" counts what the badges show amber or red.
    """
    if course.archived_at is not None:
        return CourseGroup.ARCHIVED
    if activity is not None and activity.state is ActivityState.HELD:
        return CourseGroup.HELD
    if activity is None and course.held_drops is not None:
        # Held in an earlier run or by another machine; newer than any stored failure.
        return CourseGroup.HELD
    if course.last_status == CourseStatus.FAILED:
        return CourseGroup.FAILED
    if course.last_synced_at is None:
        return CourseGroup.NEVER
    if now - course.last_synced_at >= stale_after:
        return CourseGroup.STALE
    return CourseGroup.SYNCED


def host_of(url: str | None) -> str:
    """The host name in ``url``; empty when it has none (or is not a URL)."""
    if not url:
        return ""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def haystack(course: Course) -> str:
    """What the list filter searches for ``course``, folded once: its name, its LMS title and
    label, and the hosts of its LMS (the platform) and of its LTIAAS address."""
    parts = (
        course.name,
        course.title or "",
        course.label or "",
        host_of(course.platform_id) or course.platform_id,
        host_of(course.base_url),
    )
    return fold("\n".join(parts))


def duplicates(courses: Iterable[Course]) -> dict[str, tuple[str, ...]]:
    """For each course that is the same LMS course (platform and context) as another kept
    course, the names of the others. Removed courses are left out: adding a removed course
    again is how it comes back, not a duplicate. A database from before duplicates were
    refused may hold some; both are marked so that the admin removes one."""
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for course in courses:
        if course.archived_at is None and course.context_id:
            holders[(course.platform_id, course.context_id)].append(course.name)
    found: dict[str, tuple[str, ...]] = {}
    for names in holders.values():
        if len(names) > 1:
            for name in names:
                found[name] = tuple(n for n in names if n != name)
    return found


def spoken(text: str) -> str:
    """A badge as a screen reader should say it: "5 min ago" as "5 minutes ago", "3 h ago" as
    "3 hours ago", and the visual separator "·" as a pause."""
    words = text.replace(" · ", ", ").split(" ")
    long_forms = {"min": ("minute", "minutes"), "h": ("hour", "hours")}
    for i, word in enumerate(words):
        if word in long_forms and i > 0 and i + 1 < len(words) and words[i + 1] == "ago":
            one, many = long_forms[word]
            words[i] = one if words[i - 1] == "1" else many
    return " ".join(words)
