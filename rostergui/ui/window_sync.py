"""What the main window does around syncs: starting them from its actions, following the
queue (progress in the status bar, the summary of a "Sync all", the courses that failed), and
the schedule timer that runs "Sync all" every so many minutes.

The queue itself (one sync at a time, held courses, the mass-drop question) is
:class:`~rostergui.ui.sync_controller.SyncController`; this is only the window's side of it,
kept apart so that the window module stays about layout and selection. The window owns one
:class:`WindowSync` and connects its actions, its timer and the queue's signals to it; this
module is the window's friend and calls the window's own refresh methods.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rostergui.core.states import Trigger
from rostergui.ui import wording

if TYPE_CHECKING:
    from rostergui.core.sync import SyncResult
    from rostergui.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class WindowSync:
    """The window's sync actions and its reactions to the sync queue."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def sync_selected(self) -> None:
        w = self.window
        course = w.selected_course()
        if course is None or course.archived_at is not None:
            return
        if not w.sync.sync(course.name):
            w.show_status(wording.already_syncing(course.name))
        w._update_actions()

    def sync_all(self, *, trigger: Trigger = Trigger.MANUAL) -> int:
        w = self.window
        names = [c.name for c in w.course_model.courses if c.archived_at is None]
        queued = w.sync.sync_all(names, trigger=trigger)
        w._update_actions()
        return queued

    def cancel_sync(self) -> None:
        """Stop every running and waiting sync (Esc)."""
        self.cancel_course(None)

    def cancel_course(self, name: str | None) -> None:
        """Stop one course's sync, or with ``None`` every running and waiting one."""
        w = self.window
        if w.sync.busy:
            w.sync.cancel(name)
        w._update_actions()

    def sync_started(self, name: str) -> None:
        w = self.window
        running, waiting, _done = w.sync.counts
        w._show_progress(name, pending=running + waiting)
        w._update_message_bar()  # a held course being re-synced is no longer held
        w._update_actions()

    def sync_finished(self, result: SyncResult) -> None:
        w = self.window
        if w.closed:
            return
        w._show_progress(None)
        if result.ok or result.error_kind is None:
            w.error_kinds.pop(result.name, None)
        else:
            w.error_kinds[result.name] = result.error_kind
        selected = w.selected_name()
        if result.name == selected:
            if result.ok:
                # As many members as stored before, or as the LMS sent now if more.
                course = w.selected_course()
                stored = course.member_count if course is not None else 0
                w.member_panel.show_course(
                    selected, reload=True, expected=max(stored, result.fetched)
                )
            w.pane.history_changed(selected)
        w.dialogs.roster_changed()
        w.refresh_courses()
        w._update_actions()

    def sync_idle(self, summary: str) -> None:
        w = self.window
        w._show_progress(None)
        w.show_status(summary)
        batch = w.sync.last_batch
        failed = wording.failed_names(batch)
        if len(batch) > 1 and failed:
            w.batch_failed, w.batch_text = failed, summary
            w._update_message_bar()
        w._update_actions()

    def scheduled_sync(self) -> None:
        w = self.window
        if w.sync.busy or w.closed:
            return
        queued = self.sync_all(trigger=Trigger.SCHEDULE)
        log.info("Scheduled sync of %d courses", queued)

    def apply_schedule(self) -> None:
        w = self.window
        minutes = w.settings.schedule_minutes
        if minutes > 0 and w.attached:
            w.schedule_timer.start(minutes * 60_000)
        else:
            w.schedule_timer.stop()
