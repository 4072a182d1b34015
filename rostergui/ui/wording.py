"""What the window says about syncs and courses, decided without Qt.

Beside :mod:`rostergui.ui.badges` (the course list's badges), this module words everything
else the window tells the admin about a sync: the status-bar line for a result, the summary of
a "Sync all", and the message bar above the roster with the button that fixes the problem.
Plain data in, plain data out, so every rule is tested without a window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from rostergui.core.states import CourseStatus
from rostergui.ui.badges import Tone, last_synced_text
from rostergui.ui.course_groups import CourseGroup

if TYPE_CHECKING:
    from rostergui.core.store.repo import Course
    from rostergui.core.sync import SyncResult


def html(text: str) -> str:
    """``text`` safe to show in a rich-text label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- results ----------------------------------------------------------------------------------


def describe_result(result: SyncResult) -> str:
    """The status-bar line for a finished sync."""
    if result.cancelled:
        return f"{result.name}: cancelled; the stored roster was left as it was."
    if result.held:
        return (
            f"{result.name}: held — {result.deactivated:,} of {result.active_count:,} active "
            "members would be dropped; nothing was changed."
        )
    if result.skipped:
        # Not a failure: another process holds the course, or it was synced recently enough.
        return f"{result.name}: not synced here — {result.error}."
    if not result.ok:
        return f"{result.name}: sync failed — {result.error}"
    parts = [
        f"+{result.added:,} added",
        f"−{result.deactivated:,} dropped",
        f"{result.reactivated:,} returned",
    ]
    if result.updated:
        parts.append(f"{result.updated:,} updated")
    line = f"{result.name}: {', '.join(parts)} · {result.active_count:,} active"
    if result.warnings:
        line += " — " + " ".join(result.warnings)
    return line


#: Failed courses named in a batch summary before "…".
_NAMED_FAILURES = 3


def batch_summary(results: Sequence[SyncResult]) -> str:
    """The status-bar line when the sync queue ran empty."""
    if len(results) == 1:
        return describe_result(results[0])
    ok = sum(r.ok for r in results)
    failed = failed_names(results)
    held = sum(r.held for r in results)
    cancelled = sum(r.cancelled for r in results)
    elsewhere = sum(r.skipped for r in results)
    parts = [f"{ok} synced"]
    if held:
        parts.append(f"{held} held for confirmation")
    if elsewhere:
        parts.append(f"{elsewhere} being synced elsewhere or recently synced")
    if cancelled:
        parts.append(f"{cancelled} cancelled")
    if failed:
        # The failures first, by name: they are what the admin has to act on.
        names = ", ".join(failed[:_NAMED_FAILURES]) + (
            ", …" if len(failed) > _NAMED_FAILURES else ""
        )
        return f"{len(failed)} failed: {names} — {', '.join(parts)}."
    return f"Synced {len(results)} courses: {', '.join(parts)}."


def failed_names(results: Sequence[SyncResult]) -> list[str]:
    """The courses whose sync failed (not held, cancelled, busy or skipped), in the order
    they ran."""
    return [
        r.name for r in results if not r.ok and not r.held and not r.cancelled and not r.skipped
    ]


def cannot_start(message: str, kind: str) -> str:
    """Why the window cannot open its database, and for a place that cannot be used, how to
    start it on another (the window has no other way to be told where)."""
    if kind == "database_location":
        return (
            f"{message}.\n\nStart RosterSync with --data-dir FOLDER or --db-url URL, or set "
            "ROSTERGUI_DATA_DIR."
        )
    return message


def kept_everyone(name: str) -> str:
    """The status-bar line when the admin refused a held sync's drops."""
    return (
        f"{name}: kept everyone; nothing was changed. The course stays marked as held "
        "until its next sync."
    )


def cancelling(name: str) -> str:
    return f"Cancelling the sync of {name}…"


def already_syncing(name: str) -> str:
    return f"{name} is already syncing."


def schedule_changed(minutes: int) -> str:
    return (
        f"Every course will sync every {minutes} minutes while this window is open."
        if minutes
        else "Scheduled syncs are off."
    )


# --- the course dialog --------------------------------------------------------------------------


