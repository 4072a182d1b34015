"""What a course's freshness badge says, decided without Qt.

Stale rosters are the main cause of support tickets, so the badge is the first thing an admin
reads in the course list. Keeping the wording and the tone here (plain data in, plain data out)
makes every state easy to test and keeps the painting code free of decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from rostergui.core.states import CourseStatus

if TYPE_CHECKING:
    from rostergui.core.store.repo import Course


class Tone(StrEnum):
    """How urgent a badge looks. The window maps each tone to a colour readable in light and
    dark palettes."""

    FRESH = "fresh"
    AGING = "aging"  # older than the stale threshold
    STALE = "stale"  # much older than the threshold
    FAILED = "failed"
    NEVER = "never"
    BUSY = "busy"
    HELD = "held"
    MUTED = "muted"


class ActivityState(StrEnum):
    """What the window is doing with a course right now."""

    QUEUED = "queued"
    SYNCING = "syncing"
    APPLYING = "applying"
    CANCELLING = "cancelling"
    HELD = "held"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Activity:
    """What the window is doing with a course right now (not stored in the database)."""

    state: ActivityState
    pages: int = 0
    fetched: int = 0
    would_drop: int = 0


@dataclass(frozen=True, slots=True)
class Badge:
    text: str
    tone: Tone
    tooltip: str
    busy: bool = False


#: What a badge past the stale threshold says before its age.
STALE_WORD = "stale"


def count(n: int) -> str:
    """``1,200``: thousands separators make member counts readable at a glance."""
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def ago(then: datetime, now: datetime) -> str:
    """``5 min ago``, ``3 h ago``, ``2 days ago`` — coarse on purpose: freshness, not a clock."""
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    days = hours // 24
    if days < 60:
        return f"{days} days ago"
    return f"on {then:%Y-%m-%d}"


def freshness_tone(age: timedelta, stale_after: timedelta) -> Tone:
    """Green while younger than the threshold, amber past it, red past three times it."""
    if age < stale_after:
        return Tone.FRESH
    if age < stale_after * 3:
        return Tone.AGING
    return Tone.STALE


def describe_threshold(stale_after: timedelta) -> str:
    hours = stale_after.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        return plural(int(hours // 24), "day")
    if hours >= 1:
        return f"{hours:g} h"
    return f"{int(stale_after.total_seconds() // 60)} min"


def last_synced_text(course: Course, now: datetime) -> str:
    if course.last_synced_at is None:
        return "never synced"
    return f"synced {ago(course.last_synced_at, now)}"


def badge_for(
    course: Course,
    now: datetime,
    stale_after: timedelta,
    activity: Activity | None = None,
) -> Badge:
    """The badge for ``course`` at ``now`` (naive UTC, like the stored timestamps)."""
    synced = last_synced_text(course, now)
    if course.archived_at is not None:
        return Badge(
            "removed · roster kept",
            Tone.MUTED,
            "This course was removed; its roster is kept for reference and no longer syncs. "
            "Add the course again to sync it.",
        )
    if activity is not None:
        busy = _activity_badge(activity, synced)
        if busy is not None:
            return busy
    # Held in an earlier run or by another machine; newer than any stored failure.
    if course.held_drops is not None and activity is None:
        return Badge(
            f"held: {plural(course.held_drops, 'drop')} to confirm",
            Tone.HELD,
            "The last sync was held: the LMS listed far fewer members than are stored, and "
            "nothing was changed. Sync it again to review who would be dropped.",
        )
    if course.last_status == CourseStatus.FAILED:
        tip = f"The last sync failed: {course.last_error or 'no reason recorded'}"
        if course.last_synced_at is None:
            return Badge("sync failed", Tone.FAILED, tip)
        tip += f"\nThe stored roster is from the last good sync ({synced})."
        # The age of what is stored still matters when the newest attempt failed.
        return Badge(f"sync failed · {synced}", Tone.FAILED, tip)
    if course.last_synced_at is None:
        return Badge(
            "never synced",
            Tone.NEVER,
            "This course has not been synced yet; press Sync now to fetch its roster.",
        )
    tone = freshness_tone(now - course.last_synced_at, stale_after)
    tip = f"Last synced {course.last_synced_at:%Y-%m-%d %H:%M} UTC"
    if tone is Tone.FRESH:
        return Badge(synced, tone, tip)
    tip += (
        f"\nOlder than {describe_threshold(stale_after)} (the stale threshold in "
        "Settings): sync it to be sure the roster is current."
    )
    # The word, not only the amber or red: a state is never told by colour alone.
    return Badge(f"{STALE_WORD} · {synced}", tone, tip)


def _activity_badge(activity: Activity, synced: str) -> Badge | None:
    state = activity.state
    if state is ActivityState.QUEUED:
        return Badge("waiting to sync…", Tone.BUSY, "Queued behind another course's sync.", True)
    if state is ActivityState.SYNCING:
        if activity.pages == 0:
            return Badge("syncing… connecting", Tone.BUSY, "Contacting LTIAAS.", True)
        text = f"syncing… page {activity.pages} · {plural(activity.fetched, 'member')}"
        return Badge(text, Tone.BUSY, "Fetching the roster page by page; Esc cancels.", True)
    if state is ActivityState.APPLYING:
        text = f"saving {plural(activity.fetched, 'member')}…"
        return Badge(text, Tone.BUSY, "Every page arrived; writing the roster.", True)
    if state is ActivityState.CANCELLING:
        return Badge("cancelling…", Tone.BUSY, "Stopping; the stored roster stays as it was.", True)
    if state is ActivityState.HELD:
        text = f"held: {plural(activity.would_drop, 'drop')} to confirm"
        tip = (
            "The LMS returned far fewer members than are stored; nothing was changed. "
            "Review who would be dropped before applying."
        )
        return Badge(text, Tone.HELD, tip)
    if state is ActivityState.CANCELLED:
        return Badge(
            f"cancelled · {synced}",
            Tone.MUTED,
            "The sync was cancelled; the stored roster was left as it was.",
        )
    return None
