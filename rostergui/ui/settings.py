"""The window's preferences, each declared once with its key, type and default.

Declaring options in one place (rather than scattering ``QSettings.value`` calls) keeps keys
from drifting and gives every option a typed default. Only window preferences live here —
never secrets (those are in the keyring) and never course data (that is in the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from rostergui import APP_NAME
from rostergui.core.limits import DEFAULT_JOBS, MAX_JOBS
from rostergui.core.states import StatusFilter

T = TypeVar("T", int, str, bool)

SETTINGS_VERSION = 1


@dataclass(frozen=True, slots=True)
class Option(Generic[T]):
    key: str
    default: T


STALE_HOURS = Option("sync/stale_hours", 24)
#: Minutes between scheduled syncs of every course; 0 is off (the default).
SCHEDULE_MINUTES = Option("sync/schedule_minutes", 0)
#: Courses synced at once by "Sync all" and the schedule (1 to MAX_JOBS).
SYNC_JOBS = Option("sync/jobs", DEFAULT_JOBS)
FILTER_TEXT = Option("members/filter", "")
FILTER_ROLE = Option("members/role", "")
FILTER_STATUS = Option("members/status", str(StatusFilter.ACTIVE))
SORT_COLUMN = Option("members/sort_column", 0)
SORT_DESCENDING = Option("members/sort_descending", False)
LAST_COURSE = Option("window/last_course", "")

#: (minutes, label) choices for the schedule; 0 = off.
SCHEDULE_CHOICES: tuple[tuple[int, str], ...] = (
    (0, "Off"),
    (15, "Every 15 minutes"),
    (60, "Every hour"),
    (240, "Every 4 hours"),
    (1440, "Daily"),
)


def open_qsettings() -> QSettings:
    """Ini format everywhere: readable, and tests can redirect it with ``QSettings.setPath``."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME)


class Settings:
    """Typed access to the window's QSettings."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or open_qsettings()
        if self.store.value("version") is None:
            self.store.setValue("version", SETTINGS_VERSION)

    def get(self, option: Option[T]) -> T:
        value: object = self.store.value(option.key, option.default)
        default = option.default
        result: object
        if isinstance(default, bool):
            if isinstance(value, str):
                result = value.lower() in ("true", "1", "yes")
            else:
                result = bool(value)
        elif isinstance(default, int):
            try:
                result = int(value) if isinstance(value, (int, float, str)) else default
            except ValueError:
                result = default
        else:
            result = str(value) if value is not None else default
        return result

    def set(self, option: Option[T], value: T) -> None:
        self.store.setValue(option.key, value)

    def get_bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_bytes(self, key: str, value: QByteArray) -> None:
        self.store.setValue(key, value)

    def sync(self) -> None:
        self.store.sync()

    # --- derived ---------------------------------------------------------------------------

    @property
    def stale_after(self) -> timedelta:
        return timedelta(hours=max(1, self.get(STALE_HOURS)))

    @property
    def schedule_minutes(self) -> int:
        return max(0, self.get(SCHEDULE_MINUTES))

    @property
    def sync_jobs(self) -> int:
        return min(MAX_JOBS, max(1, self.get(SYNC_JOBS)))
