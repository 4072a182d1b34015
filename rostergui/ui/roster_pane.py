"""The right side of the window once the service is open: the selected course's header, its
message bar and the Members / History tabs; and the page shown when there are no courses.

Built by :meth:`MainWindow.attach <rostergui.ui.main_window.MainWindow.attach>` (it works on
the service), so it is never loaded before the first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from rostergui.ui import icons
from rostergui.ui.badges import last_synced_text
from rostergui.ui.course_list import subtitle
from rostergui.ui.message_bar import MessageBar

if TYPE_CHECKING:
    from rostergui.core.store.repo import Course
    from rostergui.ui.history import HistoryPanel
    from rostergui.ui.member_view import MemberPanel


class RosterPane:
    """Fills ``pane`` with the course header, the message bar and the tabs."""

    def __init__(self, pane: QWidget, member_panel: MemberPanel, history_panel: HistoryPanel):
        self.member_panel = member_panel
        self.history_panel = history_panel
        self.course_title = QLabel(pane)
        self.course_title.setAccessibleName("Selected course")
        font = self.course_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.course_title.setFont(font)
        self.course_details = QLabel(pane)
        self.course_details.setWordWrap(True)
        self.course_details.setAccessibleName("Course details")
        self.course_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_bar = MessageBar(pane)
        self.tabs = QTabWidget(pane)
        self.tabs.setAccessibleName("Course views")
        self.tabs.addTab(member_panel, icons.icon("members"), "Members")
        self.tabs.addTab(history_panel, icons.icon("history"), "History")
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.course_title)
        layout.addWidget(self.course_details)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.tabs, 1)

        #: The history tab shows an out-of-date history (another course, or a sync since).
        self.history_stale = True

    @property
    def on_history(self) -> bool:
        return self.tabs.currentWidget() is self.history_panel

    def show_history(self, shown: bool) -> None:
        self.tabs.setCurrentWidget(self.history_panel if shown else self.member_panel)

    def history_changed(self, name: str | None) -> None:
        """``name`` is now selected, or its history grew: reload the history when it shows."""
        self.history_stale = True
        if self.on_history:
            self.load_history(name)

    def load_history(self, name: str | None) -> None:
        if self.history_stale or self.history_panel.course_name != name:
            self.history_stale = False
            self.history_panel.show_course(name)

    def find(self) -> None:
        """Focus the member filter (Ctrl+F)."""
        self.tabs.setCurrentWidget(self.member_panel)
        self.member_panel.focus_filter()

    def show_header(self, course: Course | None, now: datetime) -> None:
        if course is None:
            self.course_title.setText("")
            self.course_details.setText("")
            return
        self.course_title.setText(course.name)
        parts = [subtitle(course).split(" · ")[0]]
        if course.platform_id and course.platform_id not in parts[0]:
            parts.append(course.platform_id)
        parts.append(f"{course.active_count:,} active of {course.member_count:,} stored")
        parts.append(last_synced_text(course, now))
        self.course_details.setText(" · ".join(parts))


def build_empty_page(
    parent: QWidget, add_course: Callable[[], None]
) -> tuple[QWidget, QPushButton]:
    """What the window shows when there are no courses yet: the page and its Add button."""
    empty = QWidget(parent)
    empty_layout = QVBoxLayout(empty)
    logo = QLabel(empty)
    logo.setPixmap(icons.app_icon().pixmap(96, 96))
    logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
    heading = QLabel("<h2>No courses yet</h2>", empty)
    heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
    text = QLabel(
        "Add a course with its LTIAAS address, API key and a launch token or service key. "
        "RosterSync then keeps its roster here, shows how fresh it is, and exports it.",
        empty,
    )
    text.setWordWrap(True)
    text.setAlignment(Qt.AlignmentFlag.AlignCenter)
    # A box layout ignores height-for-width for aligned items: size the wrapped text ourselves
    # so no line is cut off.
    text.setFixedWidth(520)
    text.setMinimumHeight(text.heightForWidth(520))
    button = QPushButton(icons.icon("add"), "Add your first course…", empty)
    button.setAccessibleName("Add your first course")
    button.clicked.connect(add_course)
    empty_layout.addStretch(2)
    empty_layout.addWidget(logo)
    empty_layout.addWidget(heading)
    empty_layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
    empty_layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
    empty_layout.addStretch(3)
    return empty, button
