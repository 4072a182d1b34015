"""Filtering and sorting a loaded roster fast enough to type into, without a Qt proxy model.

A course can have 100,000 members. ``QSortFilterProxyModel`` asks Python for every row on every
keystroke, which is far too slow at that size, so the table model keeps a list of row numbers
instead and this module computes it:

* searchable text is folded once per load, off the GUI thread, by
  :func:`~rostergui.core.store.repo.member_haystack` (the same text the command line
  searches);
* the rows are kept in the current sort order (one ``list.sort`` per sort change, on keys
  computed once per column), so filtering never re-sorts; the order a roster opens in is
  computed off the GUI thread too, with the rest of the load;
* names sort by the user's locale with Qt's collator (ICU): a column of names is ranked once
  into integers, which sort as fast as any other key;
* a filter is a chain of list comprehensions, one per word, each over the survivors of the
  previous one; when the user types more letters (``SearchQuery.narrows``) only the rows kept
  last time are searched.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from functools import total_ordering
from typing import Any

from PySide6.QtCore import QCollator, QLocale

from rostergui.core.filtering import SearchQuery
from rostergui.core.roles import ToolRole
from rostergui.core.states import MemberStatus, StatusFilter
from rostergui.core.store.repo import MemberRow, member_haystack


class Column(IntEnum):
    NAME = 0
    EMAIL = 1
    USER_ID = 2
    ROLE = 3
    STATUS = 4
    FIRST_SEEN = 5
    LAST_SEEN = 6
    GIVEN_NAME = 7
    FAMILY_NAME = 8


COLUMN_TITLES: dict[Column, str] = {
    Column.NAME: "Name",
    Column.EMAIL: "Email",
    Column.USER_ID: "User ID",
    Column.ROLE: "Role",
    Column.STATUS: "Status",
    Column.FIRST_SEEN: "First seen",
    Column.LAST_SEEN: "Last seen",
    Column.GIVEN_NAME: "Given name",
    Column.FAMILY_NAME: "Family name",
}
#: Columns hidden until chosen in the header's menu.
HIDDEN_BY_DEFAULT = (Column.GIVEN_NAME, Column.FAMILY_NAME)

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
STATUSES = tuple(StatusFilter)


def _user_id_key(user_id: str) -> str:
    # Numeric ids sort as numbers ("9" before "10"); others as text.
    return user_id.zfill(24) if user_id.isdigit() else user_id.casefold()


@dataclass(slots=True)
class _Collation:
    #: The locale names sort by; None: the user's (``QLocale()``, the system's unless the
    #: application set a default).
    locale: QLocale | None = None


_COLLATION = _Collation()


def set_collation_locale(locale: QLocale | None) -> None:
    """Sort names by ``locale``'s rules from now on; None goes back to the user's locale."""
    _COLLATION.locale = locale


def collation_locale() -> QLocale:
    """The locale whose rules names sort by. The C locale says nothing about a language
    (and its collation is by code point: José before Jérôme, every Á after Z), so it sorts by
    the common Unicode order that English uses."""
    locale = _COLLATION.locale if _COLLATION.locale is not None else QLocale()
    if locale.language() == QLocale.Language.C:
        return QLocale("en_US")
    return locale


def _collator() -> QCollator:
    # A QCollator is not thread-safe: each call (on whichever thread) makes its own.
    return QCollator(collation_locale())


@total_ordering
class CollationKey:
    """A sort key for one text, in the same order as :func:`collation_ranks`: by the
    locale's collation (letters first, then accents, then case: Jérôme before José, Émile
    among the Es, and in Swedish Å after Z), then by code point, so no two different texts
    are ever equal. For sorting a few texts; a column of them is ranked in bulk."""

    __slots__ = ("_key", "text")

    def __init__(self, text: str, collator: QCollator | None = None) -> None:
        self.text = text
        self._key = (collator or _collator()).sortKey(text)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, CollationKey):
            return NotImplemented
        if self._key < other._key:
            return True
        return not other._key < self._key and self.text < other.text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CollationKey):
            return NotImplemented
        return self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"CollationKey({self.text!r})"


def text_key(text: str) -> CollationKey:
    """A sort key that orders words as readers of the user's language do rather than by
    code point (see :class:`CollationKey`)."""
    return CollationKey(text)


def collation_ranks(texts: Sequence[str]) -> list[int]:
    """Each text's place in the order of :class:`CollationKey` (equal texts share a place):
    integers, which sort several times faster than collation keys and take less memory.

    Each distinct text is given to the collator once (a roster repeats given and family
    names). Texts the collator finds equal (rare: the same letters in different Unicode
    forms) stay in code point order: the texts are sorted by code point first, then stably
    by collation key."""
    distinct = sorted(set(texts))
    sort_key = _collator().sortKey
    # A comprehension rather than map(): Python code hands the interpreter lock over every
    # few milliseconds, so the GUI thread is not frozen while a roster loads.
    keys = [sort_key(text) for text in distinct]
    order = sorted(range(len(distinct)), key=keys.__getitem__)
    place = {distinct[i]: rank for rank, i in enumerate(order)}
    return [place[text] for text in texts]


_EPOCH = datetime(1970, 1, 1)


def _time_key(value: datetime) -> int:
    # Integers sort several times faster than datetime objects.
    return (value - _EPOCH) // _SECOND


_SECOND = timedelta(seconds=1)


#: Columns of names, sorted by the user's locale (see :func:`collation_ranks`).
_TEXT_COLUMNS: dict[Column, Callable[[MemberRow], str]] = {
    Column.NAME: lambda r: r.display_name,
    Column.GIVEN_NAME: lambda r: r.given_name or "",
    Column.FAMILY_NAME: lambda r: r.family_name or "",
}

_SORT_KEYS: dict[Column, Callable[[MemberRow], Any]] = {
    Column.EMAIL: lambda r: (r.email or "").casefold(),
    Column.USER_ID: lambda r: _user_id_key(r.user_id),
    Column.ROLE: lambda r: _ROLE_RANK.get(r.role, 99),
    Column.STATUS: lambda r: r.status != MemberStatus.ACTIVE,
    Column.FIRST_SEEN: lambda r: _time_key(r.first_seen_at),
    Column.LAST_SEEN: lambda r: _time_key(r.last_seen_at),
}


#: (column, descending): a sort order of the table.
SortOrder = tuple[Column, bool]


@dataclass(frozen=True, slots=True)
class PreparedRoster:
    """A loaded roster with its search text folded and, when asked for, the row order and
    sort keys of the sort the table shows: all built off the GUI thread, so showing it costs
    the GUI thread only a filter pass."""

    rows: Sequence[MemberRow]
    haystacks: Sequence[str]
    roles: Sequence[str]
    active: Sequence[bool]
    #: Every row in the order ``sort`` gives, computed with the roster (empty: not computed).
    order: Sequence[int] = ()
    sort: SortOrder | None = None
    sort_keys: Mapping[Column, list[Any]] = field(default_factory=dict)
    #: Every row in name order (the tie-break of every other sort), computed with the roster.
    name_order: Sequence[int] = ()

    @classmethod
    def build(cls, rows: Sequence[MemberRow], sort: SortOrder | None = None) -> PreparedRoster:
        """Fold the rows' search text; with ``sort``, also order them the way the table will
        show them."""
        keys: dict[Column, list[Any]] = {}
        name_order = _sorted_rows(rows, Column.NAME, False, keys, ())
        order: list[int] = []
        if sort is not None:
            order = _sorted_rows(rows, sort[0], sort[1], keys, name_order)
        haystacks: list[str] = []
        roles: list[str] = []
        active: list[bool] = []
        add_haystack, add_role, add_active = haystacks.append, roles.append, active.append
        intern = sys.intern
        # One pass in Python rather than a chain of C-level maps: each row is visited once
        # (the rows are scattered in memory), and Python code lets go of the interpreter lock
        # every few milliseconds, where a C-level map over 100,000 rows holds it for 50 ms
        # and freezes the GUI thread meanwhile.
        for row in rows:
            add_haystack(member_haystack(row))
            # One string object per role: counting 100,000 equal strings that are distinct
            # objects is five times slower (the summary counts them on every filter change).
            add_role(intern(row.role))
            add_active(row.status == MemberStatus.ACTIVE)
        return cls(
            rows,
            haystacks,
            roles,
            active,
            order=order,
            sort=sort,
            sort_keys=keys,
            name_order=name_order,
        )

    @classmethod
    def empty(cls) -> PreparedRoster:
        return cls((), (), (), ())


def _sorted_rows(
    rows: Sequence[MemberRow],
    column: Column,
    descending: bool,
    cache: dict[Column, list[Any]],
    name_order: Sequence[int],
) -> list[int]:
    """Row numbers in the order of ``column``; keys are computed once per column and kept in
    ``cache``. ``name_order`` is every row in name order (empty: not computed yet)."""
    count = len(rows)
    if column is Column.NAME:
        if not descending and len(name_order) == count:
            return list(name_order)
        base: Sequence[int] = range(count)
    else:
        # Rows with equal keys stay in name order, in both directions.
        if len(name_order) != count:
            name_order = _sorted_rows(rows, Column.NAME, False, cache, ())
        base = name_order
    keys = cache.get(column)
    if keys is None:
        text = _TEXT_COLUMNS.get(column)
        if text is not None:
            keys = cache[column] = collation_ranks([text(row) for row in rows])
        else:
            keys = cache[column] = list(map(_SORT_KEYS[column], rows))
    # Stable: rows with equal keys stay in name order, in both directions.
    return sorted(base, key=keys.__getitem__, reverse=descending)


@dataclass(frozen=True, slots=True)
class Filters:
    text: str = ""
    role: str = ""  # a ToolRole value, or "" for every role
    status: StatusFilter = StatusFilter.ACTIVE


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
        self._sort_keys = dict(roster.sort_keys)
        if roster.sort == (self.sort_column, self.descending) and len(roster.order) == len(
            roster.rows
        ):
            self._order = list(roster.order)
        else:
            self._order = self._sorted_order()
        self._refilter_base()

    def detach(self) -> list[Any]:
        """Empty the index and hand over what it held (the roster and the row lists), for
        :func:`release_later`."""
        held: dict[int, Any] = {}
        for thing in (self.roster, self._order, self._base, self.shown, *self._sort_keys.values()):
            held[id(thing)] = thing
        self.roster = PreparedRoster.empty()
        self._order, self._base, self.shown, self._sort_keys = [], [], [], {}
        return list(held.values())

    # --- sorting ---------------------------------------------------------------------------

    def sort(self, column: Column, descending: bool) -> None:
        if (column, descending) == (self.sort_column, self.descending) and self._order:
            return
        self.sort_column, self.descending = column, descending
        self._order = self._sorted_order()
        self._refilter_base()

    def _sorted_order(self) -> list[int]:
        return _sorted_rows(
            self.roster.rows,
            self.sort_column,
            self.descending,
            self._sort_keys,
            self.roster.name_order,
        )

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
        if status == StatusFilter.ACTIVE:
            rows = [i for i in rows if active[i]]
        elif status == StatusFilter.INACTIVE:
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

    def count_matching(self, filters: Filters) -> int:
        """How many rows ``filters`` would show, leaving what is shown alone (one pass; used to
        say what the filters hide when they hide every row)."""
        roles, active, hay = self.roster.roles, self.roster.active, self.roster.haystacks
        words = SearchQuery(filters.text).words
        count = 0
        for i in range(len(self.roster.rows)):
            if filters.status == StatusFilter.ACTIVE and not active[i]:
                continue
            if filters.status == StatusFilter.INACTIVE and active[i]:
                continue
            if filters.role and roles[i] != filters.role:
                continue
            if all(word in hay[i] for word in words):
                count += 1
        return count

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


# --- releasing a roster ------------------------------------------------------------------

#: Rows freed per slice; a slice takes about a millisecond, so the GUI thread waits at most
#: that long for the interpreter lock.
_RELEASE_SLICE = 2000
_RELEASE_PAUSE = 0.0005


def release(things: list[Any]) -> None:
    """Free a replaced roster a slice at a time; meant for a background operation.

    Dropping the last reference to 100,000 rows frees them all in one call that holds the
    interpreter lock for about 0.1 s: done on the GUI thread (or in one go on any thread)
    that freezes the window. Pass the only reference to ``things`` (a list the caller keeps no
    other reference into); lists still referenced elsewhere are left alone.
    """
    while things:
        _release_one(things.pop())


def _release_one(thing: Any) -> None:
    # Our reference and getrefcount's own: nobody else can see the object, so emptying it is
    # unobservable.
    if sys.getrefcount(thing) > 2:
        return
    if isinstance(thing, PreparedRoster):
        parts: list[Any] = [
            thing.rows,
            thing.haystacks,
            thing.roles,
            thing.active,
            thing.order,
            thing.name_order,
            *thing.sort_keys.values(),
        ]
        del thing
        while parts:
            _release_one(parts.pop())
    elif isinstance(thing, list):
        while thing:
            del thing[-_RELEASE_SLICE:]
            # Hand the interpreter lock over between slices: without this the GUI thread would
            # wait out a whole switch interval each time it needs the lock back.
            time.sleep(_RELEASE_PAUSE)


def format_time(value: datetime | None) -> str:
    """Stored times are naive UTC; show them in the admin's local time, to the minute."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")
