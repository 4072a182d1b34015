"""Starting the window as the command line does: normal start, the demo, a broken database.

Each start runs in a child process: ``run_gui`` enters and leaves ``QApplication.exec()``, which
must not happen inside the test process's shared application (after an ``exec()`` has returned,
Qt no longer delivers queued events to nested event loops).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_python

DRIVER = r"""
import json, sys, threading, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
app = QApplication(sys.argv[:1])
from rostergui.ui import crash
from rostergui.ui.main_window import MainWindow
report = {"windows": [], "messages": [], "bugs": [], "closed_services": 0}
QMessageBox.critical = staticmethod(lambda _p, title, text: report["messages"].append(text))
crash.report_bug = lambda exc, parent=None: report["bugs"].append(repr(exc))
opening_started = threading.Event()  # set by a prelude that makes opening slow
# PRELUDE
deadline = time.monotonic() + int(sys.argv[2]) / 1000
until = sys.argv[3]
def shown_windows():
    windows = QApplication.topLevelWidgets()
    return [w for w in windows if isinstance(w, MainWindow) and w.isVisible()]
def ready():
    if until == "listed":
        return any(w.course_model.loaded for w in shown_windows())
    return until == "opening" and opening_started.is_set()
def poll():
    if not ready() and time.monotonic() < deadline:
        return
    timer.stop()
    for w in shown_windows():
        report["windows"].append({
            "title": w.windowTitle(),
            "courses": w.course_model.rowCount(),
            "status": w.statusBar().currentMessage(),
            "attached": w.attached,
            "placeholder": w.course_view.placeholder,
        })
        w.close()
    QApplication.quit()
timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
from rostergui.cli import run
report["status"] = run(sys.argv[4:])
report["app_name"] = QApplication.applicationName()
report["has_icon"] = not QApplication.windowIcon().isNull()
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(report, out)
"""

#: Counts closed services in the child; a test adds its own ``RosterService.open``.
PATCH_SERVICE = """
from rostergui.core import errors
from rostergui.core.service import RosterService
OPEN, CLOSE = RosterService.open, RosterService.close
def counted_close(self):
    report["closed_services"] += 1
    CLOSE(self)
RosterService.close = counted_close
"""


def start(
    tmp_path: Path,
    *args: str,
    wait_ms: int = 15_000,
    until: str = "listed",
    prelude: str = "",
) -> dict[str, object]:
    """Run the command line in a child; its windows are reported and closed once the courses
    are listed, or (``until="opening"``) once a slow opening began, at the latest after
    ``wait_ms``."""
    report = tmp_path / "report.json"
    code = DRIVER.replace("# PRELUDE", prelude)
    done = run_python(
        ["-c", code, str(report), str(wait_ms), until, *args], tmp_path / "config"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return dict(json.loads(report.read_text(encoding="utf-8")))


def test_gui_starts_and_exits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = start(tmp_path, "--data-dir", str(data), "gui")
    assert report["status"] == 0
    assert report["windows"] == [
        {"title": "RosterSync", "courses": 0, "status": "", "attached": True, "placeholder": ""}
    ]
    assert (data / "rostersync.db").exists()
    assert (data / "rostersync.log").exists()
    assert report["app_name"] == "RosterSync"
    assert report["has_icon"]
    settings = tmp_path / "config" / "RosterSync" / "RosterSync.ini"
    assert "geometry" in settings.read_text(encoding="utf-8")


def test_demo_starts_with_sample_courses(tmp_path: Path) -> None:
    report = start(tmp_path, "demo")
    assert report["status"] == 0
    (window,) = report["windows"]  # type: ignore[misc]
    assert "demo" in window["title"]
    assert window["courses"] >= 7
    assert "simulated LTIAAS" in window["status"]


def test_database_failure_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    report = start(tmp_path, "--data-dir", str(tmp_path / "d"), "--db-url", "nonsense://", "gui")
    assert report["status"] == 1
    assert report["windows"] == []
    (message,) = report["messages"]  # type: ignore[misc]
    assert "database" in str(message).lower()


def test_a_data_directory_that_is_a_file_is_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("in the way", encoding="utf-8")
    report = start(tmp_path, "--data-dir", str(blocker), "gui")
    assert report["status"] == 1
    assert report["windows"] == []
    assert report["bugs"] == []
    (message,) = report["messages"]  # type: ignore[misc]
    assert "--data-dir" in str(message)


def test_a_storage_error_while_opening_is_the_same_message(tmp_path: Path) -> None:
    locked = PATCH_SERVICE + """
