"""The Settings dialog: scheduled syncs while the window is open, when a roster is stale, and
how many courses "Sync all" runs at once.

Rosters are pulled, never pushed — the LMS tells nobody when a student enrolls — so a schedule
is the only way a window left open stays current. It is off by default: syncing many courses
unasked costs LTIAAS calls. Unattended syncs on a server belong to the headless command.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rostergui.core.limits import DEFAULT_PER_ORIGIN, MAX_JOBS
from rostergui.ui import settings as opts
from rostergui.ui.settings import Settings


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.schedule_combo = QComboBox(self)
        self.schedule_combo.setAccessibleName("Sync every course")
        for minutes, label in opts.SCHEDULE_CHOICES:
            self.schedule_combo.addItem(label, minutes)
        current = self.schedule_combo.findData(settings.schedule_minutes)
        if current < 0:
            self.schedule_combo.addItem(
                f"Every {settings.schedule_minutes} minutes", settings.schedule_minutes
            )
            current = self.schedule_combo.count() - 1
        self.schedule_combo.setCurrentIndex(current)
        self.stale_spin = QSpinBox(self)
        self.stale_spin.setAccessibleName("Stale after hours")
        self.stale_spin.setRange(1, 24 * 30)
        self.stale_spin.setSuffix(" h")
        self.stale_spin.setValue(settings.get(opts.STALE_HOURS))
        self.jobs_spin = QSpinBox(self)
        self.jobs_spin.setAccessibleName("Courses synced at once")
        self.jobs_spin.setRange(1, MAX_JOBS)
        self.jobs_spin.setValue(settings.sync_jobs)
        self.jobs_spin.setToolTip(
            f"Sync all runs this many courses at once; at most {DEFAULT_PER_ORIGIN} of them "
            "share one LTIAAS address"
        )
        form = QFormLayout()
        form.addRow("Sync every course:", self.schedule_combo)
        form.addRow("Mark a roster stale after:", self.stale_spin)
        form.addRow("Courses synced at once:", self.jobs_spin)
        note = QLabel(
            "Scheduled syncs run only while this window is open. For unattended syncs use the "
            "headless command (rostergui sync --all) from cron or Task Scheduler.\n"
            "A stale roster's badge turns amber, and red at three times this age.",
            self,
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(480, 0)
        self.schedule_combo.view().setAccessibleName("Schedule choices")

    def apply(self) -> None:
        self.settings.set(opts.SCHEDULE_MINUTES, int(self.schedule_combo.currentData()))
        self.settings.set(opts.STALE_HOURS, self.stale_spin.value())
        self.settings.set(opts.SYNC_JOBS, self.jobs_spin.value())
