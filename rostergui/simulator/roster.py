"""The ordered, versioned member list of one simulated course.

Rosters can be huge (100,000 members), so generated members are not stored: a roster holds a
sequence of *entries*, where an ``int`` is an index that a
:class:`~rostergui.simulator.members.MemberSource` turns into a member on demand. Explicit
:class:`~rostergui.simulator.members.Member` tuples (hand-written sample members, enrolments,
status changes) and raw LMS dicts (``replace_roster``) can sit in the same sequence. Every
change creates a new immutable sequence and a new version number, so a roster walk that
pinned an older version keeps seeing exactly the pages it started with.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence

from rostergui.simulator.members import (
    MEMBER_STATUSES,
    Entry,
    Member,
    MemberSource,
    RawMember,
    raw_user_id,
)


class Roster:
    """The ordered, versioned member list of one course.

    Not thread-safe by itself: the simulator serialises all access behind its
    lock. Sequences handed out by :meth:`pin` and :meth:`snapshot` are never
    mutated afterwards, so they can be read without the lock.
    """

    MAX_PINNED = 16

    def __init__(
        self,
        source: MemberSource,
        members: Iterable[Member | RawMember] = (),
        *,
        next_serial: int | None = None,
    ) -> None:
        explicit: tuple[Entry, ...] = tuple(members)
        if explicit and source.count:
            raise ValueError("a roster is either generated or explicit, not both")
        self.source = source
        self._entries: Sequence[Entry] = explicit if explicit else range(source.count)
        self._version = 1
        self._pinned: OrderedDict[int, Sequence[Entry]] = OrderedDict()
        default_serial = source.count + len(explicit) + 1
        self._next_serial = default_serial if next_serial is None else next_serial

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def version(self) -> int:
        """Bumped on every change; carried in ``next`` URLs to pin a walk."""
        return self._version

    @property
    def entries(self) -> Sequence[Entry]:
        """The current immutable entry sequence."""
        return self._entries

    def resolve(self, entry: Entry) -> Member | RawMember:
        """Turn an entry into a member (generated on demand for indices)."""
        if isinstance(entry, int):
            return self.source.member(entry)
        return entry

    def user_id_of(self, entry: Entry) -> str:
        """User id of an entry, as a string."""
        if isinstance(entry, int):
            return self.source.user_id(entry)
        if isinstance(entry, Member):
            return entry.user_id
        return raw_user_id(entry)

    def roles_of(self, entry: Entry) -> Sequence[str]:
        """Roles of an entry (cheap for generated members)."""
        if isinstance(entry, int):
            return self.source.roles(entry)
        if isinstance(entry, Member):
            return entry.roles
        roles = entry.get("roles", [])
        return [str(r) for r in roles] if isinstance(roles, list) else []

    def user_ids(self) -> list[str]:
        """All current user ids, in roster order."""
        return [self.user_id_of(e) for e in self._entries]

    def members(self) -> list[Member | RawMember]:
        """All current members, resolved (builds every generated member: avoid for 100k)."""
        return [self.resolve(e) for e in self._entries]

    def pin(self) -> tuple[int, Sequence[Entry]]:
        """Remember the current version so later pages of a walk can still be served."""
        self._pinned[self._version] = self._entries
        self._pinned.move_to_end(self._version)
        while len(self._pinned) > self.MAX_PINNED:
            self._pinned.popitem(last=False)
        return self._version, self._entries

    def snapshot(self, version: int | None) -> tuple[int, Sequence[Entry]]:
        """Entries of a pinned version; falls back to the live roster if it was evicted."""
        if version is not None:
            if version == self._version:
                return version, self._entries
            pinned = self._pinned.get(version)
            if pinned is not None:
                return version, pinned
        return self._version, self._entries

    def _commit(self, entries: Sequence[Entry]) -> None:
        self._entries = entries
        self._version += 1

    def create_members(self, count: int, roles: tuple[str, ...]) -> list[Member]:
        """Invent ``count`` new people (not yet added) with consecutive serials."""
        out = []
        for _ in range(count):
            out.append(self.source.new_member(self._next_serial, roles))
            self._next_serial += 1
        return out

    def add(self, members: Sequence[Member | RawMember]) -> None:
        """Append members at the end, as an LMS lists new enrolments last."""
        if members:
            self._commit((*self._entries, *members))

    def remove_ids(self, user_ids: Iterable[str]) -> list[str]:
        """Remove members by user id; every id must be present (else ``KeyError``)."""
        wanted = {str(u) for u in user_ids}
        if not wanted:
            return []
        kept: list[Entry] = []
        removed: list[str] = []
        for entry in self._entries:
            uid = self.user_id_of(entry)
            if uid in wanted:
                removed.append(uid)
            else:
                kept.append(entry)
        missing = wanted.difference(removed)
        if missing:
            raise KeyError(f"not enrolled: {', '.join(sorted(missing))}")
        self._commit(tuple(kept))
        return removed

    def remove_positions(self, positions: Iterable[int]) -> list[str]:
        """Remove the members at these indices of the current sequence."""
        ordered = sorted(set(positions), reverse=True)
        if not ordered:
            return []
        entries = list(self._entries)
        removed = []
        for pos in ordered:
            removed.append(self.user_id_of(entries[pos]))
            del entries[pos]
        self._commit(tuple(entries))
        removed.reverse()
        return removed

    def set_status(self, user_id: str, status: str) -> None:
        """Mark a member Active or Inactive (``KeyError`` if not enrolled)."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be 'Active' or 'Inactive', not {status!r}")
        for pos, entry in enumerate(self._entries):
            if self.user_id_of(entry) != str(user_id):
                continue
            current = self.resolve(entry)
            updated: Member | RawMember
            if isinstance(current, dict):
                updated = {**current, "status": status}
            else:
                updated = current._replace(status=status)
            entries = list(self._entries)
            entries[pos] = updated
            self._commit(tuple(entries))
            return
        raise KeyError(f"not enrolled: {user_id}")

    def replace(self, members: Iterable[Member | RawMember]) -> None:
        """Swap the whole roster for explicit members."""
        self._commit(tuple(members))
