"""Starting the window as the command line does: normal start, the demo, a broken database.

Each start runs in a child process: ``run_gui`` enters and leaves ``QApplication.exec()``, which
must not happen inside the test process's shared application (after an ``exec()`` has returned,
Qt no longer delivers queued events to nested event loops).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DRIVER = r"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
app = QApplication(sys.argv[:1])
from rostergui.ui.main_window import MainWindow
report = {"windows": [], "messages": []}
QMessageBox.critical = staticmethod(lambda _p, title, text: report["messages"].append(text))
def close():
    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow) and w.isVisible():
            report["windows"].append({
                "title": w.windowTitle(),
                "courses": w.course_model.rowCount(),
                "status": w.statusBar().currentMessage(),
            })
            w.close()
    QApplication.quit()
QTimer.singleShot(int(sys.argv[2]), close)
from rostergui.cli import run
report["status"] = run(sys.argv[3:])
report["app_name"] = QApplication.applicationName()
report["has_icon"] = not QApplication.windowIcon().isNull()
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(report, out)
"""


def start(tmp_path: Path, *args: str, wait_ms: int = 1500) -> dict[str, object]:
    report = tmp_path / "report.json"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        LANG="C.UTF-8",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    env.pop("ROSTERGUI_DB_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(report), str(wait_ms), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return dict(json.loads(report.read_text(encoding="utf-8")))


def test_gui_starts_and_exits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = start(tmp_path, "--data-dir", str(data), "gui")
    assert report["status"] == 0
    assert report["windows"] == [{"title": "RosterSync", "courses": 0, "status": ""}]
    assert (data / "rostersync.db").exists()
    assert (data / "rostersync.log").exists()
    assert report["app_name"] == "RosterSync"
    assert report["has_icon"]
    settings = tmp_path / "config" / "RosterSync" / "RosterSync.ini"
    assert "geometry" in settings.read_text(encoding="utf-8")


def test_demo_starts_with_sample_courses(tmp_path: Path) -> None:
    report = start(tmp_path, "demo", wait_ms=2500)
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
