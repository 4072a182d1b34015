"""The History tab: every sync of the selected course, and who changed in the selected one.

Every run is recorded by the core (start, outcome, counts, error) with the people added,
dropped, returned or whose role changed. Showing them answers the support question "why is this
student not in my tool?" without reading logs. Both lists load in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rostergui.core import errors
from rostergui.core.service import RosterService
from rostergui.core.states import Outcome, Trigger
from rostergui.core.store.repo import Change, SyncRun
from rostergui.ui.badges import Tone
from rostergui.ui.operation import Operations
from rostergui.ui.roles import row_flags, tone_colour
from rostergui.ui.roster_index import format_time

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

OUTCOME_LABELS: dict[str, str] = {
    Outcome.OK: "Synced",
    Outcome.FAILED: "Failed",
    Outcome.CANCELLED: "Cancelled",
    Outcome.HELD: "Held",
    Outcome.RUNNING: "Running",
}
_OUTCOME_TONES: dict[str, Tone] = {
    Outcome.OK: Tone.FRESH,
    Outcome.FAILED: Tone.FAILED,
    Outcome.HELD: Tone.HELD,
    Outcome.CANCELLED: Tone.MUTED,
    Outcome.RUNNING: Tone.BUSY,
}
CHANGE_LABELS = {
    "added": "Added",
    "deactivated": "Dropped",
    "reactivated": "Returned",
    "role_changed": "Role changed",
}
TRIGGER_LABELS: dict[str, str] = {
    Trigger.MANUAL: "button",
    Trigger.SCHEDULE: "schedule",
    Trigger.COMMAND: "command line",
    Trigger.DEMO: "demo",
}


def held_note(run: SyncRun) -> str:
    """A held run's one line: what it would have done, and that it did nothing."""
    return f"Held: {run.deactivated:,} would have been dropped; nothing changed"


def duration(run: SyncRun) -> str:
    if run.finished_at is None:
        return ""
    seconds = (run.finished_at - run.started_at).total_seconds()
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