def locked(*args, **kwargs):
    raise errors.StorageError("The database is locked by another program")
RosterService.open = staticmethod(locked)
"""
    report = start(tmp_path, "--data-dir", str(tmp_path / "d"), "gui", prelude=locked)
    assert report["status"] == 1
    assert report["windows"] == []
    assert report["messages"] == ["The database is locked by another program"]
    assert report["bugs"] == []


def test_an_unexpected_error_while_opening_is_reported_as_a_bug(tmp_path: Path) -> None:
    broken = PATCH_SERVICE + """
def broken(*args, **kwargs):
    raise RuntimeError("boom")
RosterService.open = staticmethod(broken)
"""
    report = start(tmp_path, "--data-dir", str(tmp_path / "d"), "gui", prelude=broken)
    assert report["status"] == 1
    assert report["windows"] == []
    assert report["messages"] == []
    assert report["bugs"] == ["RuntimeError('boom')"]


def test_closing_while_the_database_opens_exits_cleanly(tmp_path: Path) -> None:
    slow = PATCH_SERVICE + """
def slow(*args, **kwargs):
    opening_started.set()
    time.sleep(1.0)
    return OPEN(*args, **kwargs)
RosterService.open = staticmethod(slow)
"""
    data = tmp_path / "data"
    report = start(tmp_path, "--data-dir", str(data), "gui", until="opening", prelude=slow)
    assert report["status"] == 0
    (window,) = report["windows"]  # type: ignore[misc]
    assert not window["attached"]
    assert window["placeholder"] == "Opening your courses…"
    # The opening was waited for and what it opened was closed again.
    assert report["closed_services"] == 1
    assert (data / "rostersync.db").exists()


@pytest.mark.parametrize("command", ["gui", "demo"])
def test_check_start_reports_the_complete_window(tmp_path: Path, command: str) -> None:
    done = run_python(
        ["-m", "rostergui", "--data-dir", str(tmp_path / "data"), command, "--check-start"],
        tmp_path / "config",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "window shown" in done.stdout
    assert "Traceback" not in done.stderr


RECORD_NOTICES = """
_show_notice = MainWindow.show_notice
def recorded_notice(self, text):
    report.setdefault("notices", []).append(text)
    _show_notice(self, text)
MainWindow.show_notice = recorded_notice
"""


def test_a_crash_of_the_last_run_is_logged_and_told_once(tmp_path: Path) -> None:
    import os
    import stat

    data = tmp_path / "data"
    data.mkdir()
    crash_file = data / "rostersync-crash.log"
    crash_file.write_text(
        "Fatal Python error: Segmentation fault\n\nThread 0x01 (most recent call first):\n",
        encoding="utf-8",
    )
    report = start(tmp_path, "--data-dir", str(data), "gui", prelude=RECORD_NOTICES)
    assert report["status"] == 0
    (notice,) = report["notices"]  # type: ignore[misc]
    assert "ended unexpectedly" in str(notice)
    assert crash_file.read_text(encoding="utf-8") == ""  # reported once
    if os.name == "posix":
        assert stat.S_IMODE(crash_file.stat().st_mode) == 0o600
    log = (data / "rostersync.log").read_text(encoding="utf-8")
    assert "The previous run crashed" in log and "Segmentation fault" in log

    again = start(tmp_path, "--data-dir", str(data), "gui", prelude=RECORD_NOTICES)
    assert "notices" not in again
