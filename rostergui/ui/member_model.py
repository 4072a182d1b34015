"""The member table's model: a ``QAbstractTableModel`` over the rows a :class:`RosterIndex`
keeps.

Filtering and sorting happen in the index (plain Python lists), not in a
``QSortFilterProxyModel``, so 100,000 members load in a fraction of a second and a keystroke
re-filters in a few milliseconds. Qt only ever asks for the rows on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QGuiApplication, QIcon

from rostergui.core.states import MemberStatus
from rostergui.core.store.repo import MemberRow
from rostergui.ui import icons
from rostergui.ui.roles import muted_text, row_flags
from rostergui.ui.roster_index import (
    COLUMN_TITLES,
    Column,
    Filters,
    PreparedRoster,
    RosterIndex,
    SortOrder,
    format_time,
    release,
)

#: ``data(index, ROW_ROLE)`` gives the whole :class:`MemberRow`.
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

# Plain ints: ``data`` runs for every painted cell and role, and comparing ints is cheaper than
# comparing enum members.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_DESCRIPTION = int(Qt.ItemDataRole.AccessibleDescriptionRole)
_SPOKEN = int(Qt.ItemDataRole.AccessibleTextRole)
#: The roles ``data`` answers. A painted cell is asked for seven; the rest return at once.
_ANSWERED = frozenset(
    {_DISPLAY, _TOOLTIP, _FOREGROUND, _FONT, _DECORATION, _DESCRIPTION, _SPOKEN, ROW_ROLE}
)
_COLUMNS = tuple(Column)
_HEADER_TIPS: dict[Column, str] = {
    Column.ROLE: "The course role mapped from the LTI roles the LMS sent (hover a cell for them)",
    Column.STATUS: "Active members are on the LMS roster now; inactive ones left or were dropped",
    Column.FIRST_SEEN: "When a sync first found this member",
    Column.LAST_SEEN: "When a sync last found this member on the roster",
}

Index = QModelIndex | QPersistentModelIndex


def _one_line(text: str) -> str:
    # LMS data may carry line breaks or tabs inside a name; a table cell shows one line.
    return " ".join(text.split()) if not text.isprintable() else text


def row_text(row: MemberRow, *, with_name: bool = True) -> str:
    """What a screen reader says about a member wherever it is in the row: name, role and
    status (``Ana García, Learner, inactive``), so that moving down a column that is not the
    name still says whose row it is (the name cell leaves its own name out). Inactive rows are
    also greyed and italic, never only that."""
    parts = [_one_line(row.display_name) or row.user_id] if with_name else []
    parts += [row.role or "no role", row.status]
    if row.test_user:
        parts.append("test user")
    return ", ".join(parts)


def spoken_text(row: MemberRow, column: Column) -> str:
    """A cell as a screen reader says it: as shown, and an empty one as "no email" rather
    than "blank"."""
    return cell_text(row, column) or f"no {COLUMN_TITLES[column].lower()}"


def cell_text(row: MemberRow, column: Column) -> str:
    """A cell as shown (and as copied with Ctrl+C)."""
    if column is Column.NAME:
        return _one_line(row.display_name)
    if column is Column.EMAIL:
        return _one_line(row.email or "")
    if column is Column.USER_ID:
        return row.user_id
    if column is Column.ROLE:
        return row.role
    if column is Column.STATUS:
        return row.status
    if column is Column.FIRST_SEEN:
        return format_time(row.first_seen_at)
    if column is Column.GIVEN_NAME:
        return _one_line(row.given_name or "")
    if column is Column.FAMILY_NAME:
        return _one_line(row.family_name or "")
    return format_time(row.last_seen_at)


class MemberTableModel(QAbstractTableModel):
    """Read-only roster table; see the module docstring for why it filters itself."""

    #: The "412 shown: 380 Learners, …" line changed.
    summaryChanged = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.index_ = RosterIndex()
        self._italic = QFont()
        self._italic.setItalic(True)
        self._test_icon: QIcon | None = None
        #: Frees a replaced roster; the member panel makes it a background operation (freeing
        #: 100,000 rows at once would freeze the window for a tenth of a second).
        self.release: Callable[[list[Any]], None] = release

    # --- loading, filtering, sorting -------------------------------------------------------

    def set_roster(self, roster: PreparedRoster) -> None:
        """Show ``roster``; the one it replaces goes to :attr:`release`."""
        self.beginResetModel()
        replaced = self.index_.detach()
        self.index_.load(roster)
        self.endResetModel()
        self.release(replaced)
        self.summaryChanged.emit(self.summary())

    @property
    def sort_order(self) -> SortOrder:
        """The sort shown now, for :meth:`PreparedRoster.build` to prepare a roster in."""
        return self.index_.sort_column, self.index_.descending

    def clear(self) -> None:
        self.set_roster(PreparedRoster.empty())

    @property
    def filters(self) -> Filters:
        return self.index_.filters

    def set_filters(self, filters: Filters) -> None:
        if filters == self.index_.filters:
            return
        self.beginResetModel()
        self.index_.set_filters(filters)
        self.endResetModel()
        self.summaryChanged.emit(self.summary())

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(Column):
            return
        index = self.index_
        descending = order == Qt.SortOrder.DescendingOrder
        if (Column(column), descending) == (index.sort_column, index.descending):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        before = [(p, index.shown[p.row()]) for p in persistent if p.isValid()]
        index.sort(Column(column), descending)
        if before:
            where = {source: n for n, source in enumerate(index.shown)}
            old = [p for p, _ in before]
            new = [
                self.createIndex(where[src], p.column()) if src in where else QModelIndex()
                for p, src in before
            ]
            self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def summary(self) -> str:
        return self.index_.summary()

    def shown_rows(self) -> list[MemberRow]:
        return self.index_.shown_rows()

    @property
    def total(self) -> int:
        return len(self.index_.roster.rows)

    def member(self, row: int) -> MemberRow:
        return self.index_.row(row)

    # --- QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.index_.shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role not in _ANSWERED or not index.isValid():
            return None
        r = index.row()
        shown = self.index_.shown
        if r >= len(shown):
            return None
        row = self.index_.roster.rows[shown[r]]
        column = _COLUMNS[index.column()]
        if role == _DISPLAY:
            return cell_text(row, column)
        if role == _FOREGROUND:
            if row.status != MemberStatus.ACTIVE:
                # Quieter, italic, and the status column says "inactive": never colour alone.
                return muted_text(QGuiApplication.palette())
            return None
        if role == _FONT:
            return self._italic if row.status != MemberStatus.ACTIVE else None
        if role == _TOOLTIP:
            return self._tooltip(row, column)
        if role == _DECORATION:
            if column is Column.NAME and row.test_user:
                if self._test_icon is None:
                    self._test_icon = icons.icon("test-user")
                return self._test_icon
            return None
        if role == ROW_ROLE:
            return row
        if role == _DESCRIPTION:
            return row_text(row, with_name=column is not Column.NAME)
        if role == _SPOKEN:
            return spoken_text(row, column)
        return None

    @staticmethod
    def _tooltip(row: MemberRow, column: Column) -> str | None:
        if column is Column.ROLE:
            raw = "\n".join(row.lti_roles) or "(no roles sent)"
            return f"LTI roles as the LMS sent them:\n{raw}"
        if column is Column.NAME and row.test_user:
            return f"{row.display_name} — test user (the LMS's student view), not a real person"
        if column is Column.STATUS and row.deactivated_at is not None:
            return f"Inactive since {format_time(row.deactivated_at)}"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == _DISPLAY:
            return COLUMN_TITLES[column]
        if role == _TOOLTIP:
            return _HEADER_TIPS.get(column)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return row_flags(index)
