"""Starting the window: ``rostergui`` / ``rostergui gui`` and ``rostergui demo``.

Sets up the application identity (so settings and the icon are right on every platform),
logging to the data directory, the crash hook, and the service — the real database, or for the
demo the built-in simulator in a throw-away directory. A database that cannot be opened is a
message box with the reason, not a traceback.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time

from rostergui import APP_NAME, __version__
from rostergui.core import errors
from rostergui.core.logs import setup_logging
from rostergui.core.paths import data_dir

log = logging.getLogger(__name__)


def run_gui(args: argparse.Namespace) -> int:
    """Open the window; returns the process exit status."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from rostergui.core.service import RosterService
    from rostergui.ui import crash, icons
    from rostergui.ui.main_window import MainWindow

    demo_mode = getattr(args, "command", None) == "demo"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("rostersync")
    app.setWindowIcon(icons.app_icon())

    demo = None
    if demo_mode and not args.data_dir:
        from rostergui.demo import new_demo_directory

        directory = new_demo_directory()  # removed again when the demo closes
    else:
        directory = data_dir(args.data_dir)
    crash.log_path = setup_logging(directory, verbose=bool(getattr(args, "verbose", False)))
    crash.install_excepthook()
    log.info("%s %s starting (%s)", APP_NAME, __version__, "demo" if demo_mode else "window")

    try:
        if demo_mode:
            from rostergui.demo import start_demo

            demo = start_demo(directory, throwaway=not args.data_dir, db_url=args.db_url)
            service = demo.service
        else:
            service = RosterService.open(data_directory=directory, db_url=args.db_url)
    except errors.RosterSyncError as exc:
        log.error("Could not open the database: %s (%s)", exc.message, exc.detail or "")
        QMessageBox.critical(None, f"{APP_NAME} cannot start", exc.message)
        return 1

    window = MainWindow(service, title_note="demo (simulated LTIAAS)" if demo else None)
    if demo is not None:
        for note in demo.notes:
            log.warning("Demo: %s", note)
        window.show_status(
            f"Demo: sample courses on a simulated LTIAAS at "
            f"{demo.simulator.base_url}. Nothing here touches real data or your keyring."
        )
    window.show()
    # Everything built so far lives as long as the app: take it out of the collector's sight
    # so a full collection during a sync (which stops every thread) stays short.
    gc.freeze()
    if getattr(args, "check_start", False):
        from PySide6.QtCore import QTimer

        def report() -> None:
            shown = window.isVisible() and window.windowHandle() is not None
            started = getattr(args, "started_at", None)
            took = f" in {time.monotonic() - started:.2f} s" if started else ""
            print(f"{APP_NAME} {__version__}: window {'shown' if shown else 'NOT shown'}{took}")
            window.close()
            app.exit(0 if shown else 1)

        QTimer.singleShot(0, report)
    try:
        return app.exec()
    finally:
        # However the loop ended, stop the window's background threads before the service
        # they use goes away (a running QThread destroyed at exit aborts the process).
        window.close()
        if demo is not None:
            demo.close()
        else:
            service.close()
        log.info("%s closed", APP_NAME)
