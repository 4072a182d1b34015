"""The window's frame: its actions (with their icons, shortcuts and tips), the menus, the
toolbar and the status bar's progress display.

Only Qt and the icons: this is part of the first frame, before the core is imported.
:class:`~rostergui.ui.main_window.MainWindow` builds on it and connects the actions.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QProgressBar, QToolBar, QWidget

from rostergui.ui import accessible, focus_style, icons
from rostergui.ui.announce import AnnouncingStatusBar


class WindowFrame(QMainWindow):
    """Actions, menus, toolbar and status bar (call :meth:`_build_frame` once)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        focus_style.install()  # a focus ring keyboard users can see, in every window
        super().__init__(parent)
        #: Each tinted action's icon name, to tint it again when the palette changes.
        self._icon_names: dict[QAction, str] = {}

    def _build_frame(self) -> None:
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        # Qt's own helpers (the toolbar's overflow button, clear buttons) get names too.
        accessible.name_helpers(self)

    def _action(
        self,
        text: str,
        icon: str | None = None,
        shortcuts: list[QKeySequence] | None = None,
        tip: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(icons.icon(icon))
            self._icon_names[action] = icon
        if shortcuts:
            action.setShortcuts(shortcuts)
        if tip:
            keys = ", ".join(
                s.toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts or []
            )
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
            action.setStatusTip(tip)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence
        self.add_action = self._action(
            "&Add course…", "add", [key(key.StandardKey.New)], "Add a course from LTIAAS"
        )
        self.edit_action = self._action(
            "&Edit course…",
            "edit",
            [key("F2")],
            "Rename the selected course or give it new keys",
        )
        # Ctrl+Delete: in a text field the field keeps it (delete a word); elsewhere it asks
        # before removing the course. Plain Delete would be one slip away from the question.
        self.remove_action = self._action(
            "&Remove course…",
            "remove",
            [key("Ctrl+Delete")],
            "Remove the selected course",
        )
        self.sync_action = self._action(
            "&Sync now", "sync", [key("F5")], "Fetch the selected course's roster now"
        )
        self.sync_all_action = self._action(
            "Sync &all",
            "sync-all",
            [key("Shift+F5"), key("Ctrl+Shift+F5")],
            "Sync every course, one after another",
        )
        self.cancel_action = self._action(
            "&Cancel sync",
            "cancel",
            [key("Esc")],
            "Stop syncing; the stored roster stays as it was",
        )
        self.export_action = self._action(
            "&Export…", "export", [key("Ctrl+E")], "Export the roster to a CSV file"
        )
        self.history_action = self._action(
            "&History", "history", [key("Ctrl+H")], "Show the sync history of the course"
        )
        self.history_action.setCheckable(True)
        self.settings_action = self._action(
            "Se&ttings…", "settings", [key("Ctrl+,")], "Scheduled syncs and the stale threshold"
        )
        self.find_action = self._action("&Find members", None, [key(key.StandardKey.Find)])
        self.about_action = self._action("&About RosterSync", "about")
        self.log_action = self._action("Open the &log folder")
        self.quit_action = self._action("&Quit", None, [key(key.StandardKey.Quit)])

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        course_actions = (
            self.add_action,
            self.edit_action,
            self.remove_action,
            None,
            self.sync_action,
            self.sync_all_action,
            self.cancel_action,
        )
        course_menu = bar.addMenu("&Course")
        _add_all(course_menu, course_actions)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.find_action)
        view_menu.addAction(self.history_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.log_action)
        help_menu.addAction(self.about_action)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        _add_all(
            toolbar,
            (
                *course_actions,
                None,
                self.export_action,
                self.history_action,
                None,
                self.settings_action,
            ),
        )
        self.toolbar = toolbar

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            focus_style.keep_selection_readable()  # the desktop's new palette may not
            self.retint_icons()

    def retint_icons(self) -> None:
        """Tint the icons for the palette now in use (the desktop switched light or dark)."""
        icons.clear_cache()
        for action, name in self._icon_names.items():
            action.setIcon(icons.icon(name))

    def _build_status_bar(self) -> None:
        # Every line shown there is also announced to assistive technology.
        status = AnnouncingStatusBar(self)
        self.setStatusBar(status)
        self.progress_label = QLabel(self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setMaximumWidth(120)
        self.progress_bar.setMaximumHeight(14)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setAccessibleName("Sync in progress")
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress_bar)
        self._show_progress(None)

    def _show_progress(self, name: str | None, *, pending: int = 1) -> None:
        """Show the progress of ``name``; ``pending`` counts the courses running or waiting
        in its round, all of which the Cancel action stops."""
        self.progress_bar.setVisible(name is not None)
        self.progress_label.setVisible(name is not None)
        self.progress_label.setText(f"Syncing {name}…" if name else "")
        # The menu and the tooltip say which syncs Esc stops; the toolbar keeps a short label.
        # One course is cancelled alone from the course list's menu.
        cancel = self.cancel_action
        if name and pending > 1:
            cancel.setText(f"&Cancel all {pending} syncs")
            tip = "Stop every running and waiting sync; the stored rosters stay as they were"
        elif name:
            cancel.setText(f"&Cancel sync of {name}")
            tip = f"Stop syncing {name}; its stored roster stays as it was"
        else:
            cancel.setText("&Cancel sync")
            tip = "Stop syncing; the stored roster stays as it was"
        cancel.setIconText("Cancel sync")
        cancel.setStatusTip(tip)
        cancel.setToolTip(f"{tip} (Esc)")


def _add_all(target: QMenu | QToolBar, actions: tuple[QAction | None, ...]) -> None:
    """Add ``actions`` to a menu or toolbar in order, ``None`` as a separator."""
    for action in actions:
        if action is None:
            target.addSeparator()
        else:
            target.addAction(action)