def refused_key(message: str) -> str | None:
    """Which key LTIAAS named in a refusal ("api_key", "service_key" or "ltik"), read from
    what LTIAAS said; None when it did not say."""
    _, said, reason = message.partition("LTIAAS says:")
    if not said:
        return None
    reason = reason.casefold()
    if "api key" in reason or "api_key" in reason:
        return "api_key"
    if "service key" in reason or "service_key" in reason:
        return "service_key"
    if "ltik" in reason or "launch token" in reason or "idtoken" in reason:
        return "ltik"
    return None


# --- the About box ----------------------------------------------------------------------------

#: Keyring backends as an admin knows them, by the class path ``keyring`` reports.
_KEYRING_NAMES = {
    "keyring.backends.SecretService.Keyring": "GNOME Keyring (Secret Service)",
    "keyring.backends.libsecret.Keyring": "GNOME Keyring (libsecret)",
    "keyring.backends.kwallet.DBusKeyring": "KDE Wallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KDE Wallet 4",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.chainer.ChainerBackend": "the first keyring that answers (chained)",
    "keyring.backends.fail.Keyring": "none (no keyring is available)",
    "keyring.backends.null.Keyring": "none (secrets are not kept)",
    "keyrings.alt.file.PlaintextKeyring": "a plain-text file (keyrings.alt)",
    "keyrings.alt.file.EncryptedKeyring": "an encrypted file (keyrings.alt)",
    "rostergui.core.secrets.MemoryKeyring": "in memory only (nothing is saved)",
}


def keyring_name(described: str) -> str:
    """The keyring as a user would name it, from the class path the core describes it by."""
    path, _, rest = described.partition(" ")
    known = _KEYRING_NAMES.get(path)
    if known is not None:
        return f"{known} {rest}".strip()
    if "." in path:
        return f"{path.rsplit('.', 1)[-1]} ({path.rsplit('.', 1)[0]}) {rest}".strip()
    return described


# --- the member table -------------------------------------------------------------------------


def hidden_by_status(count: int, kind: str, text: str) -> str:
    """The table's message when the status filter hides every row ``text`` matches; ``kind``
    is the status it hides ("inactive" or "active")."""
    shown = "active" if kind == "inactive" else "inactive"
    who = (
        f"{count:,} {kind} member{'' if count == 1 else 's'} {'matches' if count == 1 else 'match'}"
    )
    if text.strip():
        return f"No {shown} members match “{text.strip()}”.\n{who}."
    return f"No {shown} members are shown.\n{who} the other filters."


def hidden_by_filters(text: str, role: str) -> str:
    """The table's message when the text or role filter hides every member."""
    if text.strip() and role:
        return f"No {role} members match “{text.strip()}”."
    if text.strip():
        return f"No members match “{text.strip()}”."
    return f"No {role or ''} members are shown with these filters.".replace("  ", " ")


# --- the message bar --------------------------------------------------------------------------


class BarAction(StrEnum):
    """The button a message offers; the window decides what it does."""

    REVIEW = "Review…"
    DISMISS = "Dismiss"
    TRY_AGAIN = "Try again"
    EDIT = "Edit course…"


#: Error kinds that new or re-entered keys fix (Edit course…).
KEY_KINDS = frozenset({"auth", "secret_missing", "no_keyring", "no_roster_service"})
#: Error kinds that pass by themselves (Try again).
NETWORK_KINDS = frozenset({"unreachable", "timeout", "upstream", "rate_limited"})


@dataclass(frozen=True, slots=True)
class BarMessage:
    text: str
    tone: Tone
    action: BarAction | None = None
    #: A second button, after ``action``, when either may be the fix.
    also: BarAction | None = None

    @property
    def actions(self) -> tuple[BarAction, ...]:
        return tuple(a for a in (self.action, self.also) if a is not None)


def notice(text: str) -> BarMessage:
    """A note for the admin that stays on the bar until dismissed."""
    return BarMessage(text, Tone.FAILED, BarAction.DISMISS)


_NO_ROSTER_SERVICE = (
    "LTIAAS reported that the roster service (Names and Roles) is not available for this "
    "course. Enable it in the LMS's tool settings, launch the tool from the course again, "
    "and give the course the new launch token with Edit course…."
)


