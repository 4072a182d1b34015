"""Course → Import courses…: many courses at once, from a CSV file or pasted launch tokens.

Nothing is saved until the admin has seen what will happen to each row: the file (or the
tokens) is read and every row checked by the core (:meth:`RosterService.plan_import
<rostergui.core.catalogue.CatalogueUseCases.plan_import>`) in the background, and the preview
table shows each row's state (ready, invalid and why, a duplicate of a stored course or of an
earlier row). The admin unticks rows to leave out, gives the API key of each LTIAAS address
that has none saved, and imports: the kept rows are imported in the background with progress
(:class:`~rostergui.ui.operation.Operation`), and each row then shows its outcome.

The dialog opens window-modal with ``open()``, and its file chooser with ``open()`` too: no
nested event loop, so syncs and the schedule go on while it is open.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rostergui.core import errors
from rostergui.core.course_import import ImportOutcome, ImportRow, RowOutcome, origins
from rostergui.ui import catalogue_wording as words
from rostergui.ui import wording
from rostergui.ui.badges import Tone
from rostergui.ui.roles import Index, tone_colour

if TYPE_CHECKING:
    from rostergui.ui.main_window import MainWindow
    from rostergui.ui.operation import Operation, Reporter

COLUMNS = ("Import", "Row", "Name", "LTIAAS address", "Key", "State")
_IMPORT, _ROW, _NAME, _ADDRESS, _KEY, _STATE = range(len(COLUMNS))


class ImportPreviewModel(QAbstractTableModel):
    """The planned rows: a tick to keep each ready row, then the outcome once imported."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ImportRow] = []
        self.kept: list[bool] = []
        self.outcomes: dict[int, ImportOutcome] = {}

    def set_rows(self, rows: list[ImportRow]) -> None:
        self.beginResetModel()
        self.rows, self.kept, self.outcomes = list(rows), [r.ready for r in rows], {}
        self.endResetModel()

    def kept_rows(self) -> list[ImportRow]:
        return [row for row, kept in zip(self.rows, self.kept, strict=True) if kept and row.ready]

    def set_outcomes(self, outcomes: list[ImportOutcome]) -> None:
        self.outcomes = {o.row: o for o in outcomes}
        if self.rows:
            last = self.index(len(self.rows) - 1, len(COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        outcome = self.outcomes.get(row.row)
        if role == Qt.ItemDataRole.CheckStateRole and column == _IMPORT:
            kept = self.kept[index.row()] and row.ready
            return Qt.CheckState.Checked if kept else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == _STATE:
                if outcome is not None:
                    return words.import_state(outcome.outcome, outcome.reason)
                return words.import_state(row.state, row.reason, kept=self.kept[index.row()])
            if column == _NAME and outcome is not None and not row.name:
                return outcome.name  # a pasted token's course, named after its title
            return _cell(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == _STATE:
            left_out = outcome is None and row.ready and not self.kept[index.row()]
            state = outcome.outcome if outcome else row.state
            tone = Tone.MUTED if left_out else words.import_tone(state)
            return tone_colour(tone, QPalette())
        if role == Qt.ItemDataRole.AccessibleTextRole:
            state = self.data(self.index(index.row(), _STATE))
            return f"Row {row.row}, {row.name or 'launch token'}: {state}"
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != _IMPORT:
            return False
        if not self.rows[index.row()].ready or self.outcomes:
            return False
        self.kept[index.row()] = Qt.CheckState(value) == Qt.CheckState.Checked
        self.dataChanged.emit(index, self.index(index.row(), _STATE))
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        ready = self.rows[index.row()].ready and not self.outcomes
        if index.column() == _IMPORT and ready:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


def _cell(row: ImportRow, column: int) -> str:
    if column == _ROW:
        return str(row.row)
    if column == _NAME:
        return row.name or "(named after its course)"
    if column == _ADDRESS:
        return row.base_url
    if column == _KEY:
        # Never the key itself: a preview may be on a shared screen.
        return "launch token" if row.ltik else "service key" if row.service_key else ""
    return ""


class ImportDialog(QDialog):
    """Choose a file or paste tokens, preview, untick, import; see the module docstring."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.main = window
        self.setWindowTitle("Import courses")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(1180, 640)
        self._operation: Operation[list[ImportOutcome], tuple[int, int]] | None = None
        self.key_edits: dict[str, QLineEdit] = {}
        #: API keys already in the keyring, by LTIAAS address (no field is asked for them).
        self.saved_keys: dict[str, str] = {}

        self.file_button = QPushButton("Choose a CSV file…", self)
        self.file_button.clicked.connect(self.choose_file)
        self.file_label = QLabel("name, base_url, and service_key or ltik; one course a row", self)
        self.file_label.setEnabled(False)
        self.tokens = QPlainTextEdit(self)
        self.tokens.setPlaceholderText("One launch token (ltik) per line")
        self.tokens.setFixedHeight(56)
        self.tokens.setAccessibleName("Launch tokens, one per line")
        self.token_url = QLineEdit(self)
        self.token_url.setPlaceholderText("https://your-tool.ltiaas.com")
        self.token_url.setAccessibleName("LTIAAS address of the launch tokens")
        courses = window.course_model.courses
        self.token_url.setText(courses[0].base_url if courses else "")
        self.preview_button = QPushButton("Preview tokens", self)
        self.preview_button.clicked.connect(self.preview_tokens)
        source = QFormLayout()
        from_file = QHBoxLayout()
        from_file.addWidget(self.file_button)
        from_file.addWidget(self.file_label, 1)
        source.addRow("From a file:", from_file)
        source.addRow("Or paste launch tokens:", self.tokens)
        tokens_at = QHBoxLayout()
        tokens_at.addWidget(self.token_url, 1)
        tokens_at.addWidget(self.preview_button)
        source.addRow("Their LTIAAS address:", tokens_at)

        self.model = ImportPreviewModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Rows to import")
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)  # the full reason is in each row's tooltip
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((56, 40, 200, 170, 90)):
            self.table.setColumnWidth(column, width)
        self.keys_box = QWidget(self)
        self.keys_form = QFormLayout(self.keys_box)
        self.keys_form.setContentsMargins(0, 0, 0, 0)
        self.check_box = QCheckBox("Check each course with LTIAAS before saving it", self)
        self.check_box.setToolTip(
            "Finds refused keys and courses already stored under another name before they are "
            "saved, and names each course after its LMS title; takes longer"
        )
        self.check_box.setChecked(True)
        self.summary = QLabel(words.import_hint(), self)
        self.summary.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button.clicked.connect(self._cancel_or_close)
        layout = QVBoxLayout(self)
        layout.addLayout(source)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.keys_box)
        layout.addWidget(self.check_box)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.model.dataChanged.connect(self._update)

    # --- reading ------------------------------------------------------------------------------

    def choose_file(self) -> None:
        chooser = QFileDialog(self, "Import courses from a CSV file")
        chooser.setNameFilters(["CSV files (*.csv *.txt)", "All files (*)"])
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.fileSelected.connect(self.read_file)
        chooser.open()

    def read_file(self, path: str) -> None:
        """Plan ``path``'s rows in the background (reading it and the stored courses)."""
        service = self.main.service
        if service is not None:
            self.file_label.setText(path)
            self._plan(lambda: service.plan_import(path), words.import_reading(path))

    def preview_tokens(self) -> None:
        service, text, url = self.main.service, self.tokens.toPlainText(), self.token_url.text()
        if service is not None:
            self._plan(lambda: service.plan_tokens(text, url.strip()), "Reading the tokens…")

    def _plan(self, job: Callable[[], list[ImportRow]], doing: str) -> None:
        service = self.main.service
        assert service is not None

        def plan() -> tuple[list[ImportRow], dict[str, str]]:
            rows = job()
            saved = {url: service.saved_api_key(url) for url in origins(rows)}
            return rows, {url: key for url, key in saved.items() if key}

        self.summary.setText(doing)
        self.import_button.setEnabled(False)
        self.main.runner.run(plan, self._planned, self._failed, name="plan import")

    def _planned(self, planned: tuple[list[ImportRow], dict[str, str]]) -> None:
        rows, saved = planned
        self.model.set_rows(rows)
        while self.keys_form.rowCount():
            self.keys_form.removeRow(0)
        self.key_edits = {}
        for url in origins(rows):
            if url in saved:
                continue
            edit = QLineEdit(self.keys_box)
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setAccessibleName(f"API key for {url}")
            edit.textChanged.connect(self._update)
            self.key_edits[url] = edit
            self.keys_form.addRow(f"API key for {url}:", edit)
        self.saved_keys = saved
        self._update()

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        if isinstance(exc, errors.RosterSyncError):
            self.summary.setText(wording.html(exc.message))
        else:
            from rostergui.ui import crash

            self.summary.setText("Could not read the courses (an unexpected error).")
            crash.report_bug(exc, self)

    def _update(self, *_args: object) -> None:
        if self.model.outcomes or self._operation is not None:
            return
        kept = self.model.kept_rows()
        states = Counter(row.state for row in self.model.rows)
        keys = self.api_keys()
        missing = [url for url in origins(kept) if url not in keys]
        self.summary.setText(words.import_preview(len(kept), states, missing))
        self.import_button.setText(words.import_button(len(kept)))
        self.import_button.setEnabled(bool(kept) and not missing)

    def api_keys(self) -> dict[str, str]:
        """The API key of each LTIAAS address: saved, or typed in its field."""
        typed = {url: edit.text() for url, edit in self.key_edits.items() if edit.text()}
        return {**self.saved_keys, **typed}

    # --- importing ----------------------------------------------------------------------------

    def start_import(self) -> None:
        service = self.main.service
        rows = self.model.kept_rows()
        if service is None or not rows or self._operation is not None:
            return
        keys, check = self.api_keys(), self.check_box.isChecked()

        def job(reporter: Reporter[tuple[int, int]]) -> list[ImportOutcome]:
            return service.import_courses(
                rows,
                api_keys=keys,
                check=check,
                progress=lambda done, total: reporter.report((done, total)),
                cancel=reporter.cancel,
            )

        self.import_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.summary.setText(words.importing(len(rows)))
        self._operation = self.main.runner.run_with_progress(
            job, self._imported, self._import_failed, on_progress=self._progress, name="import"
        )

    def _progress(self, value: tuple[int, int]) -> None:
        done, total = value
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _imported(self, outcomes: list[ImportOutcome]) -> None:
        self._operation = None
        self.progress.hide()
        self.model.set_outcomes(outcomes)
        counts = Counter(o.outcome for o in outcomes)
        self.summary.setText(words.import_done(counts, from_file=not self.tokens.toPlainText()))
        self.import_button.hide()
        self.close_button.setText("Close")
        imported = [o.name for o in outcomes if o.outcome == RowOutcome.IMPORTED]
        if imported and not self.main.closed:
            self.main.refresh_courses(select=imported[0])

    def _import_failed(self, exc: BaseException) -> None:
        self._operation = None
        self._failed(exc)
        self.main.refresh_courses()  # rows imported before the failure are listed
        self._update()

    def _cancel_or_close(self) -> None:
        self.reject()

    def reject(self) -> None:
        """Cancel, Esc or the close button: while importing, stop before the next row (the
        rows done stay imported) and stay open to show each row's outcome."""
        if self._operation is not None:
            self._operation.cancel()
            self.summary.setText(words.import_stopping())
            return
        super().reject()


def open_import_dialog(window: MainWindow) -> ImportDialog:
    """Open the import dialog over ``window`` (window-modal, with ``open()``)."""
    dialog = ImportDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
