"""Asking before a sync drops a large share of a course.

LMSes do answer with empty or partial rosters (an outage, a section filter, a course being
reset). The core then *holds* the sync and lists who would be dropped; this dialog shows that
list so the admin can tell a real mass withdrawal from a broken answer. The safe choice (keep
everyone) is the default button. The dialog is opened window-modal with ``open()`` and answers
through a callback: it is asked in the middle of the sync queue, where a nested event loop
would let timers act on a half-finished state.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rostergui.core.sync import SyncResult
from rostergui.ui.announce import plain

#: How many of the people who would be dropped are listed by name.
LISTED = 200


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def dropped_rows(result: SyncResult, limit: int = LISTED) -> list[tuple[str, str, str, str]]:
    """(name, email, role, user id) of the first ``limit`` people, then an "and N more" row."""
    rows = [
        (_one_line(m.name) or "(no name)", _one_line(m.email), m.role, m.user_id)
        for m in result.would_deactivate[:limit]
    ]
    rest = len(result.would_deactivate) - limit
    if rest > 0:
        rows.append((f"… and {rest:,} more", "", "", ""))
    return rows


class MassDropDialog(QDialog):
    def __init__(self, result: SyncResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Drop {result.deactivated:,} members from {result.name}?")
        active = result.active_count
        share = f" ({result.deactivated / active:.0%})" if active else ""
        intro = QLabel(
            f"<p>The LMS sent <b>{result.fetched:,}</b> members for <b>{result.name}</b>. "
            f"Applying this sync would mark <b>{result.deactivated:,}</b> of the "
            f"{active:,} active members inactive{share}.</p>"
            "<p>That often means the LMS returned a partial roster. <b>Nothing has been "
            "changed yet.</b> Check the list; apply only if these people really left the "
            "course.</p>",
            self,
        )
        intro.setWordWrap(True)
        # Read out when the question opens, before the list that takes the focus.
        self.setAccessibleDescription(plain(intro.text()))
        self.people = QTreeWidget(self)
        self.people.setAccessibleName("Members who would be dropped")
        self.people.setRootIsDecorated(False)
        self.people.setUniformRowHeights(True)
        self.people.setAlternatingRowColors(True)
        self.people.setHeaderLabels(["Name", "Email", "Role", "User ID"])
        self.people.addTopLevelItems([QTreeWidgetItem(list(r)) for r in dropped_rows(result)])
        header = self.people.header()
        header.setStretchLastSection(True)
        header.resizeSection(0, 190)
        header.resizeSection(1, 240)
        header.resizeSection(2, 130)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        buttons = QDialogButtonBox(self)
        self.keep_button = buttons.addButton(
            "Keep everyone", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.apply_button = buttons.addButton(
            f"Drop {result.deactivated:,} and sync", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.keep_button.setDefault(True)
        self.keep_button.clicked.connect(self.reject)
        self.apply_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.people, 1)
        layout.addWidget(buttons)
        self.resize(780, 480)


def ask_mass_drop(
    parent: QWidget | None, result: SyncResult, answer: Callable[[bool], None]
) -> MassDropDialog:
    """Open the question window-modal and return at once; ``answer(True)`` runs when the admin
    confirms the drops, ``answer(False)`` when the dialog is closed any other way. No event
    loop is nested, so the caller's state stays consistent while the question waits. Tests
    replace this function."""
    dialog = MassDropDialog(result, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(lambda code: answer(code == QDialog.DialogCode.Accepted.value))
    dialog.open()
    return dialog
