"""The freshness badge's wording and urgency (Qt-free)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from rostergui.core.store.repo import Course
from rostergui.ui.badges import Activity, ActivityState, Tone, ago, badge_for, freshness_tone

NOW = datetime(2024, 5, 1, 12, 0, 0)
DAY = timedelta(hours=24)


def course(**changes: object) -> Course:
    base = Course(
        id=1,
        uid="u",
        name="Biology",
        base_url="https://x.ltiaas.com",
        platform_id="https://canvas.example",
        context_id="ctx",
        title="Intro to Biology",
        label=None,
        resource_link_id=None,
        auth_scheme="service_key",
        roster_available=True,
        created_at=NOW - timedelta(days=30),
        last_synced_at=None,
        last_status="never",
        last_error=None,
        archived_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3, minutes=59), "3 h ago"),
        (timedelta(hours=47), "47 h ago"),
        (timedelta(days=2), "2 days ago"),
        (timedelta(days=59), "59 days ago"),
        (timedelta(seconds=-30), "just now"),  # a clock a little ahead
    ],
)
def test_relative_times(delta: timedelta, text: str) -> None:
    assert ago(NOW - delta, NOW) == text


def test_very_old_shows_a_date() -> None:
    assert ago(datetime(2023, 1, 2), NOW) == "on 2023-01-02"


def test_tone_follows_the_stale_threshold() -> None:
    assert freshness_tone(timedelta(hours=23), DAY) is Tone.FRESH
    assert freshness_tone(timedelta(hours=25), DAY) is Tone.AGING
    assert freshness_tone(timedelta(days=3), DAY) is Tone.STALE
    assert freshness_tone(timedelta(hours=2), timedelta(hours=1)) is Tone.AGING


def test_never_synced() -> None:
    badge = badge_for(course(), NOW, DAY)
    assert (badge.text, badge.tone) == ("never synced", Tone.NEVER)


def test_synced_recently_and_stale() -> None:
    fresh = badge_for(course(last_synced_at=NOW - timedelta(minutes=5), last_status="ok"), NOW, DAY)
    assert (fresh.text, fresh.tone) == ("synced 5 min ago", Tone.FRESH)
    stale = badge_for(course(last_synced_at=NOW - timedelta(days=2), last_status="ok"), NOW, DAY)
    assert (stale.text, stale.tone) == ("stale · synced 2 days ago", Tone.AGING)
    assert "stale threshold" in stale.tooltip
    assert "1 day" in stale.tooltip
    older = badge_for(course(last_synced_at=NOW - timedelta(days=4), last_status="ok"), NOW, DAY)
    assert (older.text, older.tone) == ("stale · synced 4 days ago", Tone.STALE)


def test_no_state_is_told_by_colour_alone() -> None:
    """Failed, stale and held badges say so in words (red and amber alone are lost on a
    colour-blind admin and on a monochrome high-contrast theme)."""
    synced = NOW - timedelta(days=5)
    failed = badge_for(course(last_synced_at=synced, last_status="failed"), NOW, DAY)
    stale = badge_for(course(last_synced_at=synced, last_status="ok"), NOW, DAY)
    held = badge_for(course(), NOW, DAY, Activity(ActivityState.HELD, would_drop=40))
    assert "failed" in failed.text
    assert "stale" in stale.text
    assert "held" in held.text


def test_failed_has_the_reason_in_the_tooltip() -> None:
    badge = badge_for(
        course(
            last_status="failed",
            last_error="The API key was refused",
            last_synced_at=NOW - timedelta(hours=3),
        ),
        NOW,
        DAY,
    )
    assert badge.text == "sync failed · synced 3 h ago"  # how old the stored roster is
    assert badge.tone is Tone.FAILED
    assert "The API key was refused" in badge.tooltip
    assert "3 h ago" in badge.tooltip
    first = badge_for(course(last_status="failed", last_error="x"), NOW, DAY)
    assert first.text == "sync failed"  # nothing stored: no age to give


def test_activity_overrides_the_stored_state() -> None:
    c = course(last_status="failed", last_error="x")
    syncing = badge_for(c, NOW, DAY, Activity(ActivityState.SYNCING, pages=12, fetched=1200))
    assert syncing.text == "syncing… page 12 · 1,200 members"
    assert syncing.busy
    assert badge_for(c, NOW, DAY, Activity(ActivityState.QUEUED)).text == "waiting to sync…"
    assert badge_for(c, NOW, DAY, Activity(ActivityState.SYNCING)).text == "syncing… connecting"
    assert (
        badge_for(c, NOW, DAY, Activity(ActivityState.APPLYING, fetched=1)).text
        == "saving 1 member…"
    )
    held = badge_for(c, NOW, DAY, Activity(ActivityState.HELD, would_drop=95))
    assert (held.text, held.tone) == ("held: 95 drops to confirm", Tone.HELD)


def test_cancelled_keeps_the_freshness_visible() -> None:
    c = course(last_synced_at=NOW - timedelta(minutes=10), last_status="ok")
    badge = badge_for(c, NOW, DAY, Activity(ActivityState.CANCELLED))
    assert badge.text == "cancelled · synced 10 min ago"


def test_archived_course() -> None:
    badge = badge_for(course(archived_at=NOW), NOW, DAY, Activity(ActivityState.QUEUED))
    assert badge.text == "removed · roster kept"


def test_a_course_held_in_an_earlier_run_is_held_after_a_restart() -> None:
    """The held state comes from the history: with no held result in this session, the badge,
    the group and the message bar still say held, and the bar offers to sync again."""
    from rostergui.ui.course_groups import CourseGroup, group_of
    from rostergui.ui.wording import BarAction, course_message

    held = course(
        last_synced_at=NOW - timedelta(days=2),
        last_status="failed",  # an older failure: the held run is newer
        last_error="timeout",
        held_drops=88,
    )
    badge = badge_for(held, NOW, timedelta(days=1))
    assert (badge.text, badge.tone) == ("held: 88 drops to confirm", Tone.HELD)
    assert group_of(held, NOW, timedelta(days=1), None) is CourseGroup.HELD
    message = course_message(held, None, NOW)
    assert message is not None and "88 active members" in message.text
    assert message.action is BarAction.TRY_AGAIN
    syncing = Activity(ActivityState.SYNCING, pages=2, fetched=40)
    assert badge_for(held, NOW, timedelta(days=1), syncing).tone is Tone.BUSY
