"""The member table and the filter box above it.

The table has fixed row heights (100,000 rows cost nothing to lay out), copies the selection
with a header row, and offers the selection's e-mail addresses, user ids and an export in its
context menu. The filter box keeps Esc for itself while it has text to clear.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QMenu,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from rostergui.core.states import MemberStatus
from rostergui.core.store.repo import MemberRow
from rostergui.ui.member_model import MemberTableModel, cell_text
from rostergui.ui.roster_index import COLUMN_TITLES, Column


class MemberTable(QTableView):
    """The table: fixed row heights (so 100,000 rows cost nothing to lay out), Ctrl+C (with a
    header row, so a spreadsheet gets named columns) and a context menu for the selection."""

    #: "Export selection…" was chosen.
    exportSelectionRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Members")
        # Arrows, Home/End and Page Up/Down move in the table; Tab moves on to the next
        # control instead of walking 100,000 rows cell by cell (a keyboard trap).
        self.setTabKeyNavigation(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setSortingEnabled(True)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        # Spare width goes to the name and e-mail columns (see _share_spare), not "Last seen".
        header.setStretchLastSection(False)
        header.setResizeContentsPrecision(FIT_ROWS)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda position: self.column_menu().popup(header.mapToGlobal(position))
        )
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        copy = QAction("Copy", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.triggered.connect(self.copy_selection)
        self.addAction(copy)
        self.copy_emails_action = QAction("Copy e-mail addresses", self)
        self.copy_emails_action.triggered.connect(
            lambda: self._copy_lines(m.email for m in self.selected_members() if m.email)
        )
        self.copy_ids_action = QAction("Copy user ids", self)
        self.copy_ids_action.triggered.connect(
            lambda: self._copy_lines(m.user_id for m in self.selected_members())
        )
        separator = QAction(self)
        separator.setSeparator(True)
        self.export_selection_action = QAction("Export selection…", self)
        self.export_selection_action.triggered.connect(self.exportSelectionRequested)
        for action in (
            self.copy_emails_action,
            self.copy_ids_action,
            separator,
            self.export_selection_action,
        ):
            self.addAction(action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.copy_action = copy

    def moveCursor(
        self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """Home and End go to the first and last member, as in any list of rows; a table
        would go to the first and last column, which the row selection makes invisible."""
        action = QAbstractItemView.CursorAction
        model = self.model()
        if cursorAction in (action.MoveHome, action.MoveEnd) and model is not None:
            rows = model.rowCount()
            if rows:
                column = max(self.currentIndex().column(), 0)
                row = 0 if cursorAction == action.MoveHome else rows - 1
                return model.index(row, column)
        return super().moveCursor(cursorAction, modifiers)

    def column_menu(self) -> QMenu:
        """The header's menu: a check box per column (the name always shows)."""
        header = self.horizontalHeader()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for column in Column:
            if column is Column.NAME:
                continue
            action = menu.addAction(COLUMN_TITLES[column])
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(partial(self.show_column, column))
        return menu

    def show_column(self, column: Column, shown: bool) -> None:
        header = self.horizontalHeader()
        header.setSectionHidden(column, not shown)
        if shown and header.sectionSize(column) < 40:
            header.resizeSection(column, max(self.sizeHintForColumn(column), 100))

    def fit_columns(self) -> None:
        """Widths from the content of the first rows (names and e-mail addresses capped, so
        one long address does not push the rest out of view), then the spare width shared."""
        header = self.horizontalHeader()
        model = self.model()
        if isinstance(model, MemberTableModel):
            rows = [model.member(r) for r in range(min(FIT_ROWS, model.rowCount()))]
            for column in Column:
                if not header.isSectionHidden(column):
                    width = max(self._content_width(model, rows, column),
                                header.sectionSizeHint(column))
                    header.resizeSection(column, width)
        else:
            self.resizeColumnsToContents()
        for column in (Column.NAME, Column.EMAIL):
            header.resizeSection(column, min(header.sectionSize(column), _WIDE_COLUMN_CAP))
        self._share_spare()

    def _content_width(
        self, model: MemberTableModel, rows: list[MemberRow], column: Column
    ) -> int:
        """How wide ``column`` must be for ``rows``, as ``resizeColumnToContents`` measures it
        but cheaply: Qt asks the delegate about every role of every sampled cell (11,200 calls
        for 200 rows, about 40 ms on the GUI thread, the longest stall of a "Sync all" whose
        first roster arrives); here only the texts are measured, in the font each row is
        shown in, and the delegate sizes the few widest cells, margins and icon included."""
        if not rows:
            return 0
        font = self.font()
        italic_font = QFont(font)
        italic_font.setItalic(True)
        plain, italic = QFontMetrics(font), QFontMetrics(italic_font)
        icon = self.iconSize().width() + 4 if column is Column.NAME else 0

        def measured(n: int) -> int:
            row = rows[n]
            metrics = plain if row.status == MemberStatus.ACTIVE else italic
            width = metrics.horizontalAdvance(cell_text(row, column))
            return width + icon if icon and row.test_user else width

        widest = sorted(range(len(rows)), key=measured, reverse=True)[:_FIT_CANDIDATES]
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        delegate = self.itemDelegateForColumn(column) or self.itemDelegate()
        return max(delegate.sizeHint(option, model.index(n, column)).width() for n in widest)

    def _share_spare(self) -> None:
        header = self.horizontalHeader()
        spare = self.viewport().width() - header.length()
        wide = [c for c in (Column.NAME, Column.EMAIL) if not header.isSectionHidden(c)]
        if spare <= 0 or not wide:
            return
        for n, column in enumerate(wide):
            share = spare // len(wide) + (spare % len(wide) if n == 0 else 0)
            header.resizeSection(column, header.sectionSize(column) + share)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._share_spare()

    def selected_members(self) -> list[MemberRow]:
        """The selected rows, top to bottom as shown."""
        model = self.model()
        selection = self.selectionModel()
        if not isinstance(model, MemberTableModel) or selection is None:
            return []
        return [model.member(r) for r in sorted({i.row() for i in selection.selectedRows()})]

    @staticmethod
    def _copy_lines(lines: Iterable[str]) -> None:
        text = "\n".join(lines)
        if text:
            QGuiApplication.clipboard().setText(text + "\n")

    def selected_text(self) -> str:
        """Selected rows as tab-separated text under a header row (columns in their on-screen
        order)."""
        model = self.model()
        selection = self.selectionModel()
        if not isinstance(model, MemberTableModel) or selection is None:
            return ""
        header = self.horizontalHeader()
        columns = [
            Column(header.logicalIndex(v))
            for v in range(header.count())
            if not header.isSectionHidden(header.logicalIndex(v))
        ]
        rows = sorted({i.row() for i in selection.selectedRows()})
        if not rows:
            return ""
        lines = ["\t".join(COLUMN_TITLES[c] for c in columns)]
        for r in rows:
            member = model.member(r)
            cells = (cell_text(member, c) for c in columns)
            lines.append("\t".join(" ".join(c.split()) for c in cells))
        return "\n".join(lines)

    def copy_selection(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text + "\n")


#: The most a name or e-mail column is widened to fit its content.
_WIDE_COLUMN_CAP = 320
#: Rows whose content sets the column widths (the first ones shown, as Qt's resize precision).
FIT_ROWS = 200
#: The widest texts of a column whose cells the delegate sizes when the columns are fitted.
_FIT_CANDIDATES = 3


class FilterEdit(QLineEdit):
    """The filter box: Esc clears the filter (and only reaches the window's Esc, which cancels
    a sync, when there is nothing to clear)."""

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and self.text()
        ):
            event.accept()  # ours: the window's Esc shortcut does not fire
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)