class _ListTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table over a list of records with fixed columns."""

    columns: Sequence[str] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: list[T] = []

    def set_items(self, items: Sequence[T]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def item(self, row: int) -> T:
        return self.items[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return row_flags(index)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        if not 0 <= index.column() < len(self.columns):
            return None
        return self.cell(self.items[index.row()], index.column(), role)

    def cell(self, item: T, column: int, role: int) -> Any:
        raise NotImplementedError


class RunsModel(_ListTableModel[SyncRun]):
    columns = (
        "When",
        "Outcome",
        "Added",
        "Dropped",
        "Returned",
        "Updated",
        "Active",
        "Took",
        "Trigger",
        "Notes",
    )

    def cell(self, run: SyncRun, column: int, role: int) -> Any:
        held = run.outcome == Outcome.HELD
        if role == Qt.ItemDataRole.DisplayRole:
            if held and 2 <= column <= 5:
                return ""  # nothing was added, dropped or changed: the note says what was held
            if held and column == 9:
                return held_note(run)
            values: tuple[object, ...] = (
                format_time(run.started_at),
                OUTCOME_LABELS.get(run.outcome, run.outcome),
                run.added,
                run.deactivated,
                run.reactivated,
                run.updated,
                "" if run.active_count is None else run.active_count,
                duration(run),
                TRIGGER_LABELS.get(run.trigger, run.trigger),
                run.error or run.warning or "",
            )
            value = values[column]
            return f"{value:,}" if isinstance(value, int) else value
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 9 and held:
                return held_note(run)
            if column == 9 and (run.error or run.warning):
                return run.error or run.warning
            if column == 0:
                return (
                    f"Started {format_time(run.started_at)}, {run.pages:,} pages, "
                    f"{run.fetched:,} members fetched"
                )
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            tone = _OUTCOME_TONES.get(run.outcome)
            return tone_colour(tone, QGuiApplication.palette()) if tone else None
        if role == Qt.ItemDataRole.TextAlignmentRole and 2 <= column <= 6:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ChangesModel(_ListTableModel[Change]):
    columns = ("Change", "Name", "Email", "User ID", "Role")

    def cell(self, change: Change, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return CHANGE_LABELS.get(change.change, change.change)
            if column == 1:
                return change.name or ""
            if column == 2:
                return change.email or ""
            if column == 3:
                return change.user_id
            if change.change == "role_changed":
                return f"{change.old_role or '?'} → {change.new_role or '?'}"
            return change.new_role or change.old_role or ""
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            tone = {
                "added": Tone.FRESH,
                "deactivated": Tone.FAILED,
                "reactivated": Tone.BUSY,
                "role_changed": Tone.HELD,
            }.get(change.change)
            return tone_colour(tone, QGuiApplication.palette()) if tone else None
        return None


def _table(model: QAbstractTableModel, name: str, parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setTabKeyNavigation(False)  # Tab moves on; arrows move within the table
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class HistoryPanel(QWidget):
    def __init__(
        self, service: RosterService, runner: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.course_name: str | None = None
        self._generation = 0
        self.runs_model = RunsModel(self)
        self.changes_model = ChangesModel(self)
        self.runs_view = _table(self.runs_model, "Sync history", self)
        self.changes_view = _table(self.changes_model, "Changes in the selected sync", self)
        header = self.runs_view.horizontalHeader()
        for column, width in enumerate((130, 80, 60, 60, 70, 65, 65, 60, 90)):
            header.resizeSection(column, width)
        header = self.changes_view.horizontalHeader()
        for column, width in enumerate((100, 200, 240, 110)):
            header.resizeSection(column, width)
        self.runs_label = QLabel("Syncs of this course, newest first", self)
        self.changes_label = QLabel("Select a sync to see who changed.", self)
        self.changes_label.setWordWrap(True)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.runs_label)
        top_layout.addWidget(self.runs_view)
        bottom = self.changes_pane = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.changes_label)
        bottom_layout.addWidget(self.changes_view)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setSizes([300, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.runs_view.selectionModel().currentRowChanged.connect(self._run_selected)

    def show_course(self, name: str | None) -> None:
        self.course_name = name
        self._generation += 1
        generation = self._generation
        self.changes_model.set_items([])
        if name is None:
            self.runs_model.set_items([])
            return
        service = self.service
        self._load(
            lambda: service.history(name),
            lambda runs: self._runs_loaded(generation, runs),
        )

    def _runs_loaded(self, generation: int, runs: list[SyncRun]) -> None:
        if generation != self._generation:
            return
        self.runs_model.set_items(runs)
        # A course never synced: one line, not two empty tables under it.
        self.runs_view.setVisible(bool(runs))
        self.changes_pane.setVisible(bool(runs))
        self.runs_label.setText(
            f"{len(runs):,} sync{'s' if len(runs) != 1 else ''} of this course, newest first"
            if runs
            else "No syncs yet."
        )
        if runs:
            self.runs_view.selectRow(0)

    def _run_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.changes_model.set_items([])
            return
        run = self.runs_model.item(current.row())
        generation = self._generation
        service = self.service
        self._load(
            lambda: service.changes(run.id),
            lambda changes: self._changes_loaded(generation, run, changes),
        )

    def _changes_loaded(self, generation: int, run: SyncRun, changes: list[Change]) -> None:
        if generation != self._generation:
            return
        current = self.runs_view.currentIndex()
        if not current.isValid() or self.runs_model.item(current.row()).id != run.id:
            return
        self.changes_model.set_items(changes)
        when = format_time(run.started_at)
        if changes:
            counted = f"{len(changes):,} change{'s' if len(changes) != 1 else ''}"
            self.changes_label.setText(f"{counted} in the sync of {when}")
        elif run.outcome == Outcome.OK:
            self.changes_label.setText(f"Nobody joined, left or changed role on {when}.")
        elif run.outcome == Outcome.HELD:
            self.changes_label.setText(f"The sync of {when}: {held_note(run)}.")
        else:
            outcome = OUTCOME_LABELS.get(run.outcome, run.outcome).lower()
            self.changes_label.setText(
                f"The sync of {when} {outcome}: nothing was changed."
                + (f" {run.error}" if run.error else "")
            )

    def _load(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        def failed(exc: BaseException) -> None:
            if isinstance(exc, errors.RosterSyncError):
                self.changes_label.setText(f"Could not read the history: {exc.message}")
                return
            from rostergui.ui import crash

            crash.report_bug(exc, self)

        self.runner.run(job, done, failed, name="history")
