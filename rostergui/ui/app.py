"""Starting the window: ``rostergui`` / ``rostergui gui`` and ``rostergui demo``.

Sets up the application identity (so settings and the icon are right on every platform),
logging to the data directory, the crash hook, and the service — the real database, or for the
demo the built-in simulator in a throw-away directory. A database that cannot be opened is a
message box with the reason, not a traceback.

The window shows before the service exists. Importing the core (SQLAlchemy, httpx, keyring,
alembic) and creating or migrating the database take several times as long as showing a
window, so the light window (frame, menus, toolbar, a course list saying the courses are being
opened) is shown first. Only after its first frame does a background thread set up the data
directory and its log, import the core and open the service, so that the window keeps
repainting meanwhile. That is an :class:`~rostergui.ui.operation.Operation` like every other
piece of background work; its result reaches the GUI thread, where :meth:`MainWindow.attach`
completes the window.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from rostergui import APP_NAME, __version__
from rostergui.ui import diagnostics, runtime
from rostergui.ui.operation import Operation, Operations

if TYPE_CHECKING:
    from rostergui.core.service import RosterService
    from rostergui.ui.main_window import MainWindow

log = logging.getLogger(__name__)

EXIT_FAILED = 1
#: Open the service this long after showing the window even if no first frame was reported
#: (a window started minimised is not exposed until it is restored).
FIRST_FRAME_WAIT_MS = 300


@dataclass
class Session:
    """What the window works on once open, and how to end it."""

    service: RosterService
    close: Callable[[], None]
    #: A line for the status bar once the window is complete.
    status: str | None = None
    #: Notes for the message bar, shown once (the previous run crashed…).
    notes: list[str] = field(default_factory=list)
    #: Courses to sync once they are listed (the demo's catalogue), in the background.
    sync_when_listed: list[str] = field(default_factory=list)


def start_session(args: argparse.Namespace) -> Session:
    """The data directory and its log, then the service (runs on the opening thread)."""
    from rostergui.core.logs import setup_logging

    demo_mode = args.command == "demo"
    directory = data_directory(args, demo_mode=demo_mode)
    setup_logging(directory, verbose=bool(getattr(args, "verbose", False)))
    log.info("%s %s starting (%s)", APP_NAME, __version__, "demo" if demo_mode else "window")
    crashed = diagnostics.enable_crash_file(directory)
    session = open_demo(args, directory) if demo_mode else open_database(args, directory)
    if crashed is not None:
        session.notes.append(diagnostics.crash_notice(crashed))
    return session


def data_directory(args: argparse.Namespace, *, demo_mode: bool) -> Path:
    """``--data-dir``, else the platform's; for the demo without one, a throw-away directory
    (removed again when the demo closes)."""
    if demo_mode and not args.data_dir:
        from rostergui.demo import new_demo_directory

        return new_demo_directory()
    from rostergui.core.paths import data_dir

    return data_dir(args.data_dir)


def open_database(args: argparse.Namespace, directory: Path) -> Session:
    """The user's database (created or migrated as needed)."""
    from rostergui.core.service import RosterService

    service = RosterService.open(data_directory=directory, db_url=args.db_url)
    return Session(service, service.close)


def open_demo(args: argparse.Namespace, directory: Path) -> Session:
    """The demo: the simulator and sample courses, in ``directory``."""
    from rostergui.demo import start_demo
    from rostergui.demo_catalogue import CATALOGUE_SIZE

    catalogue = CATALOGUE_SIZE if getattr(args, "catalogue", False) else 0
    demo = start_demo(
        directory, throwaway=not args.data_dir, db_url=args.db_url, catalogue=catalogue
    )
    for note in demo.notes:
        log.warning("Demo: %s", note)
    status = (
        f"Demo: sample courses on a simulated LTIAAS at {demo.simulator.base_url}. "
        "Nothing here touches real data or your keyring."
    )
    session = Session(demo.service, demo.close, status, sync_when_listed=demo.catalogue)
    if demo.catalogue:
        session.notes.append(
            f"{len(demo.catalogue):,} courses of the demo's catalogue sync in the background: "
            "filter the list (Ctrl+L) and Find person (Ctrl+Shift+F) meanwhile."
        )
    return session


