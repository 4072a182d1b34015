"""Errors a user can act on.

Every failure the user may meet is one of these classes. Each carries a one-line message that
says what happened and what to do, written for an administrator, never containing a secret. The
command line prints ``str(error)``; the window shows it in a message bar. Message and detail are
redacted when the error is built (see :mod:`~rostergui.core.redact`). Anything that is not a
``RosterSyncError`` is a bug: it is logged with its traceback and reported as such.
"""

from __future__ import annotations

from rostergui.core.redact import redact


class RosterSyncError(Exception):
    """Base of all expected, user-facing failures."""

    #: Short label for logs, JSON and badges.
    kind = "error"

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        # The one redaction point for failures: a message may quote a server's answer, and
        # from here it reaches results, history rows, --json, the screen and the log.
        message = redact(message)
        super().__init__(message)
        self.message = message
        #: Extra technical detail for the log (never shown as the headline, never a secret).
        self.detail = redact(detail) if detail else detail


# --- configuration -------------------------------------------------------------------------


class ConfigError(RosterSyncError):
    """Bad input from the user: an invalid URL, a missing name, an unknown course."""

    kind = "config"


class CourseNotFoundError(ConfigError):
    kind = "not_found"


class NoCoursesError(CourseNotFoundError):
    """Asked for a course when none is stored: each front end says how to add one."""

    kind = "no_courses"


class DuplicateCourseError(ConfigError):
    """The LMS course (platform and context) is already stored under another name; one LMS
    course kept twice would be synced twice and counted twice. ``existing`` names the course
    that holds it, so each front end can point at it."""

    kind = "duplicate_course"

    def __init__(self, message: str, *, existing: str, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.existing = existing


# --- LTIAAS / LMS ---------------------------------------------------------------------------


class LtiaasError(RosterSyncError):
    """Any failure talking to LTIAAS or the LMS behind it."""

    kind = "ltiaas"
    #: Whether trying again later may succeed without the user changing anything.
    transient = False

    def __init__(
        self, message: str, *, status: int | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message, detail=detail)
        self.status = status


class AuthError(LtiaasError):
    """401/403: the API key, service key or launch token was refused."""

    kind = "auth"


class RosterServiceUnavailableError(LtiaasError):
    """The course has no Names and Role Provisioning Service (NRPS) enabled."""

    kind = "no_roster_service"


class NotFoundError(LtiaasError):
    kind = "not_found"


class RateLimitedError(LtiaasError):
    kind = "rate_limited"
    transient = True


class UpstreamError(LtiaasError):
    """LTIAAS or the LMS behind it failed (5xx)."""

    kind = "upstream"
    transient = True


class LtiaasTimeoutError(LtiaasError):
    kind = "timeout"
    transient = True


class UnreachableError(LtiaasError):
    kind = "unreachable"
    transient = True


class MalformedResponseError(LtiaasError):
    """The answer did not have the shape LTIAAS documents."""

    kind = "malformed"


class LimitExceededError(MalformedResponseError):
    """An answer or a roster went past one of the client's bounds (size, pages, time)."""

    kind = "limit"


class CertificateError(LtiaasError):
    """The server's TLS certificate is not trusted; trying again cannot help."""

    kind = "certificate"


# --- sync ----------------------------------------------------------------------------------


class SyncCancelledError(RosterSyncError):
    kind = "cancelled"

    def __init__(self) -> None:
        super().__init__("Sync cancelled; the stored roster was left as it was.")


class SyncBusyError(RosterSyncError):
    """Another sync of the same course is running (in this or another process): its lease
    is held. The sync's outcome is BUSY, not a failure."""

    kind = "busy"


class SyncSkippedError(RosterSyncError):
    """The course was synced recently enough (``synced_since``); the outcome is SKIPPED."""

    kind = "skipped"


class LeaseLostError(RosterSyncError):
    """The sync stopped renewing its lease long enough for another process to take the
    course over; this one saves nothing and leaves the course's status to the other."""

    kind = "lease_lost"


# --- local storage -------------------------------------------------------------------------


class StorageError(RosterSyncError):
    kind = "storage"


class DatabaseLocationError(StorageError):
    """The database's file or folder cannot be created or opened where it was asked for;
    each front end says how to choose another place."""

    kind = "database_location"


class DatabaseLockedError(StorageError):
    kind = "locked"


class DiskFullError(StorageError):
    kind = "disk_full"


# --- secrets -------------------------------------------------------------------------------


class SecretsError(RosterSyncError):
    kind = "secrets"


class KeyringUnavailableError(SecretsError):
    kind = "no_keyring"


class SecretMissingError(SecretsError):
    kind = "secret_missing"
