"""The left side of the window: a filter box, a header that counts the courses by group, and
the course list under them.

For an admin with a whole catalogue the list must answer "what needs me?" at a glance: the
header says "3 failed · 12 stale · 1,985 up to date" and each count is a link that keeps only
that group; the filter box narrows by name, LMS title or host, words in any order and accents
optional. The keyboard reaches all of it: Ctrl+L jumps to the filter, Down goes from the
filter into the list, Esc clears the filter, F8 and Shift+F8 step through the failed courses.

The filtering and grouping are the model's (:class:`~rostergui.ui.course_list.CourseListModel`);
this widget only wires the controls to it and says what is shown. Only Qt at load time: the
panel is part of the window's first frame.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QMenu, QVBoxLayout, QWidget

from rostergui.ui import wording
from rostergui.ui.badges import Tone
from rostergui.ui.course_groups import COUNTED, CourseGroup
from rostergui.ui.course_list import CourseListModel, CourseListView
from rostergui.ui.roles import tone_colour

#: The tone (colour) of each group's count in the header.
_GROUP_TONES = {
    CourseGroup.FAILED: Tone.FAILED,
    CourseGroup.HELD: Tone.HELD,
    CourseGroup.STALE: Tone.AGING,
    CourseGroup.NEVER: Tone.NEVER,
    CourseGroup.SYNCED: Tone.FRESH,
}
SHOW_ALL = "all"


class FilterBox(QLineEdit):
    """The filter's line: Esc clears it (before the window's Esc cancels a sync) and Down
    moves into the list."""

    def __init__(self, view: CourseListView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self.text()
        ):
            event.accept()  # the key comes here, not to the window's "Cancel sync"
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        if event.key() == Qt.Key.Key_Down and self._view.model().rowCount() > 0:
            self._view.setFocus(Qt.FocusReason.TabFocusReason)
            if not self._view.currentIndex().isValid():
                self._view.setCurrentIndex(self._view.model().index(0, 0))
            return
        super().keyPressEvent(event)


class CoursePanel(QWidget):
    """Filter box, group counts and the course list; ``message`` is for the status bar."""

    message = Signal(str)

    def __init__(
        self, model: CourseListModel, view: CourseListView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.view = view
        self.filter_box = FilterBox(view, self)
        self.filter_box.setPlaceholderText("Filter courses (Ctrl+L)")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setAccessibleName("Filter courses")
        self.filter_box.setToolTip("Name, LMS title or host; several words in any order")
        self.counts_label = QLabel(self)
        self.counts_label.setTextFormat(Qt.TextFormat.RichText)
        self.counts_label.setWordWrap(True)
        self.counts_label.setAccessibleName("Courses by state")
        self.counts_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.counts_label.linkActivated.connect(self._count_clicked)
        self.counts_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.filter_box)
        layout.addWidget(self.counts_label)
        layout.addWidget(view, 1)
        self.filter_box.textChanged.connect(self.set_filter)
        model.countsChanged.connect(self._update_counts)
        model.layoutChanged.connect(self._update_placeholder)
        self._build_actions()

    def _build_actions(self) -> None:
        self.filter_action = QAction("Filter &courses", self)
        self.filter_action.setShortcut(QKeySequence("Ctrl+L"))
        self.filter_action.triggered.connect(self.focus_filter)
        self.next_failed_action = QAction("&Next failed course", self)
        self.next_failed_action.setShortcut(QKeySequence("F8"))
        self.next_failed_action.triggered.connect(lambda: self.step_failed(forward=True))
        self.previous_failed_action = QAction("&Previous failed course", self)
        self.previous_failed_action.setShortcut(QKeySequence("Shift+F8"))
        self.previous_failed_action.triggered.connect(lambda: self.step_failed(forward=False))

    @property
    def actions_for_menu(self) -> tuple[QAction, ...]:
        return (self.filter_action, self.next_failed_action, self.previous_failed_action)

    def add_actions(self, window: QWidget, *, beside: QAction) -> None:
        """Make the panel's shortcuts work anywhere in ``window`` and list them in the menu
        that holds ``beside``."""
        for action in self.actions_for_menu:
            window.addAction(action)
            add_to_menu(beside, action)

    # --- filtering --------------------------------------------------------------------------

    def focus_filter(self) -> None:
        self.filter_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_box.selectAll()

    def set_filter(self, text: str) -> None:
        """Filter by ``text`` (the filter box calls this on each keystroke)."""
        if self.filter_box.text() != text:
            self.filter_box.setText(text)  # comes back here through textChanged
            return
        self.model.set_filter(text)

    def set_group(self, group: CourseGroup | None) -> None:
        """Keep only ``group``'s courses (``None``: every group)."""
        self.model.set_group_filter(group)
        self._update_counts()

    def reveal(self, name: str) -> bool:
        """Clear whatever hides ``name`` (the filters, the closed removed section), so that it
        can be selected; ``False`` when there is no such course."""
        if self.model.course(name) is None:
            return False
        if self.model.row_of(name) < 0:
            self.filter_box.clear()
            self.set_group(None)
        if self.model.row_of(name) < 0 and self.model.group(name) is CourseGroup.ARCHIVED:
            self.model.set_archived_open(True)
        return self.model.row_of(name) >= 0

    def _count_clicked(self, link: str) -> None:
        if link == SHOW_ALL:
            self.set_group(None)
        else:
            group = CourseGroup(int(link))
            self.set_group(None if self.model.group_filter is group else group)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._update_counts()  # the counts' colours are the palette's tones

    def _update_counts(self) -> None:
        counts = self.model.counts
        palette = self.palette()
        parts = []
        for group in COUNTED:
            if counts[group]:
                colour = tone_colour(_GROUP_TONES[group], palette).name()
                # Non-breaking: a narrow list wraps between the counts, not inside one.
                words = wording.html(wording.group_count(group, counts[group]))
                text = words.replace(" ", "&nbsp;")
                if self.model.group_filter is group:
                    text = f"<b>{text}</b>"
                parts.append(
                    f'<a href="{int(group)}" style="color:{colour}; text-decoration:none">'
                    f"{text}</a>"
                )
        if self.model.group_filter is not None:
            parts.append(f'<a href="{SHOW_ALL}">show all</a>')
        self.counts_label.setText(" · ".join(parts))
        self.counts_label.setVisible(bool(parts))
        self._update_placeholder()

    def _update_placeholder(self) -> None:
        if not self.model.loaded:
            return
        empty = self.model.rowCount() == 0 and bool(self.model.filter_text.strip())
        self.view.set_placeholder(
            wording.no_course_matches(self.model.filter_text.strip()) if empty else ""
        )

    # --- keyboard -----------------------------------------------------------------------------

    def step_failed(self, *, forward: bool) -> bool:
        """Select the next (or previous) failed course among those shown, wrapping around."""
        model = self.model
        failed = [n for n in model.visible_names() if model.group(n) is CourseGroup.FAILED]
        if not failed:
            hidden = any(model.group(c.name) is CourseGroup.FAILED for c in model.courses)
            self.message.emit(wording.failed_hidden() if hidden else wording.no_failed_course())
            return False
        current = self.view.currentIndex().data(Qt.ItemDataRole.DisplayRole)
        if current in failed:
            step = 1 if forward else -1
            name = failed[(failed.index(current) + step) % len(failed)]
        else:
            name = failed[0] if forward else failed[-1]
        index = model.index(model.row_of(name))
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.view.scrollTo(index)
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True


def add_to_menu(beside: QAction, action: QAction, *, before: QAction | None = None) -> None:
    """List ``action`` in the menu that holds ``beside`` (the frame builds its menus without
    keeping them), before ``before`` or at the end."""
    for menu in beside.associatedObjects():
        if isinstance(menu, QMenu):
            menu.insertAction(before, action) if before is not None else menu.addAction(action)
            return