class Opening(QObject):
    """Opens the session in a background operation and completes the window with it.

    The session is opened off the GUI thread; the outcome reaches :meth:`_attach` or
    :meth:`_fail` on the GUI thread, so the window is only touched there. Whatever was opened
    is owned here and closed by :meth:`close`, also when the window was closed before the
    session arrived.
    """

    def __init__(
        self,
        app: QApplication,
        window: MainWindow,
        open_session: Callable[[], Session],
        *,
        check_start: bool = False,
        started_at: float | None = None,
    ) -> None:
        super().__init__(window)
        self._app = app
        self._window = window
        self._open_session = open_session
        self._check_start = check_start
        self._started_at = started_at
        self._operations = Operations(self)
        self._operation: Operation[Session, None] | None = None
        self._session: Session | None = None
        #: The session could not be opened (the user was told why).
        self.failed = False

    def start(self) -> None:
        """Begin opening (once; later calls do nothing)."""
        if self._operation is None:
            self._operation = self._operations.run(
                self._open, self._attach, self._fail, name="open database"
            )

    def _open(self) -> Session:
        # Opening is interpreter-heavy (imports, migrations): hand the interpreter back to
        # the GUI thread often, so the window keeps repainting meanwhile.
        with runtime.quick_switching():
            session = self._open_session()
        self._session = session  # owned here, even if the window never takes it
        return session

    def _attach(self, session: Session) -> None:
        if self._window.closed:
            return
        self._window.attach(session.service)
        if session.status:
            self._window.show_status(session.status)
        for note in session.notes:
            self._window.show_notice(note)
        if session.sync_when_listed:
            sync_when_listed(self._window, session.sync_when_listed)
        # Everything built so far lives as long as the app: out of the collector's sight.
        runtime.start_up_done()
        if self._check_start:
            QTimer.singleShot(0, self._report_start)

    def _fail(self, exc: BaseException) -> None:
        from PySide6.QtWidgets import QMessageBox

        from rostergui.core import errors
        from rostergui.ui import crash, wording

        self.failed = True
        if isinstance(exc, errors.RosterSyncError):
            log.error("Could not open the database: %s (%s)", exc.message, exc.detail or "")
            # The loop ends right after this box: there is no flow left for it to interrupt.
            QMessageBox.critical(
                self._window,
                f"{APP_NAME} cannot start",
                wording.cannot_start(exc.message, exc.kind),
            )
        else:
            dialog = crash.report_bug(exc, self._window)
            if dialog is not None:  # end once the admin has read it
                dialog.finished.connect(lambda _code: self._give_up())
                return
        self._give_up()

    def _give_up(self) -> None:
        self._window.close()
        self._app.exit(EXIT_FAILED)

    def _report_start(self) -> None:
        """``--check-start``: say whether the complete window is up, and how long it took."""
        window = self._window
        shown = window.isVisible() and window.windowHandle() is not None and window.attached
        took = f" in {time.monotonic() - self._started_at:.2f} s" if self._started_at else ""
        print(f"{APP_NAME} {__version__}: window {'shown' if shown else 'NOT shown'}{took}")
        window.close()
        self._app.exit(0 if shown else EXIT_FAILED)

    def close(self) -> None:
        """Wait until the opening ended, then close what it opened."""
        operation = self._operation
        if operation is not None and operation.running:
            log.info("Waiting for the database to finish opening")
            operation.join()
        if self._session is not None:
            self._session.close()
            self._session = None


def sync_when_listed(window: MainWindow, names: list[str]) -> None:
    """Queue ``names`` for syncing once the window has listed the courses (the sync queue
    needs each course's address), after the listing's own signals are done."""
    from rostergui.core.states import Trigger

    model = window.course_model

    def listed() -> None:
        model.countsChanged.disconnect(listed)
        QTimer.singleShot(0, start)

    def start() -> None:
        if not window.closed:
            window.sync.sync_all(names, trigger=Trigger.DEMO)

    model.countsChanged.connect(listed)


class FirstFrame(QObject):
    """Calls ``callback`` once ``window`` has drawn its first frame (its native window is
    exposed), or after ``wait_ms`` if that does not happen sooner (a window started minimised
    is not exposed until it is restored).

    It asks the window every few milliseconds rather than watching its events: an event filter
    written in Python turns every event into a Python object, which costs the first frame more
    than the polling does.
    """

    POLL_MS = 2

    def __init__(self, window: MainWindow, callback: Callable[[], None], wait_ms: int) -> None:
        super().__init__(window)
        self._handle = window.windowHandle()
        self._callback = callback
        self._deadline = time.monotonic() + wait_ms / 1000
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self._timer.start(self.POLL_MS)

    def _check(self) -> None:
        exposed = self._handle is not None and self._handle.isExposed()
        if exposed or time.monotonic() >= self._deadline:
            self._timer.stop()
            self._callback()


def set_up_application() -> QApplication:
    """The application with its identity: names (settings paths), version, icon."""
    from rostergui.ui import icons

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("rostersync")
    app.setWindowIcon(icons.app_icon())
    collect_on_gui_thread(app)
    return app


#: How often (milliseconds) the GUI thread collects reference cycles (see runtime).
COLLECT_INTERVAL_MS = 1000


def collect_on_gui_thread(app: QApplication) -> None:
    """Reference cycles are collected on the GUI thread only, from a timer owned by ``app``
    (once per application): never in a worker thread, where a Qt object in a cycle would be
    destroyed under the GUI thread's feet (see :mod:`rostergui.ui.runtime`)."""
    from PySide6.QtCore import QTimer

    if app.property("rostersync_collector"):
        return
    runtime.collect_on_gui_thread_only()
    timer = QTimer(app)
    timer.setInterval(COLLECT_INTERVAL_MS)
    timer.timeout.connect(runtime.collect_tick)
    timer.start()
    app.setProperty("rostersync_collector", True)


def run_gui(args: argparse.Namespace) -> int:
    """Open the window; returns the process exit status."""
    # No cyclic collections until the window is complete: start-up creates objects that live as
    # long as the app, and every collection would walk them all again (see Opening._attach).
    runtime.start_up_paused()
    from rostergui.ui import crash
    from rostergui.ui.main_window import MainWindow

    diagnostics.route_qt_messages()
    app = set_up_application()
    crash.install_excepthook()
    demo_mode = args.command == "demo"
    window = MainWindow(title_note="demo (simulated LTIAAS)" if demo_mode else None)
    opening = Opening(
        app,
        window,
        lambda: start_session(args),
        check_start=bool(getattr(args, "check_start", False)),
        started_at=getattr(args, "started_at", None),
    )
    window.show()
    FirstFrame(window, opening.start, FIRST_FRAME_WAIT_MS)
    try:
        status = app.exec()
    finally:
        # However the loop ended, stop the window's background threads before the service
        # they use goes away (a cancelled sync is waited for, a bounded time).
        window.close()
        opening.close()
        runtime.start_up_done(freeze=False)
        diagnostics.disable_crash_file()
        log.info("%s closed", APP_NAME)
    return EXIT_FAILED if opening.failed else status