def course_message(
    course: Course | None,
    held: SyncResult | None,
    now: datetime,
    error_kind: str | None = None,
) -> BarMessage | None:
    """What the message bar says about the selected ``course`` (None: the bar is hidden).
    ``held`` is the course's held sync awaiting review, if any; ``error_kind`` the kind of its
    last failure when this session saw it (it decides which button fixes it)."""
    if course is None:
        return None
    if held is not None:
        return BarMessage(
            f"The last sync was held: the LMS sent {held.fetched:,} members and "
            f"{held.deactivated:,} of {held.active_count:,} active members would be "
            "dropped. Nothing was changed. Review the list before applying it.",
            Tone.HELD,
            BarAction.REVIEW,
        )
    if course.archived_at is not None:
        return BarMessage(
            "This course was removed; its roster is kept for reference and no longer "
            "syncs. Add the course again to sync it.",
            Tone.MUTED,
        )
    if course.held_drops is not None:
        # Held in an earlier run or by another machine: who would go is not kept, so a new
        # sync fetches the roster again and asks.
        return BarMessage(
            f"The last sync was held: {course.held_drops:,} active members would have been "
            "dropped, and nothing was changed. Sync again to review who would be dropped.",
            Tone.HELD,
            BarAction.TRY_AGAIN,
        )
    if course.last_status == CourseStatus.FAILED:
        synced = last_synced_text(course, now)
        kept = (
            f"The roster below is from the last good sync ({synced})."
            if course.last_synced_at
            else "No roster has been stored yet."
        )
        if course.roster_available is False or error_kind == "no_roster_service":
            reason = html(_NO_ROSTER_SERVICE)
            error_kind = "no_roster_service"
        else:
            reason = html(course.last_error or "No reason was recorded.")
        if error_kind in KEY_KINDS:
            action, also = BarAction.EDIT, None
            if error_kind != "no_roster_service":
                reason += " Check the course's keys (Edit course…)."
        elif error_kind in NETWORK_KINDS:
            action, also = BarAction.TRY_AGAIN, None
        else:  # not seen this session: either may be the fix
            action, also = BarAction.TRY_AGAIN, BarAction.EDIT
        return BarMessage(
            f"<b>The last sync failed.</b> {reason}<br>{kept}", Tone.FAILED, action, also
        )
    if course.roster_available is False:
        return BarMessage(_NO_ROSTER_SERVICE, Tone.HELD, BarAction.EDIT)
    return None


def empty_roster(course: Course | None) -> tuple[str, bool]:
    """What the member table says when ``course`` has no members stored, and whether it offers
    "Sync now" (not when the last sync failed: the message bar carries the fix)."""
    if course is not None and course.last_status == CourseStatus.FAILED:
        if course.last_synced_at is None:
            return "No roster is stored yet: the first sync failed (the reason is above).", False
        return "The last good sync stored no members; the latest sync failed.", False
    if course is not None and course.last_synced_at is not None:
        return "The last sync found no members in this course.", True
    return "No members are stored for this course yet.\nSync it to fetch its roster.", True


# --- the course list ----------------------------------------------------------------------------

_GROUP_WORDS: dict[CourseGroup, str] = {
    CourseGroup.FAILED: "failed",
    CourseGroup.HELD: "held",
    CourseGroup.STALE: "stale",
    CourseGroup.NEVER: "never synced",
    CourseGroup.SYNCED: "up to date",
}


def group_count(group: CourseGroup, count: int) -> str:
    """One part of the course list's header: "3 failed", "1,985 up to date"."""
    return f"{count:,} {_GROUP_WORDS.get(group, 'removed')}"


def archived_section(count: int, matching: bool) -> str:
    """The header of the removed courses' section (their rosters are kept)."""
    courses = "course" if count == 1 else "courses"
    which = "matching removed" if matching else "removed"
    return f"{count:,} {which} {courses} (roster kept)"


def no_course_matches(text: str) -> str:
    """What the course list says when its filter hides every course."""
    return f"No course matches “{text}”. Clear the filter (Esc) to see every course."


def no_failed_course() -> str:
    return "No course failed its last sync."


def failed_hidden() -> str:
    return "The failed courses are hidden by the course list's filter; clear it to see them."


def duplicate_course(others: tuple[str, ...]) -> str:
    """The warning on a course that is the same LMS course as ``others`` (kept from before
    duplicates were refused)."""
    names = ", ".join(others)
    return f"Same LMS course as {names}: it is synced twice. Remove one of them."
