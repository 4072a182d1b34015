"""Choosing what to export and where.

Admins export either exactly what they filtered on screen (to hand a list to someone) or the
whole course with every status (to archive it). Both are offered with their row counts, so the
choice is concrete. The file name defaults to ``<course>-roster-<date>.csv``.

An existing file is never replaced without asking: the file browser's own overwrite
confirmation is switched on explicitly, and a path typed (or left as the default, which a second
export on the same day meets) is confirmed when the dialog is accepted. The window then writes
with ``overwrite=True``; the export itself refuses devices, pipes and dangling links.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from rostergui.core.export import default_file_name


@dataclass(frozen=True, slots=True)
class ExportChoice:
    path: Path
    whole_course: bool


def default_folder() -> Path:
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(documents) if documents else Path.home()
    return folder if folder.is_dir() else Path.home()


class ExportDialog(QDialog):
    def __init__(
        self,
        course_name: str,
        shown: int,
        total: int,
        *,
        folder: Path | None = None,
        today: date | None = None,
        selected: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export {course_name}")
        when = datetime.combine(today or date.today(), datetime.min.time())
        name = default_file_name(course_name, when)
        view = (
            f"Selected rows ({shown:,})"
            if selected
            else f"Rows in view ({shown:,}, with the current filters)"
        )
        self.view_radio = QRadioButton(view, self)
        self.whole_radio = QRadioButton(f"Whole course, every status ({total:,} members)", self)
        self.view_radio.setChecked(True)
        self.path_edit = QLineEdit(str((folder or default_folder()) / name), self)
        self.path_edit.setAccessibleName("Export file")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        note = QLabel(
            "CSV in UTF-8 (opens in Excel, LibreOffice and Google Sheets with accents intact).",
            self,
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        export = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        export.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Export:", self))
        layout.addWidget(self.view_radio)
        layout.addWidget(self.whole_radio)
        layout.addWidget(QLabel("To file:", self))
        layout.addLayout(path_row)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(560, 0)
        #: The file the file browser's overwrite confirmation covered, if any.
        self._confirmed: Path | None = None

    def file_dialog(self) -> QFileDialog:
        """The file browser: a save dialog that confirms before replacing a file."""
        dialog = QFileDialog(self, "Export roster")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, False)
        dialog.setNameFilters(["CSV files (*.csv)", "All files (*)"])
        # Added before the overwrite check, so the file confirmed is the file written.
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(self.path_edit.text())
        return dialog

    def _browse(self) -> None:
        """Open the file browser window-modal; its choice arrives by ``fileSelected``."""
        dialog = self.file_dialog()
        dialog.fileSelected.connect(self.browsed)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def browsed(self, path: str) -> None:
        """The file browser's choice, which its own overwrite question already covered."""
        self.path_edit.setText(path)
        self._confirmed = Path(path).expanduser()

    def accept(self) -> None:
        choice = self.choice()
        if choice is None or choice.path == self._confirmed or not os.path.isfile(choice.path):
            super().accept()
            return
        # An existing file the browser did not confirm: ask, and accept on the answer.
        confirm_replace(self, choice.path, self._replace_answered)

    def _replace_answered(self, replace: bool) -> None:
        if replace:
            super().accept()

    def choice(self) -> ExportChoice | None:
        text = self.path_edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        if not path.suffix:
            path = path.with_suffix(".csv")
        return ExportChoice(path, self.whole_radio.isChecked())


def confirm_replace(parent: QWidget, path: Path, answer: Callable[[bool], None]) -> QMessageBox:
    """Ask, window-modal, whether to replace an existing file; ``answer(replace)`` runs with
    the choice. Tests replace this function."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Replace file?",
        f"{path.name} already exists in {path.parent}. Replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda result: answer(result == QMessageBox.StandardButton.Yes.value))
    box.open()
    return box


def ask_export(
    parent: QWidget | None,
    course_name: str,
    shown: int,
    total: int,
    answer: Callable[[ExportChoice], None],
    *,
    selected: bool = False,
) -> ExportDialog:
    """Ask what and where to export, window-modal; ``answer(choice)`` runs once the admin
    chose (nothing runs when cancelled). Tests replace this function."""
    dialog = ExportDialog(course_name, shown, total, selected=selected, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def accepted() -> None:
        choice = dialog.choice()
        if choice is not None:
            answer(choice)

    dialog.accepted.connect(accepted)
    dialog.open()
    return dialog
