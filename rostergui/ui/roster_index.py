"""Filtering and sorting a loaded roster fast enough to type into, without Qt.

A course can have 100,000 members. ``QSortFilterProxyModel`` asks Python for every row on every
keystroke, which is far too slow at that size, so the table model keeps a list of row numbers
instead and this module computes it:

* searchable text is folded once per load (:func:`~rostergui.core.store.repo.member_haystack`);
* the rows are kept in the current sort order (one ``list.sort`` per sort change, on keys
  computed once per column), so filtering never re-sorts;
* a filter is a chain of list comprehensions, one per word, each over the survivors of the
  previous one; when the user types more letters (``SearchQuery.narrows``) only the rows kept
  last time are searched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from rostergui.core.filtering import SearchQuery
from rostergui.core.roles import ToolRole
from rostergui.core.store.repo import MemberRow, member_haystack


class Column(IntEnum):
    NAME = 0
    EMAIL = 1
    USER_ID = 2
    ROLE = 3
    STATUS = 4
    FIRST_SEEN = 5
    LAST_SEEN = 6


COLUMN_TITLES: dict[Column, str] = {
    Column.NAME: "Name",
    Column.EMAIL: "Email",
    Column.USER_ID: "User ID",
    Column.ROLE: "Role",
    Column.STATUS: "Status",
    Column.FIRST_SEEN: "First seen",
    Column.LAST_SEEN: "Last seen",
}

#: Plural labels for the "412 shown: 380 Learners, …" summary.
ROLE_PLURALS: dict[str, tuple[str, str]] = {
    ToolRole.ADMINISTRATOR.value: ("Administrator", "Administrators"),
    ToolRole.INSTRUCTOR.value: ("Instructor", "Instructors"),
    ToolRole.TEACHING_ASSISTANT.value: ("TA", "TAs"),
    ToolRole.CONTENT_DEVELOPER.value: ("Content Developer", "Content Developers"),
    ToolRole.MENTOR.value: ("Mentor", "Mentors"),
    ToolRole.LEARNER.value: ("Learner", "Learners"),
    ToolRole.OTHER.value: ("Other", "Other"),
}
_ROLE_RANK = {role.value: role.rank for role in ToolRole}
STATUSES = ("active", "inactive", "all")


def _user_id_key(user_id: str) -> str:
    # Numeric ids sort as numbers ("9" before "10"); others as text.
    return user_id.zfill(24) if user_id.isdigit() else user_id.casefold()


def _name_key(row: MemberRow) -> str:
    return row.display_name.casefold()


_EPOCH = datetime(1970, 1, 1)


def _time_key(value: datetime) -> int:
    # Integers sort several times faster than datetime objects.
    return (value - _EPOCH) // _SECOND


_SECOND = timedelta(seconds=1)


_SORT_KEYS: dict[Column, Callable[[MemberRow], Any]] = {
    Column.NAME: _name_key,
    Column.EMAIL: lambda r: (r.email or "").casefold(),
    Column.USER_ID: lambda r: _user_id_key(r.user_id),
    Column.ROLE: lambda r: _ROLE_RANK.get(r.role, 99),
    Column.STATUS: lambda r: r.status != "active",
    Column.FIRST_SEEN: lambda r: _time_key(r.first_seen_at),
    Column.LAST_SEEN: lambda r: _time_key(r.last_seen_at),
}


@dataclass(frozen=True, slots=True)
class PreparedRoster:
    """A loaded roster with its search text folded: built off the GUI thread."""

    rows: Sequence[MemberRow]
    haystacks: Sequence[str]
    roles: Sequence[str]
    active: Sequence[bool]

    @classmethod
    def build(cls, rows: Sequence[MemberRow]) -> PreparedRoster:
        return cls(
            rows=rows,
            haystacks=[member_haystack(r) for r in rows],
            roles=[r.role for r in rows],
            active=[r.status == "active" for r in rows],
        )

    @classmethod
    def empty(cls) -> PreparedRoster:
        return cls((), (), (), ())


@dataclass(frozen=True, slots=True)
class Filters:
    text: str = ""
    role: str = ""  # a ToolRole value, or "" for every role
    status: str = "active"  # "active", "inactive" or "all"


class RosterIndex:
    """Which rows of a :class:`PreparedRoster` are shown, in which order."""

    def __init__(self) -> None:
        self.roster = PreparedRoster.empty()
        self.filters = Filters()
        self.sort_column = Column.NAME
        self.descending = False
        self.shown: list[int] = []
        self._order: list[int] = []  # every row, in sort order
        self._base: list[int] = []  # rows passing the role and status filters, in sort order
        self._query = SearchQuery("")
        self._sort_keys: dict[Column, list[Any]] = {}

    # --- loading ---------------------------------------------------------------------------

    def load(self, roster: PreparedRoster) -> None:
        self.roster = roster
        self._sort_keys = {}
        self._order = self._sorted_order()
        self._refilter_base()

    # --- sorting ---------------------------------------------------------------------------

    def sort(self, column: Column, descending: bool) -> None:
        if (column, descending) == (self.sort_column, self.descending) and self._order:
            return
        self.sort_column, self.descending = column, descending
        self._order = self._sorted_order()
        self._refilter_base()

    def _sorted_order(self) -> list[int]:
        count = len(self.roster.rows)
        if self.sort_column is Column.NAME and not self.descending:
            return list(range(count))  # the store returns rows sorted by name already
        keys = self._sort_keys.get(self.sort_column)
        if keys is None:
            key_of = _SORT_KEYS[self.sort_column]
            keys = [key_of(r) for r in self.roster.rows]
            self._sort_keys[self.sort_column] = keys
        # Stable: rows with equal keys stay in name order, in both directions.
        return sorted(range(count), key=keys.__getitem__, reverse=self.descending)

    # --- filtering -------------------------------------------------------------------------

    def set_filters(self, filters: Filters) -> None:
        old = self.filters
        self.filters = filters
        if (filters.role, filters.status) != (old.role, old.status):
            self._refilter_base()
        else:
            self._refilter_text()

    def _refilter_base(self) -> None:
        roles, active = self.roster.roles, self.roster.active
        role, status = self.filters.role, self.filters.status
        rows = self._order
        if status == "active":
            rows = [i for i in rows if active[i]]
        elif status == "inactive":
            rows = [i for i in rows if not active[i]]
        if role:
            rows = [i for i in rows if roles[i] == role]
        self._base = rows
        self._query = SearchQuery("")
        self.shown = rows
        self._refilter_text()

    def _refilter_text(self) -> None:
        query = SearchQuery(self.filters.text)
        # Typing more letters can only drop rows: search the rows kept last time.
        candidates = self.shown if query.narrows(self._query) else self._base
        hay = self.roster.haystacks
        for word in query.words:
            candidates = [i for i in candidates if word in hay[i]]
        self.shown = candidates
        self._query = query

    # --- reading ---------------------------------------------------------------------------

    def row(self, position: int) -> MemberRow:
        return self.roster.rows[self.shown[position]]

    def shown_rows(self) -> list[MemberRow]:
        rows = self.roster.rows
        return [rows[i] for i in self.shown]

    def role_counts(self) -> Counter[str]:
        roles = self.roster.roles
        return Counter(map(roles.__getitem__, self.shown))

    def summary(self) -> str:
        """``412 shown: 380 Learners, 3 Instructors, 29 TAs`` (roles highest first)."""
        total = len(self.roster.rows)
        shown = len(self.shown)
        head = f"{shown:,} shown" if shown == total else f"{shown:,} of {total:,} shown"
        counts = self.role_counts()
        parts = []
        for role in sorted(counts, key=lambda r: _ROLE_RANK.get(r, 99)):
            one, many = ROLE_PLURALS.get(role, (role, role))
            n = counts[role]
            parts.append(f"{n:,} {one if n == 1 else many}")
        return f"{head}: {', '.join(parts)}" if parts else head


def format_time(value: datetime | None) -> str:
    """Stored times are naive UTC; show them in the admin's local time, to the minute."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")
