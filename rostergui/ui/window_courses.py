"""Listing the main window's courses in the background, as often as asked but never starved.

Everything that changes a course asks for the list again: a sync's end, adding, editing,
removing, an import. In a round of 2,000 syncs that is several requests a second, each load
reading every course. A load asked for while one runs is therefore folded into one more load
after it, and the running one is shown when it lands (it is newer than what is on screen);
throwing it away for the next request instead would, in such a round, never show any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rostergui.core.store.repo import Course
    from rostergui.ui.main_window import MainWindow


class CourseListing:
    """Loads ``window``'s courses; the window shows them (``MainWindow._courses_loaded``)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        #: A load is running / another was asked for meanwhile.
        self.loading = self.again = False
        #: The course to select once listed (the last one asked for wins).
        self.pending_select: str | None = None

    def refresh(self, select: str | None = None) -> None:
        w = self.window
        service = w.service
        if service is None:
            return
        if select:
            self.pending_select = select
        if self.loading:
            self.again = True
            return
        self.loading = True
        w.runner.run(
            lambda: service.courses(include_archived=True),
            self._loaded,
            self._failed,
            name="courses",
        )

    def _loaded(self, courses: list[Course]) -> None:
        self.loading = False
        if self.window.closed:
            return
        if self.again:
            self.again = False
            self.refresh()  # newer than these: shown next
        wanted, self.pending_select = self.pending_select, None
        self.window._courses_loaded(courses, wanted)

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        self.window.course_actions.background_failed(exc)
